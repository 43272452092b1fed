"""What the sync and async clients share: the event on the wire, backoff, how an answer is read."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal

INT4_MAX = 2_147_483_647


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise TypeError(f"FlagMeter: {name} must be a non-empty string of at most {limit} characters")
    return value


def make_event(tenant: str, feature: str, tokens: int, *, id: str | None = None, timestamp: datetime | str | None = None,
               user: str | None = None, reservation: str | None = None) -> dict[str, Any]:
    """Checks the event at once and gives it an idempotency id and a timestamp (kept across retries)."""
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0 or tokens > INT4_MAX:
        raise TypeError(f"FlagMeter: tokens must be a positive integer up to {INT4_MAX} (got {tokens!r})")
    if timestamp is None:
        ts = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    elif isinstance(timestamp, datetime):
        ts = (timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=timezone.utc)).isoformat()
    else:
        ts = _text(timestamp, "timestamp", 64)
    event: dict[str, Any] = {
        "tenant": _text(tenant, "tenant", 128),
        "feature": _text(feature, "feature", 128),
        "tokens": tokens,
        "id": str(uuid.uuid4()) if id is None else _text(id, "id", 200),
        "timestamp": ts,
    }
    if user is not None:
        event["user"] = _text(user, "user", 256)
    if reservation is not None:
        event["reservation"] = _text(reservation, "reservation", 64)
    return event


@dataclass
class Retry:
    initial: float = 0.2
    """first backoff ceiling, seconds"""
    maximum: float = 30.0
    """largest backoff ceiling, seconds"""

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Never earlier than Retry-After (plus up to 10% jitter); otherwise full jitter."""
        if retry_after is not None:
            return retry_after + random.random() * retry_after * 0.1
        ceiling: float = min(self.maximum, self.initial * 2.0 ** attempt)
        return random.random() * ceiling


def retry_after_seconds(header: str | None) -> float | None:
    if not header:
        return None
    try:
        seconds = float(header)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    try:
        at = parsedate_to_datetime(header)
        return max(0.0, (at - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def retryable(status: int) -> bool:
    return status == 408 or status == 429 or status >= 500


def error_of(body: Any, status: int) -> tuple[str | None, str, list[dict[str, Any]]]:
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return None, f"HTTP {status}", []
    details = err.get("details")
    return err.get("code"), str(err.get("message") or f"HTTP {status}"), details if isinstance(details, list) else []


@dataclass
class Outcome:
    """What to do after an answer to a batch."""

    kind: Literal["ok", "retry", "split", "reject"]
    bad: set[int] = field(default_factory=set)
    """for reject: the refused indices (empty: all of them)"""
    reason: str = ""
    duplicates: int = 0
    retry_after: float | None = None


def read_batch_answer(status: int | None, body: Any, headers: Any, size: int) -> Outcome:
    """None status: no answer (network error, timeout)."""
    if status is None:
        return Outcome("retry")
    if 200 <= status < 300:
        return Outcome("ok", duplicates=int(body.get("duplicates", 0)) if isinstance(body, dict) else 0)
    if retryable(status):
        return Outcome("retry", retry_after=retry_after_seconds(headers.get("retry-after")))
    code, message, details = error_of(body, status)
    if (status == 413 or code in ("too_many_events", "batch_exceeds_burst")) and size > 1:
        return Outcome("split")
    bad = {d["index"] for d in details if isinstance(d, dict) and isinstance(d.get("index"), int)}
    return Outcome("reject", bad=bad, reason=message)


def tokens_of(usage: Any) -> int | None:
    """OpenAI: total_tokens (or prompt + completion); Anthropic: input + output + cache tokens."""
    if usage is None:
        return None

    def n(key: str) -> int | None:
        v = usage.get(key) if isinstance(usage, dict) else getattr(usage, key, None)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def total(*keys: str) -> int:
        return sum(n(k) or 0 for k in keys)

    total_tokens = n("total_tokens")
    if total_tokens is not None:
        return total_tokens
    if n("prompt_tokens") is not None or n("completion_tokens") is not None:
        return total("prompt_tokens", "completion_tokens")
    if n("input_tokens") is not None or n("output_tokens") is not None:
        return total("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return None


def unverified(tenant: str, feature: str | None) -> dict[str, Any]:
    """The answer when FlagMeter cannot be reached and fail_mode is "open" (the server's own open answer)."""
    return {
        "allowed": True, "reason": "unverified", "tenant": tenant, "feature": feature, "limitOn": None, "limit": None,
        "used": None, "reserved": None, "remaining": None, "overage": None, "hard": None, "periodStart": None,
        "periodEnd": None, "asOf": datetime.now(timezone.utc).isoformat(),
    }


def check_body(tenant: str, tokens: int | None, feature: str | None, id: str | None, reserve: bool = False,
               ttl_seconds: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"tenant": tenant, "id": id or str(uuid.uuid4())}
    if feature is not None:
        body["feature"] = feature
    if tokens is not None:
        body["tokens"] = tokens
    if reserve:
        body["reserve"] = True
    if ttl_seconds is not None:
        body["reservationTtlSeconds"] = ttl_seconds
    return body


def result_tokens(result: Any) -> int | None:
    usage = result.get("usage") if isinstance(result, dict) else getattr(result, "usage", None)
    return tokens_of(usage)


def result_model(result: Any) -> str | None:
    model = result.get("model") if isinstance(result, dict) else getattr(result, "model", None)
    return model if isinstance(model, str) else None
