"""LocalFlags: the tenant's flag definitions kept in process (GET /api/flags/export?resolve=true,
re-read with If-None-Match so an unchanged document costs a 304) and evaluated without a request,
as the server evaluates them (evaluation.py: strategies, constraints, segments, rollouts and
stickiness, variants, parent flags; checked against the shared vectors in sdk/vectors/). Quota rules
follow the server's view as of the last sync; local evaluations are not counted by the server."""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping, TypeVar

import httpx

from .errors import FlagMeterError, FlagMeterHttpError
from .evaluation import CompiledFlags, Context, bucket, compile_flag, evaluate, murmur3, public, quota_evaluation

T = TypeVar("T")

__all__ = ["LocalFlags", "evaluate_flag", "is_local", "bucket", "murmur3", "CompiledFlags"]


def is_local(flag: dict[str, Any]) -> bool:
    """Whether evaluate_flag can evaluate this flat definition (GET /api/features' fields): a flat
    strategy on a boolean or string flag. LocalFlags evaluates every flag (the full definitions)."""
    return flag.get("strategy") in ("boolean", "percentage", "targeting") and flag.get("type") in ("boolean", "string")


def _user_in(values: Any) -> dict[str, Any]:
    return {"contextName": "targetingKey", "operator": "in", "values": list(values), "caseInsensitive": False, "inverted": False}


def _flat_strategies(flag: dict[str, Any]) -> list[dict[str, Any]]:
    """The strategies a flat definition means (what the server stores for it)."""
    strategy = flag["strategy"]
    if strategy == "boolean":
        return [{}]
    if strategy == "percentage":
        return [{"rollout": flag.get("percentage") or 0, "stickiness": "targetingKey", "group": flag.get("group")}]
    deny = list(flag.get("deny", ()))
    return ([{"constraints": [_user_in(deny)], "serve": "off"}] if deny else []) + [{"constraints": [_user_in(flag.get("allow", ()))]}]


def evaluate_flag(flag: dict[str, Any], user_id: str | None = None) -> dict[str, Any]:
    """{value, variant, reason[, userMissing]} of a flat definition (GET /api/features' fields) as the
    server decides: disabled, then an active quota rule, then the strategy."""
    if not is_local(flag):
        raise ValueError(f"flag {flag.get('key')!r} has rules its flat definition cannot say: evaluate it with LocalFlags or OFREP")
    compiled = compile_flag({**flag, "strategies": _flat_strategies(flag), "variants": [], "dependencies": []})
    rule = flag.get("activeQuotaRule")
    return public(quota_evaluation(compiled, rule) if rule and compiled.enabled else evaluate(compiled, user_id))


class LocalFlags:
    """Sync definitions with `refresh()` (or every `refresh_interval` seconds in a daemon thread)."""

    def __init__(self, base_url: str, api_key: str | None, *, tenant: str, env: str, refresh_interval: float = 15.0,
                 timeout: float = 10.0, on_error: Callable[[FlagMeterError], None] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"accept": "application/json", **({"authorization": f"Bearer {api_key}"} if api_key else {})}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport)
        self.tenant, self.env = tenant, env
        self._flags = CompiledFlags({})
        self._etag: str | None = None
        self.counts = {"loaded": 0, "not_modified": 0, "failed": 0}
        self._stop = threading.Event()
        self._interval = refresh_interval
        self._on_error = on_error
        self._thread: threading.Thread | None = None

    def start(self) -> "LocalFlags":
        """The first sync (raises if it fails), then background re-syncs every refresh_interval."""
        self.refresh()
        if self._interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="flagmeter-flags", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.refresh()
            except Exception as err:
                self.counts["failed"] += 1
                if self._on_error:
                    self._on_error(err if isinstance(err, FlagMeterError) else FlagMeterError(str(err)))

    def refresh(self) -> bool:
        """Re-reads the definitions now; True when they changed."""
        params = {"tenant": self.tenant, "env": self.env, "resolve": "true"}
        r = self._http.get("/api/flags/export", params=params, headers={"if-none-match": self._etag} if self._etag else None)
        if r.status_code == 304:
            self.counts["not_modified"] += 1
            return False
        if r.status_code != 200:
            raise FlagMeterHttpError(r.status_code, None, f"FlagMeter: reading the flags failed ({r.status_code}): {r.text[:200]}")
        self._flags = CompiledFlags(r.json())
        self._etag = r.headers.get("etag")
        self.counts["loaded"] += 1
        return True

    def evaluate(self, key: str, context: Context | str | None = None) -> dict[str, Any] | None:
        """{value, variant, reason[, userMissing]} for a user (a string: the targetingKey) or a whole
        evaluation context (any fields the constraints read; tenant and env are this instance's, as
        OFREP fills them in); None when the tenant has no such flag."""
        ctx: dict[str, Any] = dict(context) if isinstance(context, Mapping) else {} if context is None else {"targetingKey": context}
        return self._flags.evaluate(key, {**ctx, "tenant": self.tenant, "env": self.env})

    def _value(self, key: str, default: T, context: Context | str | None, typed: Callable[[Any], bool]) -> T:
        e = self.evaluate(key, context)
        return e["value"] if e and typed(e["value"]) else default

    def get_boolean(self, key: str, default: bool, user_id: Context | str | None = None) -> bool:
        return self._value(key, default, user_id, lambda v: isinstance(v, bool))

    def get_string(self, key: str, default: str, user_id: Context | str | None = None) -> str:
        return self._value(key, default, user_id, lambda v: isinstance(v, str))

    def get_number(self, key: str, default: float, context: Context | str | None = None) -> float:
        return self._value(key, default, context, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))

    def get_object(self, key: str, default: dict[str, Any], context: Context | str | None = None) -> dict[str, Any]:
        """A JSON flag's value (a variant's payload)."""
        return self._value(key, default, context, lambda v: isinstance(v, dict))

    def keys(self) -> list[str]:
        return self._flags.keys()

    def close(self) -> None:
        self._stop.set()
        self._http.close()
