"""FlagMeter (sync) delivery against a real FlagMeter: batches, idempotent retries, an outage
mid-stream, 429 + Retry-After, the queue-full policies, refused events, the exit flush."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from flagmeter import EventsRejected, FlagMeter, QueueFull, Retry
from conftest import FlakyTransport

FAST = Retry(initial=0.02, maximum=0.2)


def test_batches_ids_and_flush(server):
    t = server.tenant()
    with FlagMeter(server.url, server.key, batch_size=10, flush_interval=60) as fm:
        ids = [fm.track(t, "gpt-4o", i + 1, user=f"u{i % 3}") for i in range(25)]
        assert len(set(ids)) == 25
        fm.flush()
        assert server.usage(t) == (325, 25)
        assert fm.stats()["sent"] == 25


def test_a_caller_id_counts_once(server):
    t = server.tenant()
    with FlagMeter(server.url, server.key, flush_interval=60) as fm:
        fm.track(t, "f", 7, id="request-1")
        fm.flush()
        fm.track(t, "f", 7, id="request-1")
    assert server.usage(t) == (7, 1)
    assert fm.stats()["duplicates"] == 1


def test_invalid_events_raise_at_once(server):
    fm = FlagMeter(server.url, server.key, flush_at_exit=False)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(TypeError):
            fm.track("t", "f", bad)
    with pytest.raises(TypeError):
        fm.track("", "f", 1)
    fm.close()
    assert fm.stats()["accepted"] == 0


def test_a_lost_answer_is_retried_and_counted_once(server):
    t = server.tenant()
    transport = FlakyTransport()
    transport.lose = 2
    fm = FlagMeter(server.url, server.key, flush_interval=60, retry=FAST, transport=transport)
    for _ in range(50):
        fm.track(t, "gpt-4o", 10)
    fm.close()
    assert transport.requests == 3
    assert server.usage(t) == (500, 50)
    assert fm.stats()["duplicates"] == 50


def test_an_outage_mid_stream_loses_nothing_and_counts_nothing_twice(server):
    t = server.tenant()
    transport = FlakyTransport()
    fm = FlagMeter(server.url, server.key, batch_size=20, flush_interval=0.01, retry=FAST, transport=transport)
    for i in range(200):
        fm.track(t, "gpt-4o", 3)
    transport.down = True
    for i in range(200):
        fm.track(t, "gpt-4o", 3)
    deadline = time.monotonic() + 10
    while fm.stats()["retries"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fm.stats()["retries"] > 0
    transport.lose = 1  # and the first answer after the outage is lost too
    transport.down = False
    for i in range(200):
        fm.track(t, "gpt-4o", 3)
    fm.close(20)
    assert server.usage(t) == (1800, 600)
    assert fm.stats()["queued"] == 0


def test_a_server_restarted_mid_stream_loses_nothing_and_counts_nothing_twice(server):
    t = server.tenant()
    fm = FlagMeter(server.url, server.key, batch_size=20, flush_interval=0.01, retry=FAST)
    stopping = threading.Thread(target=server.stop)
    for i in range(600):
        fm.track(t, "gpt-4o", 3)
        if i == 200:
            stopping.start()  # tracking goes on into the stop and the outage
        if i % 10 == 0:
            time.sleep(0.001)
    stopping.join()
    for i in range(100):
        fm.track(t, "gpt-4o", 3)
    deadline = time.monotonic() + 10
    while fm.stats()["retries"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fm.stats()["retries"] > 0
    server.start()
    fm.close(30)
    assert server.usage(t) == (2100, 700)
    assert (fm.stats()["sent"], fm.stats()["rejected"], fm.stats()["queued"]) == (700, 0, 0)


def test_429_waits_at_least_retry_after(server):
    t = server.tenant(rateLimitPerSecond=10, rateLimitBurst=10)
    retries = []
    fm = FlagMeter(server.url, server.key, batch_size=10, flush_interval=60, on_retry=retries.append)
    for _ in range(20):
        fm.track(t, "f", 1)
    fm.close(30)
    assert retries
    for r in retries:
        assert r.status == 429
        assert r.retry_after >= 1
        assert r.delay >= r.retry_after
    assert server.usage(t) == (20, 20)


def test_queue_full_raise(server):
    t = server.tenant()
    fm = FlagMeter(server.url, server.key, max_queue_size=3, when_full="raise", flush_interval=60, flush_at_exit=False)
    for _ in range(3):
        fm.track(t, "f", 1)
    with pytest.raises(QueueFull):
        fm.track(t, "f", 100)
    fm.close()
    assert server.usage(t) == (3, 3)


def test_queue_full_drop_oldest(server):
    t = server.tenant()
    fm = FlagMeter(server.url, server.key, max_queue_size=3, when_full="drop-oldest", flush_interval=60, flush_at_exit=False)
    for tokens in (1, 2, 3, 4, 5):
        fm.track(t, "f", tokens)
    assert fm.stats()["dropped"] == 2
    fm.close()
    assert server.usage(t) == (12, 3)


def test_queue_full_block_waits_for_room(server):
    t = server.tenant()
    fm = FlagMeter(server.url, server.key, max_queue_size=2, flush_interval=60, flush_at_exit=False)
    fm.track(t, "f", 1)
    fm.track(t, "f", 2)
    with pytest.raises(QueueFull):
        fm.track(t, "f", 4, block_timeout=0.05)  # no room came in time
    done = threading.Event()
    blocked = threading.Thread(target=lambda: (fm.track(t, "f", 4), done.set()))
    blocked.start()
    assert not done.wait(0.1)
    fm.flush()  # sends the two queued events: room for the blocked one
    blocked.join(5)
    assert done.is_set()
    fm.close()
    assert server.usage(t) == (7, 3)


def test_refused_events_are_reported_and_the_rest_counted(server):
    t = server.tenant()
    errors = []
    fm = FlagMeter(server.url, server.key, flush_interval=60, on_error=errors.append)
    fm.track(t, "f", 5)
    fm.track("py-no-such-tenant", "f", 5)
    fm.track(t, "f", 6)
    fm.close()
    assert server.usage(t) == (11, 2)
    assert len(errors) == 1 and isinstance(errors[0], EventsRejected)
    assert [e["tenant"] for e in errors[0].events] == ["py-no-such-tenant"]


def test_the_interpreter_exit_flushes(server):
    t = server.tenant()
    code = (
        "import sys; from flagmeter import FlagMeter\n"
        f"fm = FlagMeter({server.url!r}, {server.key!r}, flush_interval=60)\n"
        f"for i in range(40): fm.track({t!r}, 'gpt-4o', i + 1)\n"
    )
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": src}, timeout=60)
    assert server.usage(t) == (820, 40)
