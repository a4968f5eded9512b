"""The live judge's checkpoint database is released however the sitting ends: a person who quits
mid-speech cancels the sitting, perhaps while a checkpoint write is open or a cursor unfinished,
and the next sitting must be able to write at once."""

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


async def test_a_cursor_still_reading_when_the_sitting_ends_does_not_keep_its_write_locked(tmp_path: Path) -> None:
    # closed with a statement unfinished, SQLite keeps the connection alive (and any write it
    # holds) until the statement goes: the write must be undone before the close
    path = tmp_path / "live.sqlite"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
        setup.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    kept: list[object] = []

    async def sitting() -> None:
        async with checkpointer(path) as saver:
            reading = await saver.conn.execute("SELECT x FROM t")
            await reading.fetchone()  # nine rows left: the statement is not finished
            kept.append(reading)  # still referenced (a frame, a traceback) when the sitting ends
            await saver.conn.execute("INSERT INTO t VALUES (99)")  # and a write left uncommitted
            await asyncio.sleep(3600)

    task = asyncio.create_task(sitting())
    while not kept:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    with sqlite3.connect(path, timeout=0) as other:
        other.execute("INSERT INTO t VALUES (100)")  # at once: nothing holds the lock
    assert sorted(r[0] for r in sqlite3.connect(path).execute("SELECT x FROM t"))[-2:] == [9, 100]
    del kept  # the unfinished cursor lived until here
