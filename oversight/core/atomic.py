"""Whole-file writes a crash never leaves half done: a temporary file beside the target, renamed
over it. One helper for the run folder's small files (fsynced), the response cache and the unit
memo (one file per call or per unit, so the cost per write matters: plain `os` calls, no
`tempfile` name generator or text wrapper, and a folder is made only when the first write into
it finds none). `atomic_file` streams a large output (an export) the same way."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

from oversight.core.keyguard import check_bytes

_serial = itertools.count()


def temp_path(path: Path, suffix: str = ".tmp") -> Path:
    """A hidden name beside `path`, unique to this process and call (`suffix` keeps an extension
    a writer decides its format by)."""
    return path.parent / f".{path.name}.{os.getpid()}.{next(_serial)}{suffix}"


def named(exc: OSError, path: Path) -> OSError:
    """`exc` naming the file the user asked for, not the temporary one it happened on."""
    return type(exc)(exc.errno, exc.strerror, str(path)) if exc.errno is not None else exc


def write_atomic(path: Path, data: bytes, *, fsync: bool = False, make_parent: bool = False, mode: int = 0o644) -> None:
    """Write `data` to `path` in one step; on any failure no temporary file is left behind.

    `fsync` makes the bytes durable before the rename (the run folder's own files);
    `make_parent` creates missing folders (cache shards). Bytes holding an API key's value are
    refused (oversight.core.keyguard)."""
    check_bytes(data, str(path))
    tmp = temp_path(path)
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
    try:
        try:
            fd = os.open(tmp, flags, mode)
        except FileNotFoundError:
            if not make_parent:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, flags, mode)
    except OSError as exc:
        raise named(exc, path) from None
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
    except BaseException as exc:
        _discard(tmp, path, exc)


def _discard(tmp: Path, path: Path, exc: BaseException) -> NoReturn:
    """Remove the temporary file of a write that failed and raise its error, an OSError named
    after the file it was meant to become."""
    try:
        os.unlink(tmp)
    except OSError:
        pass
    if isinstance(exc, OSError):
        raise named(exc, path) from None
    raise exc


@contextmanager
def atomic_file(path: Path, *, newline: str | None = None, mode: int = 0o644) -> Iterator[IO[Any]]:
    """A text file written under a temporary name, fsynced and renamed over `path` when the block
    ends without an error; on any error (a full disk, Ctrl-C) the temporary file is removed and
    `path` is left as it was."""
    tmp = temp_path(path)
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    except OSError as exc:
        raise named(exc, path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        _discard(tmp, path, exc)
