"""The errors the SDK raises or reports; every one is a FlagMeterError."""

from __future__ import annotations

from typing import Any, Sequence


class FlagMeterError(Exception):
    """Base class of every FlagMeter SDK error."""


class QueueFull(FlagMeterError):
    """track() with when_full="raise" (or "block" past block_timeout) and no room: nothing was queued."""

    def __init__(self, capacity: int) -> None:
        super().__init__(f"The FlagMeter queue is full ({capacity} events): the event was not queued.")
        self.capacity = capacity


class FlagMeterHttpError(FlagMeterError):
    """The server answered with an error a retry cannot fix."""

    def __init__(self, status: int, code: str | None, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body


class FlagMeterUnavailable(FlagMeterError):
    """FlagMeter could not be reached (network error, timeout) or kept answering 5xx/429."""


class EventsRejected(FlagMeterError):
    """Events the server refused for good (invalid, unknown tenant, forbidden); not retried."""

    def __init__(self, events: Sequence[dict[str, Any]], status: int, reason: str) -> None:
        super().__init__(f"FlagMeter refused {len(events)} event(s) ({status}): {reason}")
        self.events = list(events)
        self.status = status


class EntitlementDenied(FlagMeterError):
    """guard() when the check denied: the function was not called."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(f"FlagMeter denied the spend: {answer.get('reason')} (remaining: {answer.get('remaining')})")
        self.answer = answer


class FlushTimeout(FlagMeterError):
    """flush()/close() ran out of time with events still undelivered."""

    def __init__(self, undelivered: int) -> None:
        super().__init__(f"FlagMeter could not deliver {undelivered} event(s) in time.")
        self.undelivered = undelivered
