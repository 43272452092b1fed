"""OFREP (the OpenFeature Remote Evaluation Protocol) against FlagMeter, without the OpenFeature SDK:
one POST /ofrep/v1/evaluate/flags/{key} per evaluation, with the tenant (and environment) put into
the context, and its answer mapped to what an OpenFeature provider returns (value, reason,
variant, error code and message, metadata), the caller's default on any error or a value of
another type. flagmeter.openfeature.FlagMeterProvider is the thin layer that turns this into the
openfeature-sdk's FlagResolutionDetails."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Mapping
from urllib.parse import quote

import httpx

FlagKind = Literal["boolean", "string", "integer", "float", "object"]

# OpenFeature's error codes (openfeature.exception.ErrorCode values)
GENERAL = "GENERAL"
TYPE_MISMATCH = "TYPE_MISMATCH"
PARSE_ERROR = "PARSE_ERROR"
ERROR_CODES = frozenset({"PROVIDER_NOT_READY", "PROVIDER_FATAL", "FLAG_NOT_FOUND", PARSE_ERROR, TYPE_MISMATCH, "TARGETING_KEY_MISSING", "INVALID_CONTEXT", GENERAL})


@dataclass(frozen=True)
class Resolution:
    """What a provider returns for one evaluation (OpenFeature's FlagResolutionDetails fields)."""
    value: Any
    reason: str | None = None
    variant: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    flag_metadata: Mapping[str, Any] = field(default_factory=dict)


def _typed(value: Any, kind: FlagKind) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, (dict, list))


def _attribute(v: Any) -> Any:
    """A context attribute as JSON (datetimes as ISO 8601, which FlagMeter's date operators read)."""
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {str(k): _attribute(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_attribute(x) for x in v]
    return v


def ofrep_context(targeting_key: str | None, attributes: Mapping[str, Any] | None, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """OFREP's context: the base (tenant, env), the attributes over it, the targeting key as targetingKey."""
    ctx: dict[str, Any] = {**(base or {}), **{k: _attribute(v) for k, v in (attributes or {}).items()}}
    if targeting_key is not None:
        ctx["targetingKey"] = targeting_key
    return ctx


def resolution_of(status: int, body: Any, default: Any, kind: FlagKind) -> Resolution:
    """An OFREP answer as a resolution: the value when it has the asked type, else the default with the error."""
    if not isinstance(body, Mapping):
        return Resolution(default, "ERROR", error_code=PARSE_ERROR, error_message=f"FlagMeter answered {status} without a JSON object")
    if status == 200 and "value" in body:
        value = body["value"]
        if not _typed(value, kind):
            return Resolution(default, "ERROR", error_code=TYPE_MISMATCH, error_message=f"the flag's value is {type(value).__name__}, not {kind}")
        if kind == "float":
            value = float(value)
        metadata = body.get("metadata")
        return Resolution(value, body.get("reason"), body.get("variant"), flag_metadata=dict(metadata) if isinstance(metadata, Mapping) else {})
    code = body.get("errorCode")
    if isinstance(code, str):
        return Resolution(default, "ERROR", error_code=code if code in ERROR_CODES else GENERAL, error_message=body.get("errorDetails"))
    error = body.get("error")
    message = error.get("message") if isinstance(error, Mapping) else None
    return Resolution(default, "ERROR", error_code=GENERAL, error_message=f"FlagMeter answered {status}{f': {message}' if message else ''}")


class OfrepClient:
    """Evaluates FlagMeter's flags over OFREP (a key with the evaluate scope); every evaluation is one request."""

    def __init__(self, base_url: str, api_key: str, *, tenant: str | None = None, env: str | None = None, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers={"authorization": f"Bearer {api_key}", "accept": "application/json"},
                                  timeout=timeout, transport=transport)
        # a context's own tenant and env win (a key bound to a tenant needs neither)
        self.base = {**({"tenant": tenant} if tenant else {}), **({"env": env} if env else {})}

    def resolve(self, flag_key: str, default: Any, kind: FlagKind, targeting_key: str | None = None,
                attributes: Mapping[str, Any] | None = None) -> Resolution:
        try:
            r = self._http.post(f"/ofrep/v1/evaluate/flags/{quote(flag_key, safe='')}", json={"context": ofrep_context(targeting_key, attributes, self.base)})
        except httpx.HTTPError as err:
            return Resolution(default, "ERROR", error_code=GENERAL, error_message=f"FlagMeter unreachable: {err}")
        try:
            body = r.json()
        except ValueError:
            body = None
        return resolution_of(r.status_code, body, default, kind)

    def close(self) -> None:
        self._http.close()
