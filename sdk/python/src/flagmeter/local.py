"""LocalFlags: the tenant's flag definitions kept in process (GET /api/features, re-read with
If-None-Match so an unchanged list costs a 304) and evaluated without a request, with the same
murmur3 buckets as the server. Checked against the shared vectors in sdk/vectors/. Quota rules
follow the server's view as of the last sync; local evaluations are not counted by the server."""

from __future__ import annotations

import threading
from typing import Any, Callable

import httpx

from .errors import FlagMeterError, FlagMeterHttpError

_C1, _C2, _M = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M


def murmur3(key: str, seed: int = 0) -> int:
    """murmur3_x86_32 of the UTF-8 encoding of `key`, unsigned."""
    data = key.encode("utf-8")
    n = len(data)
    h = seed & _M
    blocks = n & ~3
    for i in range(0, blocks, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (_rotl((k * _C1) & _M, 15) * _C2) & _M
        h = (_rotl(h ^ k, 13) * 5 + 0xE6546B64) & _M
    rem = n & 3
    if rem:
        k = int.from_bytes(data[blocks:], "little")
        k = (_rotl((k * _C1) & _M, 15) * _C2) & _M
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M
    h ^= h >> 16
    return h


def bucket(group: str, user_id: str) -> int:
    """The user's bucket 0-99 in a group (the flag's group, else its key)."""
    return murmur3(f"{group}:{user_id}") % 100


def is_local(flag: dict[str, Any]) -> bool:
    """Whether this evaluator knows the flag's rule: a flat strategy on a boolean or string flag
    (the server answers strategy "custom" for constraints, segments, variants and parents)."""
    return flag.get("strategy") in ("boolean", "percentage", "targeting") and flag.get("type") in ("boolean", "string")


def evaluate_flag(flag: dict[str, Any], user_id: str | None = None) -> dict[str, Any]:
    """{value, variant, reason[, userMissing]} as the server decides: disabled, then an active quota rule, then the strategy."""
    string = flag.get("type") == "string"
    on = flag.get("onValue") if string else True
    off = flag.get("offValue") if string else False
    if not flag["enabled"]:
        return {"value": off, "variant": "off", "reason": "DISABLED"}
    rule = flag.get("activeQuotaRule")
    if rule:
        serve = rule["serve"]
        value = (on if serve else off) if isinstance(serve, bool) and string else serve
        suffix = f"-{rule['feature']}" if rule.get("feature") is not None else ""
        return {"value": value, "variant": f"quota-{rule['atPercent']}{suffix}", "reason": "TARGETING_MATCH"}
    strategy = flag["strategy"]
    if strategy == "boolean":
        return {"value": on, "variant": "on", "reason": "STATIC"}
    if not user_id:  # '' is no user, as OFREP has it
        return {"value": off, "variant": "off", "reason": "DEFAULT", "userMissing": True}
    if strategy == "percentage":
        hit = bucket(flag.get("group") or flag["key"], user_id) < flag["percentage"]
        return {"value": on if hit else off, "variant": "on" if hit else "off", "reason": "SPLIT"}
    if user_id in flag.get("deny", ()):
        return {"value": off, "variant": "off", "reason": "TARGETING_MATCH"}
    if user_id in flag.get("allow", ()):
        return {"value": on, "variant": "on", "reason": "TARGETING_MATCH"}
    return {"value": off, "variant": "off", "reason": "DEFAULT"}


class LocalFlags:
    """Sync definitions with `refresh()` (or every `refresh_interval` seconds in a daemon thread)."""

    PAGE = 500

    def __init__(self, base_url: str, api_key: str | None, *, tenant: str, env: str, refresh_interval: float = 15.0,
                 timeout: float = 10.0, on_error: Callable[[FlagMeterError], None] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"accept": "application/json", **({"authorization": f"Bearer {api_key}"} if api_key else {})}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport)
        self.tenant, self.env = tenant, env
        self._flags: dict[str, dict[str, Any]] = {}
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

    def _page(self, page: int, etag: str | None = None) -> httpx.Response:
        params: dict[str, str | int] = {"tenant": self.tenant, "env": self.env, "pageSize": self.PAGE, "page": page}
        r = self._http.get("/api/features", params=params, headers={"if-none-match": etag} if etag else None)
        if r.status_code not in (200, 304):
            raise FlagMeterHttpError(r.status_code, None, f"FlagMeter: reading the flags failed ({r.status_code}): {r.text[:200]}")
        return r

    def refresh(self) -> bool:
        """Re-reads the definitions now; True when they changed."""
        first = self._page(1, self._etag)
        if first.status_code == 304:
            self.counts["not_modified"] += 1
            return False
        body = first.json()
        items = list(body["items"])
        page = 2
        while (page - 1) * self.PAGE < body["total"]:
            items.extend(self._page(page).json()["items"])
            page += 1
        self._flags = {f["key"]: {**f, "allow": frozenset(f["allow"]), "deny": frozenset(f["deny"])} for f in items}
        self._etag = first.headers.get("etag")
        self.counts["loaded"] += 1
        return True

    def evaluate(self, key: str, user_id: str | None = None) -> dict[str, Any] | None:
        flag = self._flags.get(key)
        return evaluate_flag(flag, user_id) if flag and is_local(flag) else None

    def get_boolean(self, key: str, default: bool, user_id: str | None = None) -> bool:
        e = self.evaluate(key, user_id)
        return e["value"] if e and isinstance(e["value"], bool) else default

    def get_string(self, key: str, default: str, user_id: str | None = None) -> str:
        e = self.evaluate(key, user_id)
        return e["value"] if e and isinstance(e["value"], str) else default

    def keys(self) -> list[str]:
        return list(self._flags)

    def close(self) -> None:
        self._stop.set()
        self._http.close()
