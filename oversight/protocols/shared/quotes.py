"""Quotes in debaters' speeches: find them, check them against the passage, mark them for the judge.

Debaters write `<quote>exact words</quote>`. The judge cannot read the passage, so every quote
is checked here and re-rendered as verified (`<v_quote>`) or unverified (`<u_quote>`).

Matching is done on *normalised* text (Unicode NFKC, lower case, curly quotes and dashes folded,
every run of punctuation and whitespace collapsed to one space), so a quote that differs from the
passage only in case, punctuation, quote style or line breaks still counts as exact. We log three
numbers per quote so a researcher can choose a stricter or looser rule afterwards:

- `verbatim`: the raw quote is a substring of the raw passage (character for character);
- `exact`: the normalised quote is a substring of the normalised passage, on word boundaries;
- `fuzzy`: rapidfuzz `partial_ratio` (0-100) of normalised quote against normalised passage,
  i.e. the best similarity of the quote to any passage window of the same length.

A quote is `verified` when `exact` or `verbatim` holds (and it has some letters or digits), or,
if a fuzzy threshold is configured, when `fuzzy >= threshold`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz import fuzz

_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u00a0": " ",
    }
)


@dataclass(frozen=True)
class Normalised:
    """Normalised text plus, for each of its characters, the index it came from in the raw text."""

    text: str
    origin: list[int]


def normalise(raw: str) -> Normalised:
    """Fold case, quotes, dashes, punctuation and whitespace; keep a map back to raw offsets.

    Every run of non-alphanumeric characters, apostrophes included, becomes one space, so a
    quote of "Burnside" matches "Burnside's" and "'ll go" matches "I'll go" on word boundaries.
    """
    chars: list[str] = []
    origin: list[int] = []
    pending_space = False
    for i, ch in enumerate(raw):
        folded = unicodedata.normalize("NFKC", ch).translate(_FOLD).lower()
        for c in folded:
            if c.isalnum():
                if pending_space and chars:
                    chars.append(" ")
                    origin.append(i)
                pending_space = False
                chars.append(c)
                origin.append(i)
            else:
                pending_space = True
    return Normalised("".join(chars), origin)


@dataclass
class QuoteCheck:
    """One quote as found in a speech and what the check made of it."""

    text: str
    verified: bool
    verbatim: bool
    exact: bool
    fuzzy: float
    char_span: tuple[int, int] | None
    """Where the exact match sits in the raw passage (`passage[s:e]`), if there is one."""
    closest: str | None
    """The passage text the fuzzy match lined up with, to show what the debater may have meant."""
    unclosed: bool = False
    """The speech ended (e.g. truncated) before the closing tag."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["char_span"] = list(self.char_span) if self.char_span else None
        return data


class Passage:
    """A passage normalised once, so checking many quotes against it stays cheap."""

    def __init__(self, text: str) -> None:
        self.raw = text
        self.norm = normalise(text)
        self._padded = f" {self.norm.text} "

    def check(self, quote: str, *, fuzzy_threshold: float | None = None, unclosed: bool = False) -> QuoteCheck:
        q = normalise(quote).text
        verbatim = bool(quote) and quote in self.raw
        span: tuple[int, int] | None = None
        exact = False
        if q:
            at = self._padded.find(f" {q} ")
            if at >= 0:
                exact = True
                start = self.norm.origin[at]
                end = self.norm.origin[at + len(q) - 1] + 1
                span = (start, end)
        fuzzy = 0.0
        closest: str | None = None
        if q and self.norm.text:
            if exact:
                fuzzy = 100.0
            else:
                align = fuzz.partial_ratio_alignment(q, self.norm.text)
                if align is not None:
                    fuzzy = round(float(align.score), 2)
                    if align.dest_end > align.dest_start:
                        s = self.norm.origin[align.dest_start]
                        e = self.norm.origin[align.dest_end - 1] + 1
                        closest = self.raw[s:e]
        if exact and span is not None:
            closest = self.raw[span[0]:span[1]]
        # A character-for-character substring is verified even off word boundaries ("arbour").
        verified = exact or (verbatim and bool(q)) or (fuzzy_threshold is not None and fuzzy >= fuzzy_threshold)
        return QuoteCheck(quote, verified, verbatim, exact, fuzzy, span, closest, unclosed)


@dataclass
class CheckedSpeech:
    """A speech with its quotes checked and re-rendered for whoever reads it without the passage."""

    shown: str
    quotes: list[QuoteCheck]


def quote_pattern(tag: str) -> re.Pattern[str]:
    """`<tag>...</tag>`, case-insensitive, across line breaks; an unclosed tag runs to the end."""
    t = re.escape(tag)
    return re.compile(rf"<{t}>(.*?)(?:</{t}>|(?=<{t}>)|$)", re.IGNORECASE | re.DOTALL)


def check_speech(
    speech: str,
    passage: Passage,
    *,
    tag: str = "quote",
    verified_tag: str = "v_quote",
    unverified_tag: str = "u_quote",
    fuzzy_threshold: float | None = None,
) -> CheckedSpeech:
    """Find each `<tag>` quote, check it, and replace it by a verified or unverified marker."""
    checks: list[QuoteCheck] = []
    close = re.compile(rf"</{re.escape(tag)}>", re.IGNORECASE)

    def mark(m: re.Match[str]) -> str:
        inner = m.group(1)
        unclosed = not m.group(0).lower().endswith(f"</{tag.lower()}>")
        text = inner.strip()
        check = passage.check(text, fuzzy_threshold=fuzzy_threshold, unclosed=unclosed)
        checks.append(check)
        out_tag = verified_tag if check.verified else unverified_tag
        return f"<{out_tag}>{text}</{out_tag}>"

    # A speaker who writes the judge's markers itself would forge a "verified" quote: treat any
    # such marker as a quote tag, so what it wraps is checked like every other quote.
    forged = re.compile(rf"<(/?)\s*(?:{re.escape(verified_tag)}|{re.escape(unverified_tag)})\s*>", re.IGNORECASE)
    speech = forged.sub(lambda m: f"<{m.group(1)}{tag}>", speech)
    shown = quote_pattern(tag).sub(mark, speech)
    # A stray closing tag without an opening one carries no quote; drop it so it cannot look verified.
    shown = close.sub("", shown)
    return CheckedSpeech(shown, checks)


def quote_stats(checks: list[QuoteCheck]) -> dict[str, Any]:
    """Counts for a transcript's outcome: how many quotes, how many verified."""
    n = len(checks)
    verified = sum(c.verified for c in checks)
    return {"n_quotes": n, "n_verified": verified, "n_unverified": n - verified}


__all__ = ["CheckedSpeech", "Passage", "QuoteCheck", "check_speech", "normalise", "quote_pattern", "quote_stats"]
