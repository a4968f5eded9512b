"""The live judge's checkpoint database is released however the sitting ends: a person who quits
mid-speech cancels the sitting, perhaps while a checkpoint write is open, and the next sitting
must be able to write at once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from oversight.runs.live import checkpointer


async def test_a_sitting_cancelled_mid_write_leaves_the_database_unlocked(tmp_path: Path) -> None:
    path = tmp_path / "live.sqlite"
    writing = asyncio.Event()

    async def sitting() -> None:
        async with checkpointer(path) as saver:
            await saver.conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
            await saver.conn.commit()
            await saver.conn.execute("INSERT INTO t VALUES (1)")  # a write transaction left open
            writing.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(sitting())
    await writing.wait()
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()  # cancelled again while it closes (a quitting app may cancel twice)
    try:
        await task
    except asyncio.CancelledError:
        pass
    for _ in range(100):  # the close runs on aiosqlite's thread
        await asyncio.sleep(0.01)
        try:
            with sqlite3.connect(path, timeout=0) as other:
                other.execute("INSERT INTO t VALUES (2)")
            break
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
    else:
        raise AssertionError("the cancelled sitting still holds the database's lock")
    assert [r[0] for r in sqlite3.connect(path).execute("SELECT x FROM t")] == [2]  # its open write rolled back
