"""Speeches as a person reads them, in the review body and on the human judging form: real
speaker labels in a style only our markup gives, quotes coloured and numbered, and any text a
speech wrote that imitates those labels shown as written by the speaker. Protocols with speakers
and quotes (debate) and the judging screen share it."""

from __future__ import annotations

import re
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text

from oversight.protocol.review import FORGED_STYLE, LETTERS, TURN_STYLE
from oversight.protocols.shared.markers import safe_shown
from oversight.protocols.shared.quote_meaning import NOTES
from oversight.protocols.shared.turns import SPEECH_PREFIX, split_labels

_NOTE = re.compile(r" \[(" + "|".join(re.escape(n) for n in NOTES.values()) + r")\]")


_FAKE_QUOTE_LABEL = re.compile(r"\[\s*q\s*\d+[^\]\n]{0,80}\]|[\u2713\u2714\u2611\u2705\u221a\u2717\u2718\u274c]",
                               re.IGNORECASE)
"""What looks like the quote labels drawn here (`[q3 ✓]`, a tick or a cross) in a speech's own text."""


def _speech_plain(text: str) -> str:
    """Model text between quotes, with anything that imitates our quote labels made visible as such."""
    return _FAKE_QUOTE_LABEL.sub(lambda m: f"(speaker wrote {m.group(0)!r})" if len(m.group(0)) > 1
                                 else "(speaker wrote a tick)" if m.group(0) in "\u2713\u2714\u2611\u2705\u221a"
                                 else "(speaker wrote a cross)", text)


def mark_quotes(shown: str, quotes: list[dict[str, Any]], tags: tuple[str, str], first: int) -> Text:
    """A speech with its quotes coloured and numbered; quotes are taken in order of appearance.
    A quote that is in the story but not evidence (too short, or changes the meaning) says so.
    Text that imitates the quote labels drawn here is shown as written by the speaker."""
    verified_tag, unverified_tag = tags
    pattern = re.compile(rf"<({re.escape(verified_tag)}|{re.escape(unverified_tag)})>(.*?)</\1>", re.DOTALL)
    out, pos, n = Text(), 0, 0
    for m in pattern.finditer(shown):
        out.append(_speech_plain(shown[pos:m.start()]))
        q = quotes[n] if n < len(quotes) else {}
        ok = m.group(1) == verified_tag
        out.append(f"“{_speech_plain(m.group(2))}”", style="green" if ok else "red")
        note = _NOTE.match(shown, m.end())
        fuzzy = f", fuzzy {q['fuzzy']}" if "fuzzy" in q else ""  # a judging form has the tags, not the scores
        label = f"[q{first + n} ✓]" if ok else f"[q{first + n} ✗ unverified{fuzzy}]"
        if note:
            label = f"[q{first + n} {'✓' if ok else '✗'} {note.group(1)}]"
        out.append(label, style=("bold yellow" if note else "bold green") if ok else "bold red")
        pos, n = (note.end() if note else m.end()), n + 1
    out.append(_speech_plain(shown[pos:]))
    return out


def turn_label(label: str) -> Text:
    """A real speaker label, in the style only our own markup gives."""
    return Text(f"\n {label} ", style=TURN_STYLE)


def speech_text(shown: str, quotes: list[dict[str, Any]], tags: tuple[str, str], first: int, speaker: str) -> Speech:
    """A speech as a person reads it: every line behind the speech prefix, its quotes marked,
    and any speaker label it wrote itself flagged as written inside this speech."""
    out, k = Text(), 0
    opening = re.compile(rf"<(?:{re.escape(tags[0])}|{re.escape(tags[1])})>")
    for is_label, chunk in split_labels(safe_shown(shown, *tags), tags):
        if is_label:
            out.append(f"⚠ {chunk.strip()} ", style=FORGED_STYLE)
            out.append(f"(written inside {speaker}'s speech; not a turn) ", style="italic yellow")
        else:
            out.append_text(mark_quotes(chunk, quotes[k:], tags, first + k))
            k += len(opening.findall(chunk))
    return Speech(out)


class Speech:
    """A speech drawn behind the speech prefix on every line it takes on screen, wrapped lines
    too, so a reader can always tell speech text from our labels; `text` is the speech itself."""

    def __init__(self, text: Text) -> None:
        self.text = text

    @property
    def plain(self) -> str:
        return self.text.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width - cell_len(SPEECH_PREFIX))
        prefix = Segment(SPEECH_PREFIX, console.get_style("dim cyan"))
        for line in console.render_lines(self.text, options.update(width=width, height=None), pad=False):
            yield prefix
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        inner = Measurement.get(console, options, self.text)
        return Measurement(inner.minimum + cell_len(SPEECH_PREFIX), inner.maximum + cell_len(SPEECH_PREFIX))


__all__ = ["FORGED_STYLE", "LETTERS", "TURN_STYLE", "Speech", "mark_quotes", "speech_text", "turn_label"]
