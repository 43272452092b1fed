"""Local evaluation: the shared vectors (sdk/vectors/flag-evaluation.json for flat definitions,
flag-model.json for the full model, both made by the server's own evaluator) hold for the Python
SDK, and against a real FlagMeter LocalFlags syncs with ETag and answers as OFREP does."""

from __future__ import annotations

import json
import pathlib

import httpx

from flagmeter import CompiledFlags, LocalFlags, bucket, evaluate_flag

VECTORS = json.loads((pathlib.Path(__file__).parents[2] / "vectors" / "flag-evaluation.json").read_text("utf-8"))
MODEL = json.loads((pathlib.Path(__file__).parents[2] / "vectors" / "flag-model.json").read_text("utf-8"))


def strict(v: object) -> str:
    """JSON text: True and 1, 1000 and 1000.0 differ (== would call them equal)."""
    return json.dumps(v, sort_keys=True)


def test_buckets_match_the_server():
    assert len(VECTORS["buckets"]) > 200
    got = [(v["group"], v["userId"], bucket(v["group"], v["userId"])) for v in VECTORS["buckets"]]
    assert got == [(v["group"], v["userId"], v["bucket"]) for v in VECTORS["buckets"]]


def test_evaluations_match_the_server():
    for c in VECTORS["cases"]:
        flag = {**VECTORS["defaults"], **c["flag"], "activeQuotaRule": c.get("activeQuotaRule")}
        assert (c["flag"]["key"], c.get("userId"), evaluate_flag(flag, c.get("userId"))) == (c["flag"]["key"], c.get("userId"), c["expected"])


def test_model_vectors_match_the_server():
    flags = CompiledFlags(MODEL["document"])
    assert len(MODEL["cases"]) > 1000
    got = [(c["flag"], c["context"], strict(flags.evaluate(c["flag"], MODEL["contexts"][c["context"]]))) for c in MODEL["cases"]]
    assert got == [(c["flag"], c["context"], strict(c["expected"])) for c in MODEL["cases"]]


def test_model_vectors_through_a_real_flagmeter(server):
    """The vectors' document imported into a tenant, synced by LocalFlags (export?resolve=true) and evaluated in process."""
    t = server.tenant()
    r = server.admin.post("/api/flags/import", json={"tenant": t, "env": "prod", "document": MODEL["document"]})
    assert r.status_code == 200, r.text
    read_key = server.admin.post("/api/keys", json={"name": "py-model", "scopes": ["read"], "tenant": t}).json()["key"]
    local = LocalFlags(server.url, read_key, tenant=t, env="prod", refresh_interval=0).start()
    try:
        # no vector reads the tenant field, so the contexts' tenant ("vectors") may be this one
        got = [(c["flag"], c["context"], strict(local.evaluate(c["flag"], MODEL["contexts"][c["context"]]))) for c in MODEL["cases"]]
        assert got == [(c["flag"], c["context"], strict(c["expected"])) for c in MODEL["cases"]]
        assert local.get_object("variants-json", {"x": 1}, MODEL["contexts"][0]) == MODEL["cases"][[c["flag"] for c in MODEL["cases"]].index("variants-json")]["expected"]["value"]
        assert local.get_number("variants-number", -5, {"targetingKey": "alice", "plan": "pro"}) in (1000, 2.5)
        assert local.refresh() is False
    finally:
        local.close()


def test_local_flags_against_a_real_flagmeter(server):
    t = server.tenant(quota=1000)
    flags = [
        {"key": "half", "enabled": True, "strategy": "percentage", "percentage": 50},
        {"key": "beta", "enabled": True, "strategy": "targeting", "allow": ["u1", "Zoë"], "deny": ["u2"]},
        {"key": "model", "enabled": True, "strategy": "percentage", "percentage": 30, "type": "string", "onValue": "gpt-4o", "offValue": "mini", "group": "models"},
    ]
    for f in flags:
        assert server.admin.post("/api/features", json={"tenant": t, "env": "prod", **f}).status_code == 201
    read_key = server.admin.post("/api/keys", json={"name": "py-flags", "scopes": ["read"], "tenant": t}).json()["key"]
    ofrep = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.key}"})
    local = LocalFlags(server.url, read_key, tenant=t, env="prod", refresh_interval=0).start()
    try:
        assert sorted(local.keys()) == ["beta", "half", "model"]
        for key in local.keys():
            for user in [f"u{i}" for i in range(40)] + ["Zoë", "李雷"]:
                b = ofrep.post(f"/ofrep/v1/evaluate/flags/{key}", json={"context": {"targetingKey": user, "tenant": t, "env": "prod"}}).json()
                assert (key, user, local.evaluate(key, user)) == (key, user, {"value": b["value"], "variant": b["variant"], "reason": b["reason"]})
        assert local.refresh() is False  # unchanged: 304 (the server runs with evaluation counts flushed rarely)
        assert local.counts == {"loaded": 1, "not_modified": 1, "failed": 0}
        assert server.admin.post("/api/features", json={"tenant": t, "env": "prod", "key": "half", "enabled": False, "strategy": "percentage", "percentage": 50}).status_code == 200
        assert local.refresh() is True
        assert local.evaluate("half", "u1") == {"value": False, "variant": "off", "reason": "DISABLED"}
        assert local.get_boolean("nope", True, "u1") is True
    finally:
        local.close()
        ofrep.close()


def test_inherited_flags_find_global_segments_only():
    """As the server's store: a tenant's flag finds its own segment first, an inherited global flag the global one."""
    seg = lambda domain, is_global: {"name": "testers", "constraints": [{"contextName": "email", "operator": "str_ends_with", "values": [domain]}], "global": is_global}  # noqa: E731
    flag = lambda key, inherited: {"key": key, "enabled": True, "type": "boolean", "strategies": [{"segments": ["testers"], "constraints": []}], "variants": [],  # noqa: E731
                                   "stickiness": "default", "dependencies": [], "quotaRules": [], "inherited": inherited}
    flags = CompiledFlags({"segments": [seg("@own.test", False), seg("@global.test", True)], "flags": [flag("own", False), flag("inherited", True)]})
    on = lambda key, email: flags.evaluate(key, {"targetingKey": "u", "email": email})["value"]  # type: ignore[index]  # noqa: E731
    assert (on("own", "a@own.test"), on("own", "a@global.test"), on("inherited", "a@own.test"), on("inherited", "a@global.test")) == (True, False, False, True)
