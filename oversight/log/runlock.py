"""One writer per run folder: a lock file naming its holder's pid and host.

A second writer is refused with a message naming the holder; a lock left by a process that is
gone (same host, pid not alive) is taken over with a warning; a lock from another host is
never taken over.

The lock appears whole: its record is written to a temporary file and hard-linked into place,
so a full disk leaves no lock at all, never an empty one. The holder also keeps an advisory
`flock` on it while it lives, which the kernel drops when the process dies: a lock that is
empty or unreadable (an older version, an edit by hand) whose flock nobody holds has no live
holder and is taken over with a warning.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any

from oversight.core.ids import now_iso
from oversight.core.atomic import temp_path
from oversight.core.errors import UserError
from oversight.core.jsonl import FILE_MODE, Warn

_held: dict[Path, int] = {}
"""Lock path -> the descriptor carrying our flock, closed on release."""


def _lock_record(doing: str = "run") -> dict[str, Any]:
    """Who holds the lock, and what for (`doing`: "run", "judging", "live judging"), so `ls` can
    tell a run in progress from a finished run being judged."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso(), "doing": doing}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


PID_MAX = 2**22
"""Linux never gives a process a pid above this (its pid_max ceiling): a larger one, 0, a
negative one (which os.kill reads as a process group) or a non-integer names no process."""


def _read_lock(path: Path) -> dict[str, Any] | None:
    """The holder's record, or None if it is not a whole record naming a possible process."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(holder, dict):
        return None
    pid = holder.get("pid")
    return holder if type(pid) is int and 0 < pid <= PID_MAX else None


def _create(path: Path, doing: str = "run") -> bool:
    """Put a whole lock record at `path`; False if a lock is there already."""
    data = (json.dumps(_lock_record(doing)) + "\n").encode("utf-8")
    tmp = temp_path(path)
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            return _create_in_place(path, data)  # a filesystem without hard links
    finally:
        tmp.unlink(missing_ok=True)
    _flock(path)
    return True


def _create_in_place(path: Path, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.write(fd, data)
        os.fsync(fd)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)  # never leave a lock that names nobody
        raise
    os.close(fd)
    _flock(path)
    return True


def _flock(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # a filesystem without flock: the pid in the record still says who holds it
    _held[path] = fd


def _unheld(path: Path) -> int | None:
    """A descriptor holding the flock of the lock at `path` if no live process holds it, else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def holder_doing(path: Path) -> str | None:
    """What a live holder of the lock at `path` is doing ("run" for a lock from before it said), or
    None when no live process holds it."""
    if not is_held(path):
        return None
    holder = _read_lock(path)
    doing = holder.get("doing") if holder else None
    return doing if isinstance(doing, str) else "run"


def is_held(path: Path) -> bool:
    """Whether a live process holds the lock at `path` (a run in progress): its flock is taken."""
    if not path.exists():
        return False
    fd = _unheld(path)
    if fd is None:
        return True
    os.close(fd)
    return False


def take_lock(path: Path, warn: Warn | None, doing: str = "run") -> None:
    """Create `path` with our pid, host and what we hold it for, or say who holds it."""
    for _ in range(2):
        try:
            if _create(path, doing):
                return
        except OSError as exc:
            raise UserError(f"{path.parent}: cannot take the writer lock ({exc.strerror or exc})") from None
        holder = _read_lock(path)
        here = socket.gethostname()
        if holder is None:
            if os.path.lexists(path) and not path.is_symlink() and not path.is_file():
                raise UserError(f"{path}: the writer lock is not a file (a folder?); remove it, "
                                f"then run the command again")
            if _take_over_unreadable(path, warn):
                continue
            raise UserError(f"{path}: the run folder's writer lock is unreadable and held by a live process; "
                            f"wait for it to finish, or delete the lock if no run is going")
        who = f"pid {holder['pid']} on {holder.get('host')} since {holder.get('since')}, {holder.get('doing', 'run')}"
        if holder.get("host") != here or _pid_alive(holder["pid"]):
            raise UserError(
                f"{path.parent}: another process is writing this run folder ({who}); wait for it to finish, "
                f"or stop it first (if it is gone, delete {path})"
            )
        # Another process may be taking the same dead lock over right now: remove it only while it
        # still holds the record we judged dead, so we never delete a lock just taken afresh.
        if _read_lock(path) != holder:
            continue
        if warn is not None:
            warn(f"{path.parent}: taking over the writer lock of a process that is gone ({who})")
        path.unlink(missing_ok=True)
    raise UserError(f"{path.parent}: another process took the writer lock at the same moment; try again")


def _take_over_unreadable(path: Path, warn: Warn | None) -> bool:
    """Remove an empty or unreadable lock whose flock no live process holds (with a warning)."""
    if path.is_symlink() and not path.exists():  # a link to nowhere: no process can hold it
        if warn is not None:
            warn(f"{path}: the writer lock is a link to a missing file; taking it over")
        path.unlink(missing_ok=True)
        return True
    fd = _unheld(path)
    if fd is None:
        return not os.path.lexists(path)  # gone meanwhile: try again; else someone alive holds it
    try:
        if _read_lock(path) is not None:
            return True  # a whole lock appeared meanwhile: judge it afresh
        size = os.fstat(fd).st_size
        if warn is not None:
            warn(f"{path}: the writer lock is {'empty' if size == 0 else 'unreadable'} and no live process "
                 f"holds it (a crash, or a full disk, in an older version); taking it over")
        path.unlink(missing_ok=True)
    finally:
        os.close(fd)
    return True


def release_lock(path: Path) -> None:
    """Remove the lock if it is still ours (never another process's)."""
    holder = _read_lock(path)
    if holder is not None and holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        path.unlink(missing_ok=True)
    fd = _held.pop(path, None)
    if fd is not None:
        os.close(fd)
