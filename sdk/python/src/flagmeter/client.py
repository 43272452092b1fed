"""FlagMeter (sync): track() puts an event in a bounded in-memory queue and returns; one sender
thread posts batches to POST /api/events and retries until the server acknowledges them."""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Literal, TypeVar

import httpx

from ._wire import Retry, check_body, error_of, make_event, read_batch_answer, result_model, result_tokens, retry_after_seconds, retryable, unverified
from .journal import Journal
from .errors import EntitlementDenied, EventsRejected, FlagMeterError, FlagMeterHttpError, FlagMeterUnavailable, FlushTimeout, QueueFull

WhenFull = Literal["block", "drop-oldest", "raise"]
FailMode = Literal["open", "closed"]
T = TypeVar("T")


@dataclass
class RetryInfo:
    attempt: int
    delay: float
    status: int | None
    retry_after: float | None
    events: int


class _Base:
    """Options and counters both clients share."""

    def __init__(self, base_url: str, api_key: str | None, *, batch_size: int, flush_interval: float, max_queue_size: int,
                 when_full: WhenFull, timeout: float, retry: Retry | None, fail_mode: FailMode, check_retries: int,
                 on_error: Callable[[FlagMeterError], None] | None, on_retry: Callable[[RetryInfo], None] | None) -> None:
        if not base_url:
            raise TypeError("FlagMeter: base_url is required")
        if not 1 <= batch_size <= 1000:
            raise TypeError("FlagMeter: batch_size must be 1-1000")
        if max_queue_size < 1:
            raise TypeError("FlagMeter: max_queue_size must be positive")
        if when_full not in ("block", "drop-oldest", "raise"):
            raise TypeError('FlagMeter: when_full must be "block", "drop-oldest" or "raise"')
        self.base_url = base_url.rstrip("/")
        self.headers = {"accept": "application/json", **({"authorization": f"Bearer {api_key}"} if api_key else {})}
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue_size = max_queue_size
        self.when_full = when_full
        self.timeout = timeout
        self.retry = retry or Retry()
        self.fail_mode = fail_mode
        self.check_retries = check_retries
        self.on_error = on_error
        self.on_retry = on_retry
        self._queue: deque[dict[str, Any]] = deque()
        self._counts = {"accepted": 0, "sent": 0, "duplicates": 0, "dropped": 0, "rejected": 0, "retries": 0}
        self._finished = 0
        self._inflight = 0

    def stats(self) -> dict[str, int]:
        return {**self._counts, "queued": len(self._queue), "inflight": self._inflight}

    def report(self, err: FlagMeterError) -> None:
        try:
            if self.on_error:
                self.on_error(err)
            else:
                import warnings
                warnings.warn(f"[flagmeter] {err}", stacklevel=2)
        except Exception:  # a failing handler must not break delivery
            pass

    def _retried(self, attempt: int, delay: float, status: int | None, retry_after: float | None, events: int) -> None:
        self._counts["retries"] += 1
        if self.on_retry:
            try:
                self.on_retry(RetryInfo(attempt, delay, status, retry_after, events))
            except Exception:
                pass

    def _rejected(self, events: list[dict[str, Any]], status: int, reason: str) -> None:
        self._counts["rejected"] += len(events)
        self.report(EventsRejected(events, status, reason))


