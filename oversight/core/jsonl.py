"""Append-only JSONL that survives crashes: whole lines, fsynced; readers skip a torn tail."""

from __future__ import annotations

import fcntl
import json
import math
import os
from pathlib import Path
from typing import Any

from collections.abc import Callable, Iterator

from oversight.core.atomic import named
from oversight.core.errors import UserError
from oversight.core.keyguard import check_text

try:  # several times faster on long lines; json below reads whatever it refuses
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _fast_loads = None

FILE_MODE = 0o666
"""Every run file is created with this mode less the umask (0644 under the usual umask 022), as
`open(path, "a")` creates the JSONL files, so experiment.yaml and metrics.json match them."""

Warn = Callable[[str], None]
"""Where a reader reports lines it skipped; the CLI prints them, a library caller may collect them."""


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: they are not JSON, and other readers reject them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def dumps(record: Any, **kwargs: Any) -> str:
    return json.dumps(json_safe(record), ensure_ascii=False, allow_nan=False, default=str, **kwargs)


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Write one record as one line, then flush and fsync so a crash cannot lose or tear it."""
    line = dumps(record, separators=(",", ":")) + "\n"
    check_text(line, str(path), "written")  # never an API key's value (oversight.core.keyguard)
    _append(path, line.encode("utf-8"))


def append_lines(path: Path, records: list[dict[str, Any]]) -> None:
    """Several records, one line each, with one flush and fsync for all (group commit)."""
    text = "".join(dumps(r, separators=(",", ":")) + "\n" for r in records)
    check_text(text, str(path), "written")
    _append(path, text.encode("utf-8"))


def _append(path: Path, data: bytes) -> None:
    """Append `data` and fsync; if that fails (a full disk) cut the file back to where it was, so
    a failed append leaves no partial line for the next one to be glued to. Appenders (people
    judging one run at once) take turns through an advisory flock, so the cut never reaches
    another's line."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # no flock on this filesystem: appends stay whole lines as before
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            try:
                os.ftruncate(fd, start)
            except OSError:
                pass  # a reader still skips the torn tail, and repair_tail cuts it
            raise
    except OSError as exc:
        raise named(exc, path) from None
    finally:
        os.close(fd)


Check = Callable[[dict[str, Any]], "str | None"]
"""What is wrong with a record's shape (oversight.core.shapes), or None if it can be used."""


def iter_lines(path: Path, *, warn: Warn | None = None, check: Check | None = None) -> Iterator[dict[str, Any]]:
    """Whole records, streamed (a run of 100,000 transcripts is never held at once).

    A torn last line (a crash mid-write: no newline at the end) is skipped with a warning; a
    bad line anywhere else means the file was edited by hand, which is reported and skipped too,
    as is a record `check` finds of the wrong shape (the warning names the line and the field).
    """
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                record = json_loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError:
                if warn is not None:
                    torn = not raw.endswith(b"\n")
                    where = "torn last line" if torn else f"unreadable line {number}"
                    warn(f"{path}: skipping {where} (a crash mid-write, or an edit by hand?)")
                continue
            if check is not None:
                problem = check(record)
                if problem is not None:
                    if warn is not None:
                        warn(f"{path}: skipping line {number}: {problem} (an edit by hand, or another tool?)")
                    continue
            yield record


_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
"""Every digit byte to b"0", anything else to a space: a run of 19 digits is then one `in` away."""
_LONG_NUMBER = b"0" * 19


def json_loads(raw: bytes) -> Any:
    """One JSON document as `iter_lines` reads a line; nesting past what the readers can walk
    (orjson refuses more than 1,024 levels, json runs out of stack) is a ValueError too."""
    try:
        return _loads(raw)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _loads(raw: bytes) -> Any:
    """One line as json reads it. orjson refuses NaN, invalid UTF-8 and lone surrogates, and reads
    integers past 64 bits as floats; such lines (any run of 19 digits, to be safe) go to json,
    which decides as before."""
    if _fast_loads is not None and _LONG_NUMBER not in raw.translate(_DIGITS):
        try:
            return _fast_loads(raw)
        except ValueError:
            pass
    return json.loads(raw.decode("utf-8", errors="replace"))


def read_lines(path: Path, *, warn: Warn | None = None) -> list[dict[str, Any]]:
    return list(iter_lines(path, warn=warn))


def repair_tail(path: Path, *, warn: Warn | None = None) -> bool:
    """Cut a torn last line (a crash mid-write) so the next append starts on a fresh line.
    Reads only the file's end (runs grow to gigabytes), backwards to the last newline."""
    if not os.path.lexists(path):
        return False
    if not path.is_file():
        raise UserError(f"{path}: not a file (a folder?); a run folder keeps its records in this file: "
                        f"move it away, then run the command again")
    with open(path, "r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return False
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return False
        cut, pos, block = 0, size, 65536
        while pos > 0:
            low = max(0, pos - block)
            fh.seek(low)
            found = fh.read(pos - low).rfind(b"\n")
            if found >= 0:
                cut = low + found + 1
                break
            pos = low
        if warn is not None:
            warn(f"{path}: skipping torn last line ({size - cut} bytes, a crash mid-write)")
        fh.truncate(cut)
        fh.flush()
        os.fsync(fh.fileno())
    return True
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        if warn is not None:
            warn(f"{path}: skipping torn last line ({len(data) - cut} bytes, a crash mid-write)")
        with open(path, "r+b") as fh:
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
        return True
    return False
