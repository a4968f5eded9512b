"""Before a person judges: the run folder can take their judgments, and no other live session
judges under the same id (two sessions of one person would write two standing judgments of a
unit, with different answers, both counted).

The lock is a file per judge id in the run folder naming its holder's pid and host (the same
rule as the run's writer lock: a holder that is gone on this host is taken over with a warning;
one on another host, or alive, is refused). Different people never block each other.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import unicodedata
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError
from oversight.core.jsonl import FILE_MODE
from oversight.log.runfolder import JUDGMENTS, RunFolder
from oversight.log.runlock import _lock_record, _pid_alive, _read_lock, release_lock, take_lock

MIN_FREE_BYTES = 1 << 20
"""Less free space than this and a judgment may not fit: refuse before the person starts."""


_TYPED_ALIKE = str.maketrans({**dict.fromkeys("\u2018\u2019\u02bc\u2032", "'"),
                              **dict.fromkeys("\u2010\u2011\u2012\u2013\u2212", "-")})
"""Apostrophes and hyphens that keyboards and autocorrect put for `'` and `-` (`O’Brien`)."""


def same_person(judge_id: str) -> str:
    """The key under which ids are one person: "Ann", "ann " and "José" typed composed or
    decomposed (macOS terminals send the latter), `ﬁona` and `fiona`, `O’Brien` and `O'Brien`
    are one judge, never two sessions or plans."""
    return unicodedata.normalize("NFKC", judge_id).translate(_TYPED_ALIKE).casefold().strip()


def check_id(folder: RunFolder, judge_id: str) -> None:
    """A one-line UserError if a judge on file has an id that is this one typed differently."""
    key = same_person(judge_id)
    for record in folder.iter_judgments():
        judge = record.get("judge") or {}
        other = judge.get("id")
        if judge.get("kind") == "human" and isinstance(other, str) and other != judge_id and same_person(other) == key:
            raise UserError(f"--judge-id {judge_id!r}: judge {other!r} already judged this run, and ids that differ only "
                            f"in case, spaces or character encoding are one person; give exactly {other!r}")


def lock_path(folder: RunFolder, judge_id: str) -> Path:
    """One lock file per person (`same_person`); the id is hashed so any id makes a safe file name."""
    key = same_person(judge_id)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", key)[:32]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return folder.path / f"judge-{slug}-{digest}.lock"


def check_writable(folder: RunFolder) -> None:
    """A one-line UserError if judgments.jsonl cannot be appended to or the disk is (nearly) full."""
    path = folder.path / JUDGMENTS
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE))
        st = os.statvfs(folder.path)
    except OSError as exc:
        what = "the file system is read-only" if exc.errno == errno.EROFS else (exc.strerror or str(exc))
        raise UserError(f"{path}: cannot save your judgments here ({what}); judge a writable copy of the run "
                        "folder, or fix its permissions") from None
    free = st.f_bavail * st.f_frsize
    if free < MIN_FREE_BYTES:
        raise UserError(f"{folder.path}: the disk is full ({free:,} bytes free); free some space before judging")


@contextmanager
def judge_lock(folder: RunFolder, judge_id: str) -> Iterator[None]:
    """Hold the lock of `judge_id` on this run while the person judges."""
    path = lock_path(folder, judge_id)
    try:
        take_lock(path, folder.warn)
    except UserError:
        holder = _read_lock(path)
        if holder is not None and isinstance(holder.get("pid"), int) and (
                holder.get("host") != socket.gethostname() or _pid_alive(holder["pid"])):
            raise UserError(
                f"{folder.path}: judge {judge_id!r} is already judging this run in another session (pid "
                f"{holder['pid']} on {holder.get('host')} since {holder.get('since')}); quit that one first, or "
                f"judge under your own --judge-id (if it is gone, delete {path})") from None
        if holder is None or not isinstance(holder.get("pid"), int):
            raise UserError(f"{path}: the lock of judge {judge_id!r} is unreadable (empty or damaged, e.g. by a crash "
                            "as it was taken); if that judge has no session open, delete it") from None
        raise
    try:
        yield
    finally:
        release_lock(path)


PLANNING = "judge-planning.lock"
"""Held for the moment a session picks its rank without a --judges list, so two starting at once
take turns and the second sees the first's claim."""


def _live_ranks(folder: RunFolder, judge_id: str) -> dict[str, int]:
    """Ranks claimed in other live sessions' locks (a dead holder's claim does not count)."""
    out: dict[str, int] = {}
    here, own = socket.gethostname(), lock_path(folder, judge_id)
    for path in folder.path.glob("judge-*.lock"):
        holder = _read_lock(path)
        if path == own or holder is None or not isinstance(holder.get("rank"), int):
            continue
        if holder.get("host") == here and isinstance(holder.get("pid"), int) and not _pid_alive(holder["pid"]):
            continue
        out[str(holder.get("judge"))] = holder["rank"]
    return out


def claim_rank(folder: RunFolder, judge_id: str, plan: Callable[[dict[str, int]], Any]) -> Any:
    """Run `plan(busy)` (busy: judge -> rank of other live sessions) with the planning lock held,
    then write the rank it chose into this judge's lock. The caller holds `judge_lock`."""
    path = folder.path / PLANNING
    for attempt in range(50):
        try:
            take_lock(path, folder.warn)
            break
        except UserError:
            if attempt == 49:
                raise
            time.sleep(0.1)
    try:
        session = plan(_live_ranks(folder, judge_id))
        record = {**_lock_record(), "judge": judge_id, "rank": session.rank}
        own = lock_path(folder, judge_id)
        tmp = own.with_name(own.name + ".tmp")
        tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
        os.replace(tmp, own)
        return session
    finally:
        release_lock(path)


__all__ = ["check_id", "claim_rank", "check_writable", "judge_lock", "lock_path", "same_person"]
