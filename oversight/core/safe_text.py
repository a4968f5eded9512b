"""Text that did not come from us, made safe to show: the one helper every printer uses.

Model answers, task texts, ids, paths, config values and error messages quoting them can hold
terminal control sequences (ESC ... sets a window title, clears the screen, or forges colours)
and Rich markup (`[link=...]`, `[/x]`) that Rich or Textual would interpret. Here:

- `clean(value)` replaces every control character with a visible one, **one character for one**
  (so offsets into a text, such as a quote's span in a story, stay valid): C0 controls and DEL
  become their Unicode Control Pictures (ESC -> ``␛``, BEL -> ``␇``, CR -> ``␍``), C1 controls
  (U+0080-U+009F, e.g. the one-byte CSI U+009B) and the text-direction overrides and isolates
  (U+202A-U+202E, U+2066-U+2069, which reorder what is shown) become U+FFFD ``�``. Newlines and
  tabs stay in multi-line text and become ``␊`` and ``␉`` on one line.
- `text(value)` is a Rich `Text` of the cleaned value: Rich and Textual never parse a Text as
  markup or emoji codes, so this is how foreign text reaches a table cell, a widget or a line.
- `markup(value)` is the cleaned value escaped for a markup string, for the few APIs that only
  take markup (a progress column's template).
- `line(*parts)` puts our own styled words and foreign values on one line as a Text.

Text that is ours (labels, our own messages) needs none of this.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from oversight.core.errors import UserError

_PICTURES = {c: 0x2400 + c for c in range(0x20)}
_PICTURES[0x7F] = 0x2421
_REPLACEMENT = 0xFFFD
_FOREIGN_DIRECTION = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]

MULTILINE: dict[int, int] = {**_PICTURES, **{c: _REPLACEMENT for c in range(0x80, 0xA0)},
                             **{c: _REPLACEMENT for c in _FOREIGN_DIRECTION}}
del MULTILINE[ord("\n")], MULTILINE[ord("\t")]
ONE_LINE: dict[int, int] = {**MULTILINE, ord("\n"): 0x240A, ord("\t"): 0x2409}

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value: Any, *, one_line: bool = False) -> str:
    """`str(value)` with every control character shown as a visible character (see the module)."""
    s = value if isinstance(value, str) else str(value)
    if one_line:
        return s.translate(ONE_LINE) if _UNSAFE_ONE_LINE.search(s) else s
    return s.translate(MULTILINE) if _UNSAFE.search(s) else s  # the search is cheaper than a translate


def clean_deep(value: Any) -> Any:
    """Every string in a JSON-like value (dict keys too) cleaned, multi-line: a record read from
    a run folder, made safe once before any view of it is built."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_deep(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_deep(v) for v in value)
    return value


def text(value: Any, style: str = "", *, one_line: bool = False) -> Text:
    """A Rich Text of the cleaned value: shown literally, never parsed as markup."""
    return Text(clean(value, one_line=one_line), style=style)


def markup(value: Any) -> str:
    """The cleaned value (one line) escaped for a Rich markup string."""
    return escape(clean(value, one_line=True))


def line(*parts: Any) -> Text:
    """One line from parts: a `(words, style)` pair is ours and kept as written, a `Text` is kept,
    anything else is foreign and cleaned to one line."""
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            out.append(part[0], style=part[1])
        else:
            out.append(clean(part, one_line=True))
    return out




class SafeConsole(Console):
    """A Rich Console whose every string renderable (a printed str, a table cell or title given
    as str) is cleaned before Rich reads it: the CLI's consoles, so no printer can forget."""

    def render_str(self, text: str, **kwargs: Any) -> Text:  # type: ignore[override]
        return super().render_str(clean(text), **kwargs)



_BLANK_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
"""Letters and symbols drawn as nothing (Hangul fillers, the blank braille cell)."""


def judge_id(value: str, *, field: str, missing: str) -> str:
    """A judge id as typed, made one: NFC, its spaces collapsed and stripped (the same name typed on
    two keyboards is one judge). Control, format and invisible characters are refused, not
    cleaned: two ids that look the same would count as two judges, and an id is written into
    every judgment and shown in every table. `field` names the option in errors; `missing` is
    what to say when nothing visible is left."""
    value = unicodedata.normalize("NFC", value)
    hidden = [ch for ch in value if ch in _BLANK_LETTERS
              or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")]
    if hidden:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(hidden))
        raise UserError(f"{field} {clean(value, one_line=True)!r}: control or invisible characters ({shown}) are "
                        "not allowed in an id; type it with letters, digits and punctuation")
    value = " ".join(value.split())
    if not value:
        raise UserError(missing)
    return value


__all__ = ["MULTILINE", "ONE_LINE", "SafeConsole", "clean", "clean_deep", "judge_id", "line", "markup", "text"]
