"""Whole-file writes a crash never leaves half done: a temporary file beside the target, renamed
over it. One helper for the run folder's small files (fsynced), the response cache and the unit
memo (one file per call or per unit, so the cost per write matters: plain `os` calls, no
`tempfile` name generator or text wrapper, and a folder is made only when the first write into
it finds none)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from oversight.keyguard import check_bytes

_serial = itertools.count()


def write_atomic(path: Path, data: bytes, *, fsync: bool = False, make_parent: bool = False, mode: int = 0o644) -> None:
    """Write `data` to `path` in one step; on any failure no temporary file is left behind.

    `fsync` makes the bytes durable before the rename (the run folder's own files);
    `make_parent` creates missing folders (cache shards). Bytes holding an API key's value are
    refused (oversight.keyguard)."""
    check_bytes(data, str(path))
    tmp = path.parent / f".{path.name}.{os.getpid()}.{next(_serial)}.tmp"
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
    try:
        fd = os.open(tmp, flags, mode)
    except FileNotFoundError:
        if not make_parent:
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, flags, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
