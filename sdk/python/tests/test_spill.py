"""The spill journal (spill_dir=) against a real FlagMeter: a process SIGKILLed after track()
returned, with the server unreachable, loses nothing; the next start delivers each event once."""

from __future__ import annotations

import os
import subprocess
import sys

from flagmeter import FlagMeter


def test_a_sigkilled_process_loses_nothing_and_counts_once(server, tmp_path):
    t = server.tenant()
    spill = str(tmp_path / "spill")
    code = (
        "import os; from flagmeter import FlagMeter\n"
        f"fm = FlagMeter('http://127.0.0.1:9', {server.key!r}, flush_interval=60, spill_dir={spill!r})\n"
        f"for i in range(30): fm.track({t!r}, 'gpt-4o', i + 1)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    run = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": src}, timeout=60)
    assert run.returncode == -9
    assert server.usage(t) == (0, 0)
    fm = FlagMeter(server.url, server.key, flush_interval=60, spill_dir=spill)
    assert fm.stats()["recovered"] == 30
    fm.close(20)
    assert server.usage(t) == (465, 30)
    assert os.listdir(spill) == []
    FlagMeter(server.url, server.key, flush_interval=60, spill_dir=spill).close(20)  # nothing left to replay
    assert server.usage(t) == (465, 30)


def test_acknowledged_events_are_not_replayed(server, tmp_path):
    t = server.tenant()
    spill = str(tmp_path / "spill")
    with FlagMeter(server.url, server.key, flush_interval=60, spill_dir=spill) as fm:
        for _ in range(10):
            fm.track(t, "f", 2)
        fm.flush()
        assert os.listdir(spill) == []
    again = FlagMeter(server.url, server.key, flush_interval=60, spill_dir=spill)
    assert again.stats()["recovered"] == 0
    again.close()
    assert server.usage(t) == (20, 10)


async def _async_round(server, t, spill):
    from flagmeter import AsyncFlagMeter
    async with AsyncFlagMeter(server.url, server.key, flush_interval=60, spill_dir=spill) as fm:
        for _ in range(5):
            await fm.track(t, "f", 3)
        await fm.flush()
        assert os.listdir(spill) == []


def test_async_acknowledged_events_are_not_replayed(server, tmp_path):
    import asyncio
    t = server.tenant()
    spill = str(tmp_path / "spill")
    asyncio.run(_async_round(server, t, spill))
    asyncio.run(_async_round(server, t, spill))
    assert server.usage(t) == (30, 10)
