"""The spill journal (spill_dir=): every event track() accepts is appended as a JSON line to a
segment file in the folder before track() returns, and a segment is deleted once each of its events
is delivered, refused for good or dropped. On start the folder's segments are read back and their
events queued again with their ids, so an event delivered just before a crash is counted once.
The write is os.write(2) (survives the process dying, not the machine losing power); fsync=True
also survives power loss, at one disk flush per event. One process per folder."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any


class _Segment:
    def __init__(self, file: str, fd: int) -> None:
        self.file = file
        self.fd = fd
        self.pending = 0
        self.written = 0


class Journal:
    def __init__(self, dir: str, *, fsync: bool = False, segment_events: int = 10_000) -> None:
        os.makedirs(dir, exist_ok=True)
        self.dir = dir
        self.fsync = fsync
        self.segment_events = segment_events
        self._lock = threading.Lock()
        self._current: _Segment | None = None
        self._segments: list[_Segment] = []
        self._of: dict[int, _Segment] = {}  # id(event) -> its segment, while the event is queued or in flight
        self._seq = 0

    def recover(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Events left by an earlier process (deduplicated by id), and the files they came from."""
        files = sorted(os.path.join(self.dir, f) for f in os.listdir(self.dir) if f.endswith(".jsonl"))
        seen: set[str] = set()
        events: list[dict[str, Any]] = []
        for file in files:
            with open(file, encoding="utf-8") as f:
                for line in f:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue  # a line cut short by the crash: its track() had not returned
                    if not isinstance(event, dict) or str(event.get("id")) in seen:
                        continue
                    seen.add(str(event.get("id")))
                    events.append(event)
        return events, files

    def forget(self, files: list[str]) -> None:
        """Deletes files whose events have been journaled again in a current segment."""
        for file in files:
            try:
                os.remove(file)
            except FileNotFoundError:
                pass

    def append(self, event: dict[str, Any]) -> None:
        """Writes the event before returning; raises OSError when it could not (the event is then not queued)."""
        line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        with self._lock:
            segment = self._segment()
            os.write(segment.fd, line)
            if self.fsync:
                os.fsync(segment.fd)
            segment.written += 1
            segment.pending += 1
            self._of[id(event)] = segment

    def settle(self, event: dict[str, Any]) -> None:
        """The event is finished (delivered, refused or dropped): delete its segment when nothing in it is pending."""
        with self._lock:
            segment = self._of.pop(id(event), None)
            if segment is None:
                return
            segment.pending -= 1
            if segment.pending == 0:
                self._remove(segment)

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(s.pending for s in self._segments)

    def close(self) -> None:
        """Closes the files; what is still pending stays in them for the next start."""
        with self._lock:
            for s in self._segments:
                try:
                    os.close(s.fd)
                except OSError:
                    pass
            self._segments = []
            self._current = None
            self._of.clear()

    def _segment(self) -> _Segment:
        if self._current is not None and self._current.written < self.segment_events:
            return self._current
        name = f"{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}.jsonl"
        self._seq += 1
        file = os.path.join(self.dir, name)
        self._current = _Segment(file, os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        self._segments.append(self._current)
        return self._current

    def _remove(self, segment: _Segment) -> None:
        if segment is self._current:
            self._current = None
        self._segments.remove(segment)
        os.close(segment.fd)
        try:
            os.remove(segment.file)
        except FileNotFoundError:
            pass
