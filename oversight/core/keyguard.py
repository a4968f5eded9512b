"""The last line of defence for API keys: no text holding one is sent to a model or stored.

Path checks (oversight.core.safe_paths) keep an experiment from reading the environment through a
file, but a key can still arrive another way (pasted into a task file, echoed by a server).
So every text about to be sent (models/model.py, before a provider or a batch sees it) and
every file the framework writes (jsonl, atomic writes: run folder, response cache, unit memo)
is checked for the value of each key variable in the environment: names ending in `_API_KEY`,
`_APIKEY`, `_KEY`, `_TOKEN`, `_SECRET`, `_ACCESS_KEY` or `_PASSWORD` (and `API_KEY`, `TOKEN`,
`SECRET`, `PASSWORD` alone), with a value of at least
`MIN_LENGTH` characters (shorter values would match ordinary text). A hit stops the command with
a one-line error naming the variable, never the value. A value is also looked for as JSON writes
it escaped (a password with a quote, a backslash or an accented letter).

The variables are read once per command (`refresh`, called as a run or judging starts) so the
per-call check is a few substring searches, which CPython does at memory speed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from oversight.core.errors import UserError

SUFFIXES = ("_API_KEY", "_APIKEY", "_KEY", "_TOKEN", "_SECRET", "_SECRET_KEY", "_ACCESS_KEY", "_PASSWORD")
BARE = ("API_KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD")
"""Names that are a key on their own (a suffix needs something before it)."""
MIN_LENGTH = 16
"""Values shorter than this are not treated as keys (a TOKEN=1 flag would match everywhere)."""

_keys: list[tuple[str, str, bytes]] | None = None


class KeyInText(UserError):
    """A text about to leave the process or reach a file holds a key's value: the command stops."""


def refresh() -> None:
    """Read the key variables from the environment now."""
    global _keys
    found = []
    for name, value in os.environ.items():
        value = value.strip()
        if (name.upper().endswith(SUFFIXES) or name.upper() in BARE) and len(value) >= MIN_LENGTH:
            # A value with a quote, a backslash, a control or a non-ASCII character is written
            # escaped in JSON: each escaped form is the same secret.
            forms = dict.fromkeys((value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]))
            found += [(name, form, form.encode("utf-8", "surrogatepass")) for form in forms]
    _keys = found


def _current() -> list[tuple[str, str, bytes]]:
    if _keys is None:
        refresh()
    assert _keys is not None
    return _keys


def _stop(name: str, where: str, action: str) -> KeyInText:
    return KeyInText(f"{where}: the text holds the value of {name}, so it was not {action}; check the "
                     f"experiment's prompt and task files (a link to /proc/self/environ, a pasted key)")


def check_text(text: str, where: str, action: str = "sent") -> None:
    """Raise KeyInText when `text` contains a key's value."""
    for name, value, _ in _current():
        if value in text:
            raise _stop(name, where, action)


def check_texts(texts: Iterable[str], where: str, action: str = "sent") -> None:
    keys = _current()
    if not keys:
        return
    for text in texts:
        for name, value, _ in keys:
            if value in text:
                raise _stop(name, where, action)


def check_bytes(data: bytes, where: str) -> None:
    """Raise KeyInText when `data` (a file's bytes about to be written) contains a key's value."""
    for name, _, value in _current():
        if value in data:
            raise _stop(name, where, "written")


__all__ = ["BARE", "KeyInText", "MIN_LENGTH", "SUFFIXES", "check_bytes", "check_text", "check_texts", "refresh"]
