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



INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U00013430-\U0001343f\U00016fe4\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
"""Characters that display as nothing (or reorder what is displayed): Unicode's default-ignorable
code points (format characters, joiners, variation selectors, invisible marks such as U+034F,
the Hangul fillers, tags, musical and shorthand format controls), with the interlinear annotation
and hieroglyph format controls that only direct layout."""
_BLANK = frozenset("\u2800")
"""Drawn as nothing and not in INVISIBLE, because a judge may read braille: the blank cell."""
_JOINERS = {"\u200c", "\u200d"}
_JOINING_SCRIPTS = ("ARABIC", "SYRIAC", "NKO", "MONGOLIAN", "MANDAIC", "ADLAM", "HANIFI ROHINGYA", "SOGDIAN",
                    "MANICHAEAN", "PSALTER PAHLAVI", "PHAGS-PA")
"""Scripts whose letters join, where a zero-width non-joiner between letters changes how a word is
written (Persian `می‌خواهم`)."""


def _letter_near(value: str, i: int, step: int) -> str:
    """The first character from `i` (going by `step`) that is not a mark: the letter a joiner touches."""
    while 0 <= i < len(value) and unicodedata.category(value[i]) in ("Mn", "Me", "Mc"):
        i += step
    return value[i] if 0 <= i < len(value) else ""


def _joiner_is_spelling(value: str, i: int) -> bool:
    """A ZWNJ or ZWJ as a name's spelling needs it (the context rule of RFC 5892): after a virama
    (Indic conjuncts), or a ZWNJ between two letters of a joining script. Anywhere else (between
    emoji, inside Latin) it only makes two ids look alike."""
    before, after = _letter_near(value, i - 1, -1), _letter_near(value, i + 1, 1)
    if not (after and unicodedata.category(after).startswith("L")):
        return False
    if i > 0 and unicodedata.combining(value[i - 1]) == 9:
        return True
    if value[i] != "\u200c":
        return False
    return all(ch and unicodedata.category(ch).startswith("L")
               and unicodedata.name(ch, "").startswith(_JOINING_SCRIPTS) for ch in (before, after))


def judge_id(value: str, *, field: str, missing: str) -> str:
    """A judge id as typed, made one: NFC, its spaces collapsed and stripped (the same name typed on
    two keyboards is one judge). Control, format and invisible characters are refused, not
    cleaned: two ids that look the same would count as two judges, and an id is written into
    every judgment and shown in every table. A joiner a script's spelling needs is kept. `field`
    names the option in errors; `missing` is what to say when nothing visible is left."""
    value = unicodedata.normalize("NFC", value)
    hidden = [ch for i, ch in enumerate(value)
              if (ch in _BLANK or INVISIBLE.match(ch)
                  or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"))
              and not (ch in _JOINERS and _joiner_is_spelling(value, i))]
    shown = clean(value, one_line=True)
    if hidden:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(hidden))
        raise UserError(f"{field} {shown!r}: control or invisible characters ({codes}) are "
                        "not allowed in an id; type it with letters, digits and punctuation")
    value = " ".join(value.split())
    if not value:
        raise UserError(missing)
    if unicodedata.category(value[0]).startswith("M") or not any(
            unicodedata.category(ch)[0] in "LNPS" for ch in value):
        raise UserError(f"{field} {shown!r}: an id must start with a letter, digit or sign, not a mark "
                        "drawn over the character before it; type it with letters, digits and punctuation")
    return value


__all__ = ["INVISIBLE", "MULTILINE", "ONE_LINE", "SafeConsole", "clean", "clean_deep", "judge_id", "line", "markup", "text"]
