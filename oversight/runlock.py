"""One writer per run folder: a lock file naming its holder's pid and host.

A second writer is refused with a message naming the holder; a lock left by a process that is
gone (same host, pid not alive) is taken over with a warning; a lock from another host is
never taken over.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from oversight.errors import UserError
from oversight.jsonl import FILE_MODE, Warn


def _lock_record() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _read_lock(path: Path) -> dict[str, Any] | None:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def take_lock(path: Path, warn: Warn | None) -> None:
    """Create `path` exclusively (O_CREAT|O_EXCL) with our pid and host, or say who holds it."""
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        except FileExistsError:
            holder = _read_lock(path)
        except OSError as exc:
            raise UserError(f"{path.parent}: cannot take the writer lock ({exc.strerror or exc})") from None
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(_lock_record()) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            return
        here = socket.gethostname()
        if holder is None or not isinstance(holder.get("pid"), int):
            raise UserError(f"{path}: the run folder's writer lock is unreadable; if no run is going, delete it")
        who = f"pid {holder['pid']} on {holder.get('host')} since {holder.get('since')}"
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


def release_lock(path: Path) -> None:
    """Remove the lock if it is still ours (never another process's)."""
    holder = _read_lock(path)
    if holder is not None and holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        path.unlink(missing_ok=True)
