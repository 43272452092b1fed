"""FlagMeter for Python: meter AI usage per tenant, check and reserve budgets.

    from flagmeter import FlagMeter, meter_openai
    fm = FlagMeter("https://flagmeter.example.com", api_key)
    ai = meter_openai(OpenAI(), fm, tenant="acme-corp")
"""

from ._wire import Retry, tokens_of
from .aio import AsyncFlagMeter, AsyncReservation
from .ai import meter_anthropic, meter_openai
from .client import FlagMeter, Reservation, RetryInfo
from .evaluation import CompiledFlags
from .local import LocalFlags, bucket, evaluate_flag, murmur3
from .errors import (EntitlementDenied, EventsRejected, FlagMeterError, FlagMeterHttpError, FlagMeterUnavailable, FlushTimeout,
                     QueueFull)

__all__ = [
    "FlagMeter", "AsyncFlagMeter", "Reservation", "AsyncReservation", "Retry", "RetryInfo", "meter_openai", "meter_anthropic",
    "tokens_of", "FlagMeterError", "QueueFull", "FlagMeterHttpError", "FlagMeterUnavailable", "EventsRejected",
    "EntitlementDenied", "FlushTimeout", "LocalFlags", "CompiledFlags", "evaluate_flag", "bucket", "murmur3",
]
