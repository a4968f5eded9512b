"""The two error kinds users see: their input is wrong, or a model call gave up."""

from __future__ import annotations

import errno
from pathlib import Path


class UserError(Exception):
    """Bad input: the CLI prints the message on one line and exits 2, no traceback.

    Messages name the file, field or value and say what to do.
    """


class ModelCallError(Exception):
    """A model call failed for good (after retries, or not retryable).

    `reason` is a short human-readable cause that goes into the transcript's `error`.
    """

    def __init__(self, reason: str, *, attempts: int = 1, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.status = status


class RunWriteError(Exception):
    """The run folder could not be written mid-run (disk full, folder removed or made read-only).

    Finished units are on disk already; the CLI exits 1 and says how to resume.
    """


ECHO_LIMIT = 200
"""At most this many characters of a user's value are echoed in an error message."""


def bounded(text: object, limit: int = ECHO_LIMIT) -> str:
    """`text` cut to `limit` characters, saying how much was cut: an error stays one short line
    even when the value is a 70 MB expansion of a YAML alias."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def read_text(path: Path) -> str:
    """A user's file as UTF-8 text, or a one-line UserError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None


DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def write_failure(exc: OSError, where: object, label: str | None = None) -> str:
    """One line for a file that could not be written: which file (`label` names it, else the
    error's file, else `where`), why, and what to do."""
    path = label or exc.filename or where
    reason = exc.strerror or str(exc)
    if exc.errno in DISK_FULL:
        return f"{path}: cannot write ({reason}); nothing partial was left; free some space and run it again"
    return f"{path}: cannot write ({reason}); choose a folder you can write to"
