"""flagmeter.ofrep (what FlagMeterProvider runs, without the openfeature-sdk package) against a
real FlagMeter: values of every type with their variant, reason and metadata; the caller's default
with OpenFeature's error code for a missing flag, a missing targeting key, a value of another type,
a bad key and an unreachable server; the tenant put into every context. And flagmeter.openfeature:
with the openfeature-sdk package missing (as on the machine these tests were written on) importing
it fails with an ImportError that says what to install."""

from __future__ import annotations

import importlib
import importlib.util
from datetime import datetime, timezone

import pytest

from flagmeter import LocalFlags
from flagmeter.ofrep import OfrepClient, ofrep_context


@pytest.fixture()
def flags(server):
    t = server.tenant()
    defs = [
        {"key": "on", "enabled": True, "strategies": []},
        {"key": "half", "enabled": True, "strategy": "percentage", "percentage": 50},
        {"key": "model", "enabled": True, "type": "string", "onValue": "gpt-4o", "offValue": "mini", "strategies": [
            {"constraints": [{"contextName": "plan", "operator": "in", "values": ["pro"]}]}]},
        {"key": "limit", "enabled": True, "type": "number", "onValue": 1000, "offValue": 0, "strategies": []},
        {"key": "ratio", "enabled": True, "type": "number", "onValue": 0.25, "offValue": 0, "strategies": []},
        {"key": "payload", "enabled": True, "type": "json", "onValue": {"a": 1}, "offValue": {"a": 0}, "stickiness": "targetingKey", "strategies": [],
         "variants": [{"name": "x", "weight": 50, "value": {"model": "gpt-4o", "tools": ["search"]}}, {"name": "y", "weight": 50, "value": {"model": "mini"}}]},
        {"key": "launch", "enabled": True, "strategies": [{"constraints": [{"contextName": "signupAt", "operator": "date_after", "value": "2026-01-01T00:00:00Z"}]}]},
    ]
    for f in defs:
        assert server.admin.post("/api/features", json={"tenant": t, "env": "prod", **f}).status_code == 201
    return t


def test_values_of_every_type_as_local_evaluation_answers(server, flags):
    client = OfrepClient(server.url, server.key, tenant=flags, env="prod")
    read_key = server.admin.post("/api/keys", json={"name": "py-ofrep", "scopes": ["read"], "tenant": flags}).json()["key"]
    local = LocalFlags(server.url, read_key, tenant=flags, env="prod", refresh_interval=0).start()
    try:
        r = client.resolve("on", False, "boolean", "u1")
        assert (r.value, r.reason, r.variant, r.error_code) == (True, "STATIC", "on", None)
        assert r.flag_metadata.get("environment") == "prod"
        assert client.resolve("model", "x", "string", "u1", {"plan": "pro"}).value == "gpt-4o"
        assert client.resolve("model", "x", "string", "u1", {"plan": "free"}).value == "mini"
        limit = client.resolve("limit", -1, "integer", "u1")
        assert (limit.value, type(limit.value)) == (1000, int)
        assert client.resolve("limit", -1.0, "float", "u1").value == 1000.0
        assert client.resolve("ratio", -1.0, "float", "u1").value == 0.25
        assert client.resolve("launch", False, "boolean", "u1", {"signupAt": datetime(2026, 3, 1, tzinfo=timezone.utc)}).value is True
        for user in [f"u{i}" for i in range(30)] + ["Zoë", "李雷"]:
            for key, kind, default in [("half", "boolean", None), ("payload", "object", {})]:
                r = client.resolve(key, default, kind, user)  # type: ignore[arg-type]
                e = local.evaluate(key, user)
                assert e is not None
                assert (key, user, r.value, r.variant, r.reason) == (key, user, e["value"], e["variant"], e["reason"])
    finally:
        client.close()
        local.close()


def test_errors_give_the_default_with_openfeatures_error_code(server, flags):
    client = OfrepClient(server.url, server.key, tenant=flags)
    try:
        nope = client.resolve("nope", True, "boolean", "u1")
        assert (nope.value, nope.reason, nope.error_code) == (True, "ERROR", "FLAG_NOT_FOUND")
        missing = client.resolve("half", False, "boolean")
        assert (missing.value, missing.error_code) == (False, "TARGETING_KEY_MISSING")
        mismatch = client.resolve("model", 7, "integer", "u1")
        assert (mismatch.value, mismatch.error_code) == (7, "TYPE_MISMATCH")
        assert client.resolve("on", "x", "string", "u1").error_code == "TYPE_MISMATCH"
        assert client.resolve("limit", 0, "boolean", "u1").error_code == "TYPE_MISMATCH"
        # a context's own tenant wins over the provider's: another tenant's flags are not this one's
        assert client.resolve("on", False, "boolean", "u1", {"tenant": server.tenant()}).error_code == "FLAG_NOT_FOUND"
    finally:
        client.close()
    bad = OfrepClient(server.url, "fm_live_nope", tenant=flags)
    try:
        r = bad.resolve("on", False, "boolean", "u1")
        assert (r.value, r.error_code) == (False, "GENERAL") and "401" in (r.error_message or "")
    finally:
        bad.close()
    down = OfrepClient("http://127.0.0.1:9", server.key, tenant=flags, timeout=2)
    try:
        assert down.resolve("on", False, "boolean", "u1").error_code == "GENERAL"
    finally:
        down.close()


def test_the_context_carries_the_tenant_the_attributes_and_the_targeting_key():
    when = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert ofrep_context("u1", {"plan": "pro", "at": when, "tags": ("a", when)}, {"tenant": "acme", "env": "prod"}) == {
        "tenant": "acme", "env": "prod", "plan": "pro", "at": "2026-12-01T12:00:00+00:00", "tags": ["a", "2026-12-01T12:00:00+00:00"], "targetingKey": "u1"}
    assert ofrep_context(None, {"tenant": "other"}, {"tenant": "acme"}) == {"tenant": "other"}


def test_the_openfeature_glue_needs_the_openfeature_sdk():
    if importlib.util.find_spec("openfeature") is None:
        with pytest.raises(ImportError, match="pip install openfeature-sdk"):
            importlib.import_module("flagmeter.openfeature")
    else:  # where the package is installed: the provider is a real AbstractProvider
        from openfeature.provider import AbstractProvider
        module = importlib.import_module("flagmeter.openfeature")
        assert issubclass(module.FlagMeterProvider, AbstractProvider)
        assert module.FlagMeterProvider("http://127.0.0.1:9", "k").get_metadata().name == "FlagMeter"
