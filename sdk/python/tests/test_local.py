"""Local evaluation: the shared vectors (sdk/vectors/flag-evaluation.json, made by the server's own
evaluator) hold for the Python SDK, and against a real FlagMeter LocalFlags syncs with ETag and
answers as OFREP does."""

from __future__ import annotations

import json
import pathlib

import httpx

from flagmeter import LocalFlags, bucket, evaluate_flag

VECTORS = json.loads((pathlib.Path(__file__).parents[2] / "vectors" / "flag-evaluation.json").read_text("utf-8"))


def test_buckets_match_the_server():
    assert len(VECTORS["buckets"]) > 200
    got = [(v["group"], v["userId"], bucket(v["group"], v["userId"])) for v in VECTORS["buckets"]]
    assert got == [(v["group"], v["userId"], v["bucket"]) for v in VECTORS["buckets"]]


def test_evaluations_match_the_server():
    for c in VECTORS["cases"]:
        flag = {**VECTORS["defaults"], **c["flag"], "activeQuotaRule": c.get("activeQuotaRule")}
        assert (c["flag"]["key"], c.get("userId"), evaluate_flag(flag, c.get("userId"))) == (c["flag"]["key"], c.get("userId"), c["expected"])


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
