"""Finished units written off the event loop, many per fsync (group commit).

`RunFolder.append_*` fsyncs every line: right for durability, but each fsync takes
milliseconds and, called on the event loop, stalls every call in flight. Here one writer
thread takes whatever units finished since its last write, appends their judgment lines and
fsyncs judgments.jsonl, then appends their transcript lines and fsyncs transcripts.jsonl, and
only then tells each unit it is on disk. So the run folder's promises hold (a transcript line
on disk has its judgments on disk; a unit reported done survives a crash) with one fsync per
file per group instead of per line.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

Entry = tuple[list[dict[str, Any]], dict[str, Any], asyncio.Future[None]]


class GroupWriter:
    def __init__(self, append_units: Callable[[list[dict[str, Any]], list[dict[str, Any]]], None]) -> None:
        """`append_units(judgments, transcripts)` writes a group (RunFolder.append_units)."""
        self.append_units = append_units
        self._queue: list[Entry] = []
        self._lock = threading.Lock()
        self._busy = False

    async def write(self, judgments: list[dict[str, Any]], transcript: dict[str, Any]) -> None:
        """Return once the unit's judgment lines, then its transcript line, are fsynced."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._queue.append((judgments, transcript, done))
            start = not self._busy
            self._busy = True
        if start:
            loop.run_in_executor(None, self._drain, loop)
        await asyncio.shield(done)  # a cancelled unit's line is still written whole

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            with self._lock:
                group, self._queue = self._queue, []
                if not group:
                    self._busy = False
                    return
            try:
                self.append_units([j for js, _, _ in group for j in js], [t for _, t, _ in group])
                error: BaseException | None = None
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting unit
                error = exc
            for _, _, done in group:
                loop.call_soon_threadsafe(_settle, done, error)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
