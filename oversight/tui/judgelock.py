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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from oversight.errors import UserError
from oversight.jsonl import FILE_MODE
from oversight.runfolder import JUDGMENTS, RunFolder
from oversight.runlock import _pid_alive, _read_lock, release_lock, take_lock

MIN_FREE_BYTES = 1 << 20
"""Less free space than this and a judgment may not fit: refuse before the person starts."""


def lock_path(folder: RunFolder, judge_id: str) -> Path:
    """One lock file per judge id; the id is hashed so any id makes a safe file name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", judge_id)[:32]
    digest = hashlib.sha256(judge_id.encode("utf-8")).hexdigest()[:12]
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
        raise
    try:
        yield
    finally:
        release_lock(path)


__all__ = ["check_writable", "judge_lock", "lock_path"]