class FlagMeter(_Base):
    """The sync client. Thread-safe; one sender thread per client; flushed at interpreter exit."""

    def __init__(self, base_url: str, api_key: str | None = None, *, batch_size: int = 1000, flush_interval: float = 1.0,
                 max_queue_size: int = 100_000, when_full: WhenFull = "block", timeout: float = 10.0, retry: Retry | None = None,
                 fail_mode: FailMode = "closed", check_retries: int = 2, flush_at_exit: bool = True, exit_timeout: float = 10.0,
                 on_error: Callable[[FlagMeterError], None] | None = None, on_retry: Callable[[RetryInfo], None] | None = None,
                 transport: httpx.BaseTransport | None = None, spill_dir: str | None = None, spill_fsync: bool = False) -> None:
        super().__init__(base_url, api_key, batch_size=batch_size, flush_interval=flush_interval, max_queue_size=max_queue_size,
                         when_full=when_full, timeout=timeout, retry=retry, fail_mode=fail_mode, check_retries=check_retries,
                         on_error=on_error, on_retry=on_retry)
        self.exit_timeout = exit_timeout
        self._http = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=timeout, transport=transport)
        self._cv = threading.Condition()
        self._flush_wanted = 0
        self._closed = False
        self._stop = threading.Event()
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
        self._thread = threading.Thread(target=self._run, name="flagmeter-sender", daemon=True)
        self._thread.start()
        if flush_at_exit:
            ref = weakref.ref(self)

            def at_exit() -> None:
                fm = ref()
                if fm is not None:
                    fm._at_exit()

            self._atexit = at_exit
            atexit.register(at_exit)

    def __enter__(self) -> "FlagMeter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tracking -------------------------------------------------------------------------------
    def track(self, tenant: str, feature: str, tokens: int, *, id: str | None = None, timestamp: datetime | str | None = None,
              user: str | None = None, reservation: str | None = None, block_timeout: float | None = None) -> str:
        """Queues one event and returns its idempotency id. Raises TypeError for an invalid event,
        QueueFull under when_full="raise" (or "block" past block_timeout); "block" waits for room."""
        event = make_event(tenant, feature, tokens, id=id, timestamp=timestamp, user=user, reservation=reservation)
        with self._cv:
            if self._closed:
                raise FlagMeterError("FlagMeter: track() after close()")
            if len(self._queue) >= self.max_queue_size:
                if self.when_full == "raise":
                    raise QueueFull(self.max_queue_size)
                if self.when_full == "drop-oldest":
                    dropped = self._queue.popleft()
                    if self._journal:
                        self._journal.settle(dropped)
                    self._counts["dropped"] += 1
                    self._finished += 1
                elif not self._cv.wait_for(lambda: len(self._queue) < self.max_queue_size or self._closed, timeout=block_timeout):
                    raise QueueFull(self.max_queue_size)
            if self._journal:
                self._journal.append(event)  # on disk before track() returns; an OSError means not queued
            self._queue.append(event)
            self._counts["accepted"] += 1
            if len(self._queue) >= self.batch_size:
                self._cv.notify_all()
        return str(event["id"])

    def flush(self, timeout: float | None = None) -> None:
        """Sends everything accepted so far; returns when the server has it (or refused it for good)."""
        with self._cv:
            target = self._counts["accepted"]
            self._flush_wanted += 1
            self._cv.notify_all()
            try:
                if not self._cv.wait_for(lambda: self._finished >= target, timeout=timeout):
                    raise FlushTimeout(target - self._finished)
            finally:
                self._flush_wanted -= 1

    def close(self, timeout: float | None = None) -> dict[str, int]:
        """Flushes (up to timeout, default exit_timeout) and stops the sender. Events still
        undelivered then are lost: close() raises FlushTimeout saying how many."""
        if getattr(self, "_atexit", None):
            atexit.unregister(self._atexit)
        try:
            if not self._closed:
                self.flush(self.exit_timeout if timeout is None else timeout)
        finally:
            with self._cv:
                self._closed = True
                self._stop.set()
                self._cv.notify_all()
            self._thread.join(timeout=self.timeout + 1)
            self._http.close()
            if self._journal:
                self._journal.close()  # undelivered events stay in the folder for the next start
        return self.stats()

    def _at_exit(self) -> None:
        try:
            self.close()
        except FlagMeterError as err:
            self.report(err)

    # -- the sender -----------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._stop.is_set() or len(self._queue) >= self.batch_size or (self._flush_wanted > 0 and self._queue),
                                  timeout=self.flush_interval)
                if self._stop.is_set():
                    return
                if not self._queue:
                    continue
                batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
                self._inflight = len(batch)
                self._cv.notify_all()  # room for blocked track() calls
            try:
                left = self._deliver(batch)
            except Exception as err:  # never let the sender die
                self.report(FlagMeterError(f"FlagMeter: the sender failed: {err}"))
                left = batch
            if self._journal:
                kept = {id(e) for e in left}
                for e in batch:
                    if id(e) not in kept:
                        self._journal.settle(e)
            with self._cv:
                self._inflight = 0
                self._finished += len(batch) - len(left)
                self._queue.extendleft(reversed(left))
                self._cv.notify_all()

    def _post(self, events: list[dict[str, Any]]) -> tuple[int | None, Any, Any]:
        try:
            r = self._http.post("/api/events", json=events)
        except httpx.HTTPError:
            return None, None, {}
        try:
            body = r.json()
        except ValueError:
            body = None
        return r.status_code, body, r.headers

    def _deliver(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Delivers (splitting, dropping what is refused for good, retrying the rest); returns what is left at close."""
        attempt = 0
        while items:
            if self._stop.is_set():
                return items
            status, body, headers = self._post(items)
            o = read_batch_answer(status, body, headers, len(items))
            if o.kind == "ok":
                self._counts["sent"] += len(items)
                self._counts["duplicates"] += o.duplicates
                return []
            if o.kind == "split":
                half = (len(items) + 1) // 2
                left = self._deliver(items[:half])
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
            self._stop.wait(delay)
        return []

    # -- entitlements ---------------------------------------------------------------------------
    def _with_retries(self, method: str, path: str, body: Any = None) -> httpx.Response:
        for attempt in range(self.check_retries + 1):
            try:
                r = self._http.request(method, path, json=body)
                if not retryable(r.status_code) or attempt == self.check_retries:
                    return r
                wait = self.retry.delay(attempt, retry_after_seconds(r.headers.get("retry-after")))
            except httpx.HTTPError as err:
                if attempt == self.check_retries:
                    raise FlagMeterUnavailable(f"FlagMeter at {self.base_url} did not answer {method} {path}: {err}") from err
                wait = self.retry.delay(attempt, None)
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _check(self, body: dict[str, Any], fail_mode: FailMode | None) -> dict[str, Any]:
        mode = fail_mode or self.fail_mode
        try:
            r = self._with_retries("POST", "/api/check", body)
        except FlagMeterUnavailable:
            if mode == "open":
                return unverified(body["tenant"], body.get("feature"))
            raise
        return _check_answer(r.status_code, _json(r), body, mode)

    def check(self, tenant: str, tokens: int | None = None, *, feature: str | None = None, id: str | None = None,
              fail_mode: FailMode | None = None) -> dict[str, Any]:
        """May the tenant spend `tokens` (on `feature`) now? The server's answer (allowed, reason, figures)."""
        return self._check(check_body(tenant, tokens, feature, id), fail_mode)

    def reserve(self, tenant: str, tokens: int, *, feature: str | None = None, ttl_seconds: int | None = None, user: str | None = None,
                id: str | None = None, fail_mode: FailMode | None = None) -> "Reservation":
        """Holds `tokens` if they fit; settle() the handle with the real count, or release() it."""
        body = check_body(tenant, tokens, feature, id, reserve=True, ttl_seconds=ttl_seconds)
        return Reservation(self, body, self._check(body, fail_mode), user)

    def guard(self, tenant: str, estimate: int, fn: Callable[["Reservation"], T], *, feature: str | None = None,
              usage: Callable[[T], int | None] | None = None, **kw: Any) -> T:
        """Reserves `estimate`, runs fn, settles with the real usage (usage(result), or the result's
        OpenAI/Anthropic usage, else the estimate); releases and re-raises when fn raises."""
        r = self.reserve(tenant, estimate, feature=feature, **kw)
        if not r.allowed:
            raise EntitlementDenied(r.answer)
        try:
            result = fn(r)
        except BaseException:
            r.release()
            raise
        actual = (usage(result) if usage else result_tokens(result)) or estimate
        r.settle(actual, feature=feature or result_model(result))
        return result


def _json(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return None


def _check_answer(status: int, body: Any, request: dict[str, Any], mode: str) -> dict[str, Any]:
    if status == 200 and isinstance(body, dict):
        return body
    code, message, _ = error_of(body, status)
    if retryable(status):
        if mode == "open":
            return unverified(request["tenant"], request.get("feature"))
        raise FlagMeterUnavailable(f"FlagMeter's check answered {status}: {message}")
    raise FlagMeterHttpError(status, code, f"FlagMeter refused the check ({status} {code or ''}): {message}", body)


class Reservation:
    """The handle reserve() returns: settle(actual) or release()."""

    def __init__(self, fm: FlagMeter, request: dict[str, Any], answer: dict[str, Any], user: str | None) -> None:
        self._fm = fm
        self._request = request
        self.answer = answer
        self.allowed: bool = bool(answer.get("allowed"))
        self.id: str | None = (answer.get("reservation") or {}).get("id")
        self._user = user
        self._ended = not self.allowed

    def settle(self, actual_tokens: int, *, feature: str | None = None, user: str | None = None) -> None:
        """Counts the real tokens and ends the hold in one transaction (an event with the reservation).
        When FlagMeter stays unreachable the event is queued for the sender (same id: counted once)."""
        if self._ended:
            raise FlagMeterError("FlagMeter: nothing to settle (denied, or already settled or released)")
        feature = self._request.get("feature") or feature
        if not feature:
            raise TypeError("FlagMeter: settle() needs a feature (reserve(..., feature=) or settle(n, feature=))")
        event = make_event(self._request["tenant"], feature, actual_tokens, id=self._request["id"], user=user or self._user, reservation=self.id)
        self._ended = True
        try:
            r = self._fm._with_retries("POST", "/api/events", event)
            if 200 <= r.status_code < 300:
                return
            if not retryable(r.status_code):
                code, message, _ = error_of(_json(r), r.status_code)
                raise FlagMeterHttpError(r.status_code, code, f"FlagMeter refused the settlement ({r.status_code}): {message}")
        except FlagMeterUnavailable:
            pass
        self._fm.track(**event)

    def release(self) -> bool:
        """Gives the held tokens back; True when released, False when there was nothing to release."""
        if self._ended or not self.id:
            return False
        self._ended = True
        try:
            r = self._fm._with_retries("DELETE", f"/api/reservations/{self.id}")
        except FlagMeterUnavailable as err:
            self._fm.report(err)
            return False
        return r.status_code == 200

