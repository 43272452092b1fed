"""AsyncFlagMeter: the same semantics as FlagMeter on asyncio. The sender is a task on the loop of
the first track(); close() it before the loop ends. At interpreter exit without close(), the events
still undelivered (queued, or in the batch being posted when the loop stopped) are sent by a last
synchronous flush; with spill_dir, a sync client replays the folder and leaves there what it
cannot deliver (_at_exit)."""

from __future__ import annotations

import asyncio
import atexit
import weakref
from datetime import datetime
from typing import Any, Awaitable, Callable, TypeVar

import httpx

from ._wire import Retry, check_body, error_of, make_event, read_batch_answer, result_model, result_tokens, retry_after_seconds, retryable, unverified
from .client import FailMode, RetryInfo, WhenFull, _Base, _check_answer, _json
from .journal import Journal
from .errors import EntitlementDenied, FlagMeterError, FlagMeterHttpError, FlagMeterUnavailable, FlushTimeout, QueueFull

T = TypeVar("T")


class AsyncFlagMeter(_Base):
    def __init__(self, base_url: str, api_key: str | None = None, *, batch_size: int = 1000, flush_interval: float = 1.0,
                 max_queue_size: int = 100_000, when_full: WhenFull = "block", timeout: float = 10.0, retry: Retry | None = None,
                 fail_mode: FailMode = "closed", check_retries: int = 2, flush_at_exit: bool = True, exit_timeout: float = 10.0,
                 on_error: Callable[[FlagMeterError], None] | None = None, on_retry: Callable[[RetryInfo], None] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, spill_dir: str | None = None, spill_fsync: bool = False) -> None:
        super().__init__(base_url, api_key, batch_size=batch_size, flush_interval=flush_interval, max_queue_size=max_queue_size,
                         when_full=when_full, timeout=timeout, retry=retry, fail_mode=fail_mode, check_retries=check_retries,
                         on_error=on_error, on_retry=on_retry)
        self.exit_timeout = exit_timeout
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport)
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._flush_wanted = 0
        self._closed = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._sending: list[dict[str, Any]] = []
        self._background: set[asyncio.Future[Any]] = set()
        self._journal: Journal | None = None
        if spill_dir:
            self._journal = Journal(spill_dir, fsync=spill_fsync)
            events, files = self._journal.recover()
            for e in events:
                self._journal.append(e)
                self._queue.append(e)
            self._journal.forget(files)
            self._counts["accepted"] += len(events)
            self._counts["recovered"] = len(events)
        if flush_at_exit:
            ref = weakref.ref(self)

            def at_exit() -> None:
                fm = ref()
                if fm is not None:
                    fm._at_exit()

            self._atexit = at_exit
            atexit.register(at_exit)

    async def __aenter__(self) -> "AsyncFlagMeter":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- tracking -------------------------------------------------------------------------------
    def _enqueue(self, event: dict[str, Any]) -> None:
        if self._journal:
            self._journal.append(event)  # on disk before track() returns (a blocking write on the loop)
        self._queue.append(event)
        self._counts["accepted"] += 1
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        if len(self._queue) >= self.batch_size:
            self._wake.set()

    async def track(self, tenant: str, feature: str, tokens: int, *, id: str | None = None, timestamp: datetime | str | None = None,
                    user: str | None = None, reservation: str | None = None, block_timeout: float | None = None) -> str:
        """Queues one event and returns its idempotency id; under when_full="block" awaits room."""
        event = make_event(tenant, feature, tokens, id=id, timestamp=timestamp, user=user, reservation=reservation)
        if self._closed:
            raise FlagMeterError("FlagMeter: track() after close()")
        if len(self._queue) >= self.max_queue_size:
            if self.when_full == "block":
                async with self._progress:
                    try:
                        await asyncio.wait_for(self._progress.wait_for(lambda: len(self._queue) < self.max_queue_size), block_timeout)
                    except asyncio.TimeoutError:
                        raise QueueFull(self.max_queue_size) from None
            else:
                self._room_now()
        self._enqueue(event)
        return str(event["id"])

    def track_nowait(self, tenant: str, feature: str, tokens: int, **kw: Any) -> str:
        """track() without awaiting: under "block" with no room, the event waits in a task."""
        event = make_event(tenant, feature, tokens, **kw)
        if self._closed:
            raise FlagMeterError("FlagMeter: track() after close()")
        if len(self._queue) >= self.max_queue_size and self.when_full == "block":
            fut = asyncio.ensure_future(self.track(**event))
            self._background.add(fut)
            fut.add_done_callback(self._background.discard)
            return str(event["id"])
        if len(self._queue) >= self.max_queue_size:
            self._room_now()
        self._enqueue(event)
        return str(event["id"])

    def _room_now(self) -> None:
        if self.when_full == "raise":
            raise QueueFull(self.max_queue_size)
        dropped = self._queue.popleft()
        if self._journal:
            self._journal.settle(dropped)
        self._counts["dropped"] += 1
        self._finished += 1

    async def flush(self, timeout: float | None = None) -> None:
        target = self._counts["accepted"]
        if self._finished >= target:
            return
        if self._task is None:  # recovered events, nothing tracked yet
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._flush_wanted += 1
        self._wake.set()
        try:
            async with self._progress:
                await asyncio.wait_for(self._progress.wait_for(lambda: self._finished >= target), timeout)
        except asyncio.TimeoutError:
            raise FlushTimeout(target - self._finished) from None
        finally:
            self._flush_wanted -= 1

    async def close(self, timeout: float | None = None) -> dict[str, int]:
        if getattr(self, "_atexit", None):
            atexit.unregister(self._atexit)
        try:
            if not self._closed:
                await self.flush(self.exit_timeout if timeout is None else timeout)
        finally:
            self._closed = True
            self._stopping = True
            self._wake.set()
            if self._task:
                await asyncio.gather(self._task, return_exceptions=True)
            await self._http.aclose()
            if self._journal:
                self._journal.close()  # undelivered events stay in the folder for the next start
        return self.stats()

    def _at_exit(self) -> None:
        """The interpreter exits and the client was not closed (its loop is gone): what is undelivered,
        queued and the batch the sender was posting when the loop stopped, is posted by a last
        synchronous flush with the same ids (a batch the server had committed is answered as
        duplicates, counted once). With spill_dir a sync client takes the folder over instead: it
        replays every event not yet settled there, and what it cannot deliver within exit_timeout
        stays in the folder for the next start."""
        from .client import FlagMeter
        auth = self.headers.get("authorization", "")
        key = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        settings: dict[str, Any] = {"flush_at_exit": False, "on_error": self.on_error, "timeout": self.timeout, "retry": self.retry}
        if self._journal is not None:
            if not self._queue and not self._sending:
                return
            self._journal.close()
            fm = FlagMeter(self.base_url, key, spill_dir=self._journal.dir, spill_fsync=self._journal.fsync, **settings)
        else:
            pending = [*self._sending, *self._queue]
            if not pending:
                return
            fm = FlagMeter(self.base_url, key, **settings)
            with fm._cv:
                fm._queue.extend(pending)
                fm._counts["accepted"] += len(pending)
        try:
            fm.close(self.exit_timeout)
        except FlagMeterError as err:
            self.report(err)

    # -- the sender -----------------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._stopping:
            if len(self._queue) < self.batch_size and not (self._flush_wanted and self._queue):
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.flush_interval)
                except asyncio.TimeoutError:
                    pass
            if self._stopping:
                return
            if not self._queue:
                continue
            batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
            self._inflight = len(batch)
            self._sending = batch  # what an exit without close() still has to post
            async with self._progress:
                self._progress.notify_all()  # room for blocked track() calls
            try:
                left = await self._deliver(batch)
            except Exception as err:
                self.report(FlagMeterError(f"FlagMeter: the sender failed: {err}"))
                left = batch
            if self._journal:
                kept = {id(e) for e in left}
                for e in batch:
                    if id(e) not in kept:
                        self._journal.settle(e)
            self._inflight = 0
            self._sending = []
            self._finished += len(batch) - len(left)
            self._queue.extendleft(reversed(left))
            async with self._progress:
                self._progress.notify_all()

    async def _post(self, events: list[dict[str, Any]]) -> tuple[int | None, Any, Any]:
        try:
            r = await self._http.post("/api/events", json=events)
        except httpx.HTTPError:
            return None, None, {}
        return r.status_code, _json(r), r.headers

    async def _deliver(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        attempt = 0
        while items:
            if self._stopping:
                return items
            status, body, headers = await self._post(items)
            o = read_batch_answer(status, body, headers, len(items))
            if o.kind == "ok":
                self._counts["sent"] += len(items)
                self._counts["duplicates"] += o.duplicates
                return []
            if o.kind == "split":
                half = (len(items) + 1) // 2
                left = await self._deliver(items[:half])
                if left:
                    return left + items[half:]
                items, attempt = items[half:], 0
                continue
            if o.kind == "reject":
                refused = [e for i, e in enumerate(items) if i in o.bad] if o.bad else items
                self._rejected(refused, status or 0, o.reason)
                if not o.bad:
                    return []
                items = [e for i, e in enumerate(items) if i not in o.bad]
                continue
            delay = self.retry.delay(attempt, o.retry_after)
            attempt += 1
            self._retried(attempt, delay, status, o.retry_after, len(items))
            await asyncio.sleep(delay)
        return []

    # -- entitlements ---------------------------------------------------------------------------
    async def _with_retries(self, method: str, path: str, body: Any = None) -> httpx.Response:
        for attempt in range(self.check_retries + 1):
            try:
                r = await self._http.request(method, path, json=body)
                if not retryable(r.status_code) or attempt == self.check_retries:
                    return r
                wait = self.retry.delay(attempt, retry_after_seconds(r.headers.get("retry-after")))
            except httpx.HTTPError as err:
                if attempt == self.check_retries:
                    raise FlagMeterUnavailable(f"FlagMeter at {self.base_url} did not answer {method} {path}: {err}") from err
                wait = self.retry.delay(attempt, None)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _check(self, body: dict[str, Any], fail_mode: FailMode | None) -> dict[str, Any]:
        mode = fail_mode or self.fail_mode
        try:
            r = await self._with_retries("POST", "/api/check", body)
        except FlagMeterUnavailable:
            if mode == "open":
                return unverified(body["tenant"], body.get("feature"))
            raise
        return _check_answer(r.status_code, _json(r), body, mode)

    async def check(self, tenant: str, tokens: int | None = None, *, feature: str | None = None, id: str | None = None,
                    fail_mode: FailMode | None = None) -> dict[str, Any]:
        return await self._check(check_body(tenant, tokens, feature, id), fail_mode)

    async def reserve(self, tenant: str, tokens: int, *, feature: str | None = None, ttl_seconds: int | None = None,
                      user: str | None = None, id: str | None = None, fail_mode: FailMode | None = None) -> "AsyncReservation":
        body = check_body(tenant, tokens, feature, id, reserve=True, ttl_seconds=ttl_seconds)
        return AsyncReservation(self, body, await self._check(body, fail_mode), user)

    async def guard(self, tenant: str, estimate: int, fn: Callable[["AsyncReservation"], Awaitable[T]], *, feature: str | None = None,
                    usage: Callable[[T], int | None] | None = None, **kw: Any) -> T:
        r = await self.reserve(tenant, estimate, feature=feature, **kw)
        if not r.allowed:
            raise EntitlementDenied(r.answer)
        try:
            result = await fn(r)
        except BaseException:
            await r.release()
            raise
        actual = (usage(result) if usage else result_tokens(result)) or estimate
        await r.settle(actual, feature=feature or result_model(result))
        return result


class AsyncReservation:
    def __init__(self, fm: AsyncFlagMeter, request: dict[str, Any], answer: dict[str, Any], user: str | None) -> None:
        self._fm = fm
        self._request = request
        self.answer = answer
        self.allowed: bool = bool(answer.get("allowed"))
        self.id: str | None = (answer.get("reservation") or {}).get("id")
        self._user = user
        self._ended = not self.allowed

    async def settle(self, actual_tokens: int, *, feature: str | None = None, user: str | None = None) -> None:
        if self._ended:
            raise FlagMeterError("FlagMeter: nothing to settle (denied, or already settled or released)")
        feature = self._request.get("feature") or feature
        if not feature:
            raise TypeError("FlagMeter: settle() needs a feature (reserve(..., feature=) or settle(n, feature=))")
        event = make_event(self._request["tenant"], feature, actual_tokens, id=self._request["id"], user=user or self._user, reservation=self.id)
        self._ended = True
        try:
            r = await self._fm._with_retries("POST", "/api/events", event)
            if 200 <= r.status_code < 300:
                return
            if not retryable(r.status_code):
                code, message, _ = error_of(_json(r), r.status_code)
                raise FlagMeterHttpError(r.status_code, code, f"FlagMeter refused the settlement ({r.status_code}): {message}")
        except FlagMeterUnavailable:
            pass
        await self._fm.track(**event)

    async def release(self) -> bool:
        if self._ended or not self.id:
            return False
        self._ended = True
        try:
            r = await self._fm._with_retries("DELETE", f"/api/reservations/{self.id}")
        except FlagMeterUnavailable as err:
            self._fm.report(err)
            return False
        return r.status_code == 200
