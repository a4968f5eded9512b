"""A unit judged live by a person (`oversight judge-live`): run it until the person's next
decision, hand them the pause, go on with their answer; on quitting or a crash it stays paused.

Crash-safe with no model call repeated: LangGraph's checkpoints (AsyncSqliteSaver, `live.sqlite`
in the run folder) keep the graph's state after every node, and the unit's journal
(`live/<unit>-<hash>.jsonl`, oversight.protocol.journal) keeps every event, so a node re-run
after a crash gets its finished calls back from the journal. The thread is the unit's id and
attempt. While the unit runs, `show` gets the protocol's progress payloads (each speech as its
call returns) for the person's screen.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from oversight.core.errors import ModelCallError
from oversight.core.ids import sha256_hex
from oversight.log.runfolder import RunFolder
from oversight.log.transcripts import Transcript
from oversight.models.types import Usage
from oversight.protocol.contract import Unit
from oversight.protocol.journal import UnitJournal
from oversight.protocol.recorder import Recorder, RunContext
from oversight.runs.plan import Plan
from oversight.runs.runner import write_unit

CHECKPOINTS = "live.sqlite"
JOURNALS = "live"

Ask = Callable[[dict[str, Any]], Awaitable[Any]]
"""Shows the person a pause and returns their answer; None: they quit (the unit stays paused)."""
Show = Callable[[dict[str, Any]], None]
"""Shows the person what happened while the unit runs (a speech as soon as it is spoken)."""


def _legacy_name(unit_id: str) -> str:
    """The journal name before it carried a hash: two ids differing only in unsafe characters shared it."""
    return re.sub(r"[^\w.-]", "_", unit_id) + ".jsonl"


def journal_path(folder: RunFolder, unit: Unit[Any], units: Sequence[Unit[Any]] = ()) -> Path:
    """`live/<readable id>-<hash of the exact id>.jsonl`: one file per unit id, however alike two
    ids look once cleaned. A journal left under the old name (a unit paused by an older version)
    is taken over when no other unit of `units` had that name; a shared one cannot be told
    apart, so that unit starts again."""
    readable = re.sub(r"[^\w.-]", "_", unit.id)[:80]
    path = folder.path / JOURNALS / f"{readable}-{sha256_hex(unit.id)[:16]}.jsonl"
    old = folder.path / JOURNALS / _legacy_name(unit.id)
    if (len(old.name) < 256 and not path.exists() and old.exists()  # a longer old name was never written
            and sum(_legacy_name(u.id) == old.name for u in units) == 1):
        os.replace(old, path)
    return path


@asynccontextmanager
async def checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    """LangGraph's SQLite checkpointer on `path`, closed even when the sitting is cancelled (the
    person quits mid-speech): an unclosed connection would hold the database's lock against the
    next sitting. A sitting whose close is still finishing (or another reader) is waited for up to
    30 s rather than SQLite's 5, so a loaded machine does not turn it into "database is locked"."""
    conn = await aiosqlite.connect(str(path), timeout=30)
    saver = AsyncSqliteSaver(conn)
    try:
        yield saver
    finally:
        await asyncio.shield(_close(saver, conn))


async def _close(saver: AsyncSqliteSaver, conn: aiosqlite.Connection) -> None:
    """Close once no write is under way, after undoing any write left uncommitted. A cancelled
    sitting can leave one (its step's write cancelled between the insert and the commit); closed
    while a cursor still holds a statement, SQLite keeps the connection, and that write's lock on
    the file, until the cursor is collected, and the next sitting waits on it. Every write of the
    saver holds its lock, so none starts between the undo and the close."""
    async with saver.lock:
        try:
            await conn.rollback()
        finally:
            await conn.close()


async def run_live_unit(p: Plan, ctx: RunContext, unit: Unit[Any], folder: RunFolder, judge_id: str,
                        ask: Ask, show: Show | None = None) -> Transcript | None:
    """Run `unit` with the person as its judge until it ends (its transcript, written) or the
    person quits (None: paused, resumed by the next call)."""
    journal = UnitJournal(journal_path(folder, unit, p.units), uuid.uuid4().hex[:12])
    rec = Recorder(ctx, unit, journal)
    error: str | None = None
    outcome: dict[str, Any] = {}
    async with checkpointer(folder.path / CHECKPOINTS) as saver:
        resume: Any = None
        try:
            while True:
                step = await p.protocol.run_unit_live(unit, p.params, rec, checkpointer=saver,
                                                      thread_id=f"{unit.id}:{rec.attempt}", judge_id=judge_id,
                                                      resume=resume, show=show)
                if step.paused is None:
                    outcome = step.outcome or {}
                    break
                resume = await ask(step.paused)
                if resume is None:
                    return None
        except ModelCallError as exc:
            error = exc.reason
    usage = sum(rec.usage_by_role.values(), Usage())
    transcript = Transcript(run_id=ctx.run_id, id=unit.id, item_id=unit.item_id, protocol=p.exp.protocol,
                            condition=unit.condition, events=rec.events, outcome=outcome, usage=usage,
                            usage_by_role=rec.usage_by_role, error=error, attempt=rec.attempt)
    judgments = [j.to_record() for j in rec.judgments] if error is None else []
    written = await write_unit(folder, None, unit, transcript, transcript.to_record(), judgments)
    journal.path.unlink(missing_ok=True)  # the transcript line holds it all now
    return written


__all__ = ["CHECKPOINTS", "JOURNALS", "Ask", "Show", "checkpointer", "journal_path", "run_live_unit"]
