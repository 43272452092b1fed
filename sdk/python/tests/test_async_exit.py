"""AsyncFlagMeter at interpreter exit without close(), in a real subprocess (asyncio.run ends, the
loop and its sender task are gone): every event track() accepted, queued or in the batch the sender
was posting when the loop stopped, is delivered by the exit flush, once; with spill_dir and
FlagMeter unreachable, the events stay in the folder and the next start delivers them once."""

from __future__ import annotations

import os
import subprocess
import sys

from flagmeter import FlagMeter

SRC = os.path.join(os.path.dirname(__file__), "..", "src")

# the sender posts the first batch of 10 through a transport that takes 30 s, so when main() returns
# that batch is in flight (asyncio.run cancels the task) and 15 more events are queued
SCRIPT = """
import asyncio, httpx, sys
from flagmeter import AsyncFlagMeter

class Slow(httpx.AsyncBaseTransport):
    def __init__(self): self.inner = httpx.AsyncHTTPTransport()
    async def handle_async_request(self, request):
        await asyncio.sleep(30)
        return await self.inner.handle_async_request(request)

async def main(url, key, tenant, spill):
    fm = AsyncFlagMeter(url, key, batch_size=10, flush_interval=60, exit_timeout=5, transport=Slow(), spill_dir=spill or None,
                        retry=__import__('flagmeter').Retry(0.05, 0.2))
    for i in range(25):
        await fm.track(tenant, "gpt-4o", i + 1)
    await asyncio.sleep(0.3)
    assert fm.stats()["inflight"] == 10, fm.stats()
    # no close(): the interpreter exits with the client open

asyncio.run(main(*sys.argv[1:5]))
"""


def run(url: str, key: str, tenant: str, spill: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT, url, key, tenant, spill], env={**os.environ, "PYTHONPATH": SRC},
                          capture_output=True, text=True, timeout=90)


def test_exit_without_close_delivers_queued_and_in_flight_events_once(server):
    t = server.tenant()
    done = run(server.url, server.key, t)
    assert done.returncode == 0, done.stderr
    assert server.usage(t) == (325, 25)


def test_exit_with_spill_dir_delivers_and_leaves_the_folder_empty(server, tmp_path):
    t = server.tenant()
    spill = str(tmp_path / "spill")
    done = run(server.url, server.key, t, spill)
    assert done.returncode == 0, done.stderr
    assert server.usage(t) == (325, 25)
    assert [f for f in os.listdir(spill) if f.endswith(".jsonl")] == []


def test_exit_with_spill_dir_and_flagmeter_unreachable_keeps_the_events_for_the_next_start(server, tmp_path):
    t = server.tenant()
    spill = str(tmp_path / "spill")
    done = run("http://127.0.0.1:9", server.key, t, spill)
    assert done.returncode == 0, done.stderr
    assert "could not deliver 25 event(s)" in done.stderr  # on_error (warnings) heard it
    assert server.usage(t) == (0, 0)
    fm = FlagMeter(server.url, server.key, flush_interval=60, spill_dir=spill)
    assert fm.stats()["recovered"] == 25
    fm.close(20)
    assert server.usage(t) == (325, 25)
    assert os.listdir(spill) == []
