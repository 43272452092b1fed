"""FlagMeterProvider: an OpenFeature provider (the openfeature-sdk package's AbstractProvider) that
evaluates FlagMeter's flags over OFREP, with the key and the tenant (and environment) in every
context. The OFREP call and its mapping live in flagmeter.ofrep (tested against a real FlagMeter);
this module is only the glue to the openfeature-sdk classes, and needs that package:

    from openfeature import api
    from flagmeter.openfeature import FlagMeterProvider
    api.set_provider(FlagMeterProvider("https://flagmeter.example.com", key, tenant="acme-corp"))
    api.get_client().get_boolean_value("new-model", False, EvaluationContext("user-42"))
"""

from __future__ import annotations

from typing import Any, Union

try:
    from openfeature.evaluation_context import EvaluationContext  # type: ignore[import-not-found, unused-ignore]
    from openfeature.exception import ErrorCode  # type: ignore[import-not-found, unused-ignore]
    from openfeature.flag_evaluation import FlagResolutionDetails  # type: ignore[import-not-found, unused-ignore]
    from openfeature.provider import AbstractProvider, Metadata  # type: ignore[import-not-found, unused-ignore]
except ImportError as err:  # pragma: no cover - which branch runs depends on the machine
    raise ImportError(
        "flagmeter.openfeature needs the OpenFeature SDK: pip install openfeature-sdk. "
        "The rest of flagmeter works without it (flagmeter.ofrep.OfrepClient speaks OFREP directly).") from err

import httpx

from .ofrep import FlagKind, OfrepClient, Resolution

__all__ = ["FlagMeterProvider"]


class FlagMeterProvider(AbstractProvider):  # type: ignore[misc, unused-ignore]
    def __init__(self, base_url: str, api_key: str, *, tenant: str | None = None, env: str | None = None, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._ofrep = OfrepClient(base_url, api_key, tenant=tenant, env=env, timeout=timeout, transport=transport)

    def get_metadata(self) -> Any:
        return Metadata(name="FlagMeter")

    def shutdown(self) -> None:
        self._ofrep.close()

    def _resolve(self, flag_key: str, default: Any, kind: FlagKind, context: Any) -> Any:
        r: Resolution = self._ofrep.resolve(flag_key, default, kind, getattr(context, "targeting_key", None), getattr(context, "attributes", None))
        return FlagResolutionDetails(value=r.value, error_code=ErrorCode(r.error_code) if r.error_code else None, error_message=r.error_message,
                                     reason=r.reason, variant=r.variant, flag_metadata=r.flag_metadata)

    def resolve_boolean_details(self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None) -> Any:
        return self._resolve(flag_key, default_value, "boolean", evaluation_context)

    def resolve_string_details(self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None) -> Any:
        return self._resolve(flag_key, default_value, "string", evaluation_context)

    def resolve_integer_details(self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None) -> Any:
        return self._resolve(flag_key, default_value, "integer", evaluation_context)

    def resolve_float_details(self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None) -> Any:
        return self._resolve(flag_key, default_value, "float", evaluation_context)

    def resolve_object_details(self, flag_key: str, default_value: Union[dict[str, Any], list[Any]],
                               evaluation_context: EvaluationContext | None = None) -> Any:
        return self._resolve(flag_key, default_value, "object", evaluation_context)
