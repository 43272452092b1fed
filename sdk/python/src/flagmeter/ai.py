"""meter_openai / meter_anthropic: the same client, whose completions also record
{tenant, feature: model, tokens, user} from the provider's usage — answered or streamed, sync or
async. Recording is a track() (an in-memory append); its failures go to on_error, never to the call."""

from __future__ import annotations

import inspect
from typing import Any, Callable, TypeVar

from ._wire import tokens_of
from .aio import AsyncFlagMeter
from .client import FlagMeter
from .errors import FlagMeterError

C = TypeVar("C")


class _Proxy:
    """Forwards everything to the real client, except the methods at the wrapped dotted paths."""

    def __init__(self, target: Any, wraps: dict[str, Callable[[Any], Any]], prefix: str = "") -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_wraps", wraps)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        path = f"{self._prefix}.{name}" if self._prefix else name
        if path in self._wraps and callable(value):
            return self._wraps[path](value)
        if any(k.startswith(path + ".") for k in self._wraps):
            return _Proxy(value, self._wraps, path)
        return value


class _Meter:
    def __init__(self, fm: FlagMeter | AsyncFlagMeter, tenant: Any, user: Any, feature: Callable[[str], str] | None) -> None:
        self.fm, self.tenant, self.user, self.feature = fm, tenant, user, feature

    def who(self, model: Any) -> tuple[str, str | None, str]:
        tenant = self.tenant() if callable(self.tenant) else self.tenant
        user = self.user() if callable(self.user) else self.user
        name = model if isinstance(model, str) else "unknown"
        return tenant, user, self.feature(name) if self.feature else name

    def answered(self, who: tuple[str, str | None, str]) -> Callable[[Any], Any]:
        """For an answer (not a stream): record its usage, hand it back unchanged."""
        def finish(result: Any) -> Any:
            self.record(who, tokens_of(getattr(result, "usage", None)))
            return result
        return finish

    def record(self, who: tuple[str, str | None, str], tokens: int | None) -> None:
        if not tokens or tokens <= 0:
            return
        tenant, user, feature = who
        try:
            if isinstance(self.fm, AsyncFlagMeter):
                self.fm.track_nowait(tenant, feature, tokens, user=user)
            else:
                self.fm.track(tenant, feature, tokens, user=user)
        except Exception as err:  # metering never breaks the call
            self.fm.report(err if isinstance(err, FlagMeterError) else FlagMeterError(f"FlagMeter could not record usage: {err}"))


def _tap(stream: Any, on_item: Callable[[Any], bool], on_end: Callable[[], None]) -> Any:
    """Replaces the stream's iterator (the same object is returned): sees every item, may hide one, ends once."""
    inner = getattr(stream, "_iterator", None)
    if inner is None:
        return stream
    if hasattr(inner, "__anext__"):
        async def agen() -> Any:
            try:
                async for item in inner:
                    if not on_item(item):
                        yield item
            finally:
                on_end()
        stream._iterator = agen()
    else:
        def gen() -> Any:
            try:
                for item in inner:
                    if not on_item(item):
                        yield item
            finally:
                on_end()
        stream._iterator = gen()
    return stream


def _wrap(create: Callable[..., Any], prepare: Callable[[dict[str, Any]], tuple[dict[str, Any], Callable[[Any], Any]]]) -> Callable[..., Any]:
    """create(**kwargs) with the kwargs prepared; the result handed to `finish` (after awaiting, for async clients)."""
    def call(*args: Any, **kwargs: Any) -> Any:
        kwargs, finish = prepare(kwargs)
        result = create(*args, **kwargs)
        if inspect.isawaitable(result):
            async def awaited() -> Any:
                return finish(await result)
            return awaited()
        return finish(result)
    return call


def meter_openai(client: C, fm: FlagMeter | AsyncFlagMeter, *, tenant: str | Callable[[], str], user: str | Callable[[], str | None] | None = None,
                 feature: Callable[[str], str] | None = None) -> C:
    """chat.completions.create and responses.create, sync or async, answered or streamed. For a
    stream the wrapper asks for stream_options.include_usage when the caller did not, and then
    hides the usage-only last chunk, so the caller sees the chunks it would have seen."""
    meter = _Meter(fm, tenant, user, feature)

    def chat(kwargs: dict[str, Any]) -> tuple[dict[str, Any], Callable[[Any], Any]]:
        who = meter.who(kwargs.get("model"))
        if kwargs.get("stream") is not True:
            return kwargs, meter.answered(who)
        options = kwargs.get("stream_options")
        options = options if isinstance(options, dict) else {}
        injected = options.get("include_usage") is not True
        if injected:
            kwargs = {**kwargs, "stream_options": {**options, "include_usage": True}}
        seen: dict[str, int | None] = {"tokens": None}

        def item(chunk: Any) -> bool:
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                seen["tokens"] = tokens_of(usage)
            return injected and usage is not None and not getattr(chunk, "choices", None)

        return kwargs, lambda s: _tap(s, item, lambda: meter.record(who, seen["tokens"]))

    def responses(kwargs: dict[str, Any]) -> tuple[dict[str, Any], Callable[[Any], Any]]:
        who = meter.who(kwargs.get("model"))
        if kwargs.get("stream") is not True:
            return kwargs, meter.answered(who)
        seen: dict[str, int | None] = {"tokens": None}

        def item(event: Any) -> bool:
            response = getattr(event, "response", None)
            if response is not None and getattr(response, "usage", None) is not None:
                seen["tokens"] = tokens_of(response.usage)
            return False

        return kwargs, lambda s: _tap(s, item, lambda: meter.record(who, seen["tokens"]))

    return _Proxy(client, {  # type: ignore[return-value]
        "chat.completions.create": lambda create: _wrap(create, chat),
        "responses.create": lambda create: _wrap(create, responses),
    })


def meter_anthropic(client: C, fm: FlagMeter | AsyncFlagMeter, *, tenant: str | Callable[[], str], user: str | Callable[[], str | None] | None = None,
                    feature: Callable[[str], str] | None = None) -> C:
    """messages.create, sync or async, answered or streamed (stream=True): input + output + cache
    tokens, for a stream from message_start and the last message_delta (cumulative)."""
    meter = _Meter(fm, tenant, user, feature)
    keys = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")

    def messages(kwargs: dict[str, Any]) -> tuple[dict[str, Any], Callable[[Any], Any]]:
        who = meter.who(kwargs.get("model"))
        if kwargs.get("stream") is not True:
            return kwargs, meter.answered(who)
        usage: dict[str, int] = {}

        def merge(u: Any) -> None:
            for k in keys:
                v = getattr(u, k, None)
                if isinstance(v, int):
                    usage[k] = v

        def item(event: Any) -> bool:
            kind = getattr(event, "type", None)
            if kind == "message_start":
                merge(getattr(event.message, "usage", None))
            elif kind == "message_delta":
                merge(getattr(event, "usage", None))
            return False

        return kwargs, lambda s: _tap(s, item, lambda: meter.record(who, tokens_of(usage)))

    return _Proxy(client, {"messages.create": lambda create: _wrap(create, messages)})  # type: ignore[return-value]
