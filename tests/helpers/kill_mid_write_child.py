"""`oversight` in a child process that SIGKILLs itself in the middle of writing an output file.

`KILL_AFTER_BYTES=N` kills once N bytes of the first figure matplotlib draws have
been handed to the file it writes (whatever file that is: the figure's path, or a buffer);
`KILL_AT_ROW=N` kills once N rows of an export table were written. Used by
tests/core/test_atomic_outputs.py.
"""

from __future__ import annotations

import csv
import os
import signal
import sys
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

_bytes = int(os.environ.get("KILL_AFTER_BYTES") or 0)
_row = int(os.environ.get("KILL_AT_ROW") or 0)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _Dying:
    """A binary file that dies after `limit` bytes reached the real one (flushed first)."""

    def __init__(self, fh: Any, limit: int) -> None:
        self.fh, self.left = fh, limit

    def write(self, data: bytes) -> int:
        if len(data) >= self.left:
            self.fh.write(data[:self.left])
            self.fh.flush()
            if hasattr(self.fh, "fileno"):
                try:
                    os.fsync(self.fh.fileno())
                except (OSError, ValueError):
                    pass
            _die()
        self.left -= len(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()

    def tell(self) -> int:
        return self.fh.tell()

    def seek(self, *args: Any) -> int:
        return self.fh.seek(*args)


_savefig = Figure.savefig


def _dying_savefig(self: Figure, fname: Any, **kwargs: Any) -> None:
    fmt = kwargs.pop("format", None) or Path(str(fname)).suffix[1:]
    if isinstance(fname, (str, os.PathLike)):
        with open(fname, "wb") as fh:
            _savefig(self, _Dying(fh, _bytes), format=fmt, **kwargs)
    else:
        _savefig(self, _Dying(fname, _bytes), format=fmt, **kwargs)


if _bytes:
    Figure.savefig = _dying_savefig  # type: ignore[method-assign]

_writerow = csv.DictWriter.writerow
_rows = 0


def _dying_writerow(self: csv.DictWriter, row: Any) -> Any:  # type: ignore[type-arg]
    global _rows
    _rows += 1
    if _rows > _row:
        for fh in _open_outputs:
            fh.flush()
        _die()
    return _writerow(self, row)


_open_outputs: list[Any] = []

if _row:
    import builtins
    import io

    csv.DictWriter.writerow = _dying_writerow  # type: ignore[method-assign]
    _fdopen, _open = os.fdopen, builtins.open

    def _tracking_fdopen(*args: Any, **kwargs: Any) -> Any:
        fh = _fdopen(*args, **kwargs)
        _open_outputs.append(fh)
        return fh

    def _tracking_open(*args: Any, **kwargs: Any) -> Any:
        fh = _open(*args, **kwargs)
        if isinstance(fh, io.TextIOBase) and "w" in str(kwargs.get("mode", args[1] if len(args) > 1 else "r")):
            _open_outputs.append(fh)
        return fh

    os.fdopen = _tracking_fdopen  # type: ignore[assignment]
    builtins.open = _tracking_open  # type: ignore[assignment]

if __name__ == "__main__":
    from oversight.cli.main import main

    sys.exit(main(sys.argv[1:]))
