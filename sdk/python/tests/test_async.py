"""AsyncFlagMeter delivery against a real FlagMeter."""

from __future__ import annotations

import pytest

from flagmeter import AsyncFlagMeter, QueueFull, Retry
from conftest import AsyncFlakyTransport


async def test_batches_and_a_lost_answer_counted_once(server):
    t = server.tenant()
    transport = AsyncFlakyTransport()
    transport.lose = 1
    fm = AsyncFlagMeter(server.url, server.key, batch_size=10, flush_interval=60, retry=Retry(0.02, 0.1), transport=transport, flush_at_exit=False)
    ids = [await fm.track(t, "gpt-4o", 2) for _ in range(25)]
    assert len(set(ids)) == 25
    await fm.close()
    assert server.usage(t) == (50, 25)
    assert fm.stats()["retries"] == 1 and fm.stats()["duplicates"] == 10


async def test_queue_policies(server):
    t = server.tenant()
    fm = AsyncFlagMeter(server.url, server.key, max_queue_size=2, when_full="raise", flush_interval=60, flush_at_exit=False)
    await fm.track(t, "f", 1)
    await fm.track(t, "f", 2)
    with pytest.raises(QueueFull):
        await fm.track(t, "f", 3)
    await fm.close()
    blocking = AsyncFlagMeter(server.url, server.key, max_queue_size=2, flush_interval=60, flush_at_exit=False)
    await blocking.track(t, "f", 10)
    await blocking.track(t, "f", 20)
    with pytest.raises(QueueFull):
        await blocking.track(t, "f", 40, block_timeout=0.05)
    blocking.track_nowait(t, "f", 40)  # waits in a task for room
    await blocking.flush()
    await blocking.close()
    assert server.usage(t) == (73, 5)
