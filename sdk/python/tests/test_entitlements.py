"""check / reserve / settle / release / guard (sync and async) against a real FlagMeter, and the
fail mode when FlagMeter cannot be reached."""

from __future__ import annotations

import socket

import pytest

from flagmeter import AsyncFlagMeter, EntitlementDenied, FlagMeter, FlagMeterUnavailable, Retry


@pytest.fixture
def fm(server):
    client = FlagMeter(server.url, server.key, flush_interval=60, flush_at_exit=False)
    yield client
    client.close()


def nowhere() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_check_fits_or_would_exceed(server, fm):
    t = server.tenant(quota=1000, hard=True)
    assert fm.check(t, 100)["allowed"] is True
    fm.track(t, "gpt-4o", 950)
    fm.flush()
    answer = fm.check(t, 100)
    assert (answer["allowed"], answer["reason"], answer["remaining"]) == (False, "would_exceed", 50)


def test_reserve_settle_release(server, fm):
    t = server.tenant(quota=1000, hard=True)
    r = fm.reserve(t, 300, feature="gpt-4o", user="alice")
    assert r.allowed and r.id
    assert server.reserved(t) == 300
    r.settle(120)
    assert server.reserved(t) == 0
    assert server.usage(t) == (120, 1)
    r2 = fm.reserve(t, 400, feature="gpt-4o")
    assert server.reserved(t) == 400
    assert r2.release() is True
    assert r2.release() is False
    assert server.reserved(t) == 0
    denied = fm.reserve(t, 5000, feature="gpt-4o")
    assert (denied.allowed, denied.id, denied.answer["reason"]) == (False, None, "would_exceed")


def test_guard_settles_with_the_results_usage_and_releases_on_error(server, fm):
    t = server.tenant(quota=1000, hard=True)
    result = fm.guard(t, 200, lambda r: {"model": "gpt-4o", "usage": {"total_tokens": 42}})
    assert result["usage"]["total_tokens"] == 42
    assert server.usage(t) == (42, 1)
    with pytest.raises(RuntimeError):
        fm.guard(t, 200, lambda r: (_ for _ in ()).throw(RuntimeError("model down")), feature="gpt-4o")
    assert server.reserved(t) == 0
    called = []
    with pytest.raises(EntitlementDenied):
        fm.guard(t, 5000, lambda r: called.append(1), feature="gpt-4o")
    assert called == []


def test_unreachable_closed_raises_open_is_unverified():
    url = nowhere()
    closed = FlagMeter(url, check_retries=1, retry=Retry(0.005, 0.01), flush_at_exit=False)
    with pytest.raises(FlagMeterUnavailable):
        closed.check("t", 1)
    closed.close()
    opened = FlagMeter(url, check_retries=1, retry=Retry(0.005, 0.01), fail_mode="open", flush_at_exit=False)
    answer = opened.check("t", 1)
    assert (answer["allowed"], answer["reason"], answer["limit"]) == (True, "unverified", None)
    r = opened.reserve("t", 10, feature="f")
    assert r.allowed and r.id is None
    r.settle(10)  # cannot be posted now: queued for the sender instead
    assert opened.stats()["queued"] + opened.stats()["inflight"] == 1
    with pytest.raises(Exception):
        opened.close(0.05)


async def test_async_reserve_settle_guard(server):
    t = server.tenant(quota=1000, hard=True)
    async with AsyncFlagMeter(server.url, server.key, flush_interval=60, flush_at_exit=False) as afm:
        r = await afm.reserve(t, 300, feature="gpt-4o")
        assert r.allowed and server.reserved(t) == 300
        await r.settle(100)
        assert server.usage(t) == (100, 1)

        async def call(_r):
            return {"model": "gpt-4o", "usage": {"input_tokens": 10, "output_tokens": 5}}

        await afm.guard(t, 100, call)
        assert server.usage(t) == (115, 2)
        with pytest.raises(EntitlementDenied):
            await afm.guard(t, 5000, call, feature="gpt-4o")
