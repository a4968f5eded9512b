"""Quotes in debaters' speeches: find them, check them against the passage, mark them for the judge.

Debaters write `<quote>exact words</quote>`. The judge cannot read the passage, so every quote
is checked here and re-rendered as verified (`<v_quote>`) or unverified (`<u_quote>`).

Matching is done on *normalised* text (Unicode NFKC, lower case, curly quotes and dashes folded,
every run of punctuation and whitespace collapsed to one space), so a quote that differs from the
passage only in case, punctuation, quote style or line breaks still counts as exact. Matches are
on word boundaries only: "finished at one end" is not found inside "unfinished at one end". We
log per quote so a researcher can choose a stricter or looser rule afterwards:

- `verbatim`: the raw quote occurs character for character in the raw passage, on word boundaries;
- `exact`: the normalised quote occurs in the normalised passage, on word boundaries;
- `fuzzy` (0-100): rapidfuzz's best partial alignment of the normalised quote in the normalised
  passage, widened to whole words, scored with `fuzz.ratio` against that whole-word window
  (100 when exact). `closest` / `closest_span` show that window in the ORIGINAL passage, so a
  reviewer sees the difference ("unfinished" against "finished" scores 95, not 100).

A quote is `verified` when `exact` or `verbatim` holds (and it has some letters or digits), or,
if a fuzzy threshold is configured, when `fuzzy >= threshold`, and the match does not change the
passage's meaning (quote_meaning.py: `meaning` names the problem: cut from a contraction, joined
across sentences, part of a run of tiny fragments). A verified quote with fewer than SHORT_WORDS
content words is marked `short`: the judge is told it is not evidence.

Speeches are `clean`ed (lookalike.py: entities, NFKC, no invisible or bidi characters) before
anything else, and tags are found on the speech's skeleton, so look-alike characters neither
forge a marker nor hide a quote from the check (markers.py).

Performance: a passage is normalised once per distinct text (cached), with str.translate over
its distinct characters and numpy over its code points, never a per-character Python loop.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from oversight.protocols.shared.lookalike import skeleton
from oversight.protocols.shared.markers import neutralise_markers
from oversight.protocols.shared.quote_meaning import (
    NOTES,
    fragment_runs,
    is_short,
    negation_changed,
    negation_dropped,
    span_problem,
)

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
    origin: np.ndarray
    """int64 array, len(text) long: origin[j] is the raw offset of normalised character j."""


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One raw character as it reads after folding: alphanumerics kept, anything else one space."""
    folded = unicodedata.normalize("NFKC", ch).translate(_FOLD).lower()
    if not any(c.isalnum() for c in folded):
        return " "
    return "".join(c if c.isalnum() else " " for c in folded)


def normalise(raw: str) -> Normalised:
    """Fold case, quotes, dashes, punctuation and whitespace; keep a map back to raw offsets.

    Every run of non-alphanumeric characters, apostrophes included, becomes one space, so a
    quote of "Burnside" matches "Burnside's" and "'ll go" matches "I'll go" on word boundaries.
    Work is per distinct character (a lookup table) plus numpy over code points.
    """
    raw_cps = np.frombuffer(raw.encode("utf-32-le"), dtype=np.uint32)
    distinct = np.flatnonzero(np.bincount(raw_cps)) if raw_cps.size else np.zeros(0, dtype=np.int64)
    table = {int(k): _fold_char(chr(k)) for k in distinct}
    if all(len(v) == 1 for v in table.values()):
        lut = np.zeros(int(distinct[-1]) + 1 if distinct.size else 1, dtype=np.uint32)
        lut[distinct] = [ord(table[int(k)]) for k in distinct]
        cps = lut[raw_cps]
        base = np.arange(len(raw), dtype=np.int64)
    else:  # a few characters fold to several (ligatures, "\u00bd"): repeat their raw index
        lengths = np.ones(len(raw), dtype=np.int64)
        for k, v in table.items():
            if len(v) != 1:
                lengths[raw_cps == k] = len(v)
        base = np.repeat(np.arange(len(raw), dtype=np.int64), lengths)
        cps = np.frombuffer(raw.translate(table).encode("utf-32-le"), dtype=np.uint32)
    space = cps == 32
    keep = ~space
    keep[1:] |= space[1:] & ~space[:-1]  # the first space of each run
    words = np.flatnonzero(~space)
    if words.size == 0:
        return Normalised("", np.zeros(0, dtype=np.int64))
    keep[: words[0]] = False
    keep[words[-1] + 1:] = False
    text = cps[keep].tobytes().decode("utf-32-le")
    return Normalised(text, base[keep])


_normalise_cached = lru_cache(maxsize=64)(normalise)


def normalised_text(raw: str) -> str:
    """`normalise(raw).text` without the offset map, for short texts such as a quote: folding
    a few hundred characters through the per-character table is cheaper than numpy's setup."""
    if len(raw) > 2000:
        return normalise(raw).text
    return " ".join("".join(map(_fold_char, raw)).split())


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
    """The passage text (whole words) the quote lines up with best: the match itself when exact."""
    unclosed: bool = False
    """The speech ended (e.g. truncated) before the closing tag."""
    closest_span: tuple[int, int] | None = None
    """Where `closest` sits in the raw passage (`passage[s:e] == closest`)."""
    meaning: str | None = None
    """Found, but not verified because the match changes the passage's meaning (quote_meaning.py)."""
    short: bool = False
    """Verified but fewer than SHORT_WORDS words: in the story, yet not evidence."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("char_span", "closest_span"):
            data[key] = list(getattr(self, key)) if getattr(self, key) else None
        return data


class Passage:
    """A passage normalised once, so checking many quotes against it stays cheap.

    Constructing `Passage(story)` again for the same story text reuses the cached normalisation;
    `Passage.of(story)` returns one shared instance per story.
    """

    def __init__(self, text: str) -> None:
        self.raw = text
        self.norm = _normalise_cached(text)
        self._padded = f" {self.norm.text} "

    @classmethod
    @lru_cache(maxsize=64)
    def of(cls, text: str) -> Passage:
        """The shared Passage for this story text (cached per text)."""
        return cls(text)

    def _raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw offsets of normalised text[start:end] (both ends on word characters)."""
        return int(self.norm.origin[start]), int(self.norm.origin[end - 1]) + 1

    def _closest(self, q: str) -> tuple[float, tuple[int, int] | None]:
        """Best whole-word window for a quote that is not exact, and its ratio score."""
        text = self.norm.text
        align = fuzz.partial_ratio_alignment(q, text)
        if align is None or align.dest_end <= align.dest_start:
            return 0.0, None
        start = text.rfind(" ", 0, align.dest_start) + 1
        end = text.find(" ", align.dest_end - 1)
        end = len(text) if end < 0 else end
        while end > start and text[end - 1] == " ":
            end -= 1
        if end <= start:
            return 0.0, None
        return round(float(fuzz.ratio(q, text[start:end])), 2), self._raw_span(start, end)

    def check(self, quote: str, *, fuzzy_threshold: float | None = None, unclosed: bool = False) -> QuoteCheck:
        q = normalised_text(quote)
        verbatim = bool(q) and _on_word_boundaries(quote, self.raw)
        span: tuple[int, int] | None = None
        at = self._padded.find(f" {q} ") if q else -1
        exact = at >= 0
        if exact:
            span = self._raw_span(at, at + len(q))
        fuzzy, closest_span = 0.0, None
        if exact:
            fuzzy, closest_span = 100.0, span
        elif q and self.norm.text:
            fuzzy, closest_span = self._closest(q)
        closest = self.raw[closest_span[0]:closest_span[1]] if closest_span else None
        verified = exact or verbatim or (fuzzy_threshold is not None and bool(q) and fuzzy >= fuzzy_threshold)
        meaning = span_problem(self.raw, span, quote) if span else None
        if verified and not exact and not verbatim and closest is not None:  # verified by the fuzzy score only
            meaning = negation_changed(quote, closest) or span_problem(self.raw, closest_span, closest)
        verified = verified and meaning is None
        short = verified and is_short(q)
        return QuoteCheck(quote, verified, verbatim, exact, fuzzy, span, closest, unclosed, closest_span,
                          meaning, short)

    def spans(self, quote: str, limit: int = 50) -> list[tuple[int, int]]:
        """Raw spans of every exact (normalised) occurrence of `quote`, at most `limit`."""
        q = normalised_text(quote)
        out: list[tuple[int, int]] = []
        at = self._padded.find(f" {q} ") if q else -1
        while at >= 0 and len(out) < limit:
            out.append(self._raw_span(at, at + len(q)))
            at = self._padded.find(f" {q} ", at + 1)
        return out

    def contains(self, text: str) -> bool:
        """The words occur in the passage as written (after normalising), on word boundaries."""
        q = normalised_text(text)
        return bool(q) and f" {q} " in self._padded


def _on_word_boundaries(quote: str, raw: str) -> bool:
    """The raw quote occurs in the raw passage with no letter or digit glued to either end."""
    at = raw.find(quote) if quote else -1
    while at >= 0:
        before = raw[at - 1] if at > 0 else " "
        after = raw[at + len(quote)] if at + len(quote) < len(raw) else " "
        if not (quote[0].isalnum() and before.isalnum()) and not (quote[-1].isalnum() and after.isalnum()):
            return True
        at = raw.find(quote, at + 1)
    return False


@dataclass
class CheckedSpeech:
    """A speech with its quotes checked and re-rendered for whoever reads it without the passage."""

    shown: str
    quotes: list[QuoteCheck]
    empty: int = 0
    """Quote tags around no letter or digit (nothing, spaces, dots): no claim to check, left out
    of the shown speech and of `quotes`, counted here (small models write many)."""


def _tag_name(name: str) -> str:
    """A tag name as a pattern that tolerates any case and spacing: 'v_quote' ~ 'V _ Quote'."""
    return r"\s*".join(re.escape(c) for c in name)


@lru_cache(maxsize=32)
def quote_pattern(tag: str) -> re.Pattern[str]:
    """`<tag>...</tag>`, any case or spacing, attributes allowed, across line breaks; an unclosed
    tag runs to the next opening tag or the end."""
    t = _tag_name(tag)
    open_, close = rf"<\s*{t}(?![\w])[^<>]*>", rf"<\s*/\s*{t}\s*>"
    return re.compile(rf"{open_}(.*?)(?P<close>{close}|(?={open_})|$)", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=32)
def _closing_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<\s*/\s*{_tag_name(tag)}\s*>", re.IGNORECASE)


def _note(check: QuoteCheck) -> str:
    """What the judge's view says after a quote that was found but is not plain evidence."""
    flag = check.meaning or ("short" if check.short else None)
    return f" [{NOTES[flag]}]" if flag else ""


def check_speech(
    speech: str,
    passage: Passage,
    *,
    tag: str = "quote",
    verified_tag: str = "v_quote",
    unverified_tag: str = "u_quote",
    fuzzy_threshold: float | None = None,
) -> CheckedSpeech:
    """Find each `<tag>` quote, check it, and replace it by a verified or unverified marker.

    The speech is cleaned and any look-alike of a judge's marker becomes the plain quote tag
    first; tags are matched on the skeleton, their text taken from the cleaned speech.
    """
    markers = (verified_tag, unverified_tag)
    text = neutralise_markers(speech.replace("\x00", ""), tag, markers)
    empty = 0
    while True:  # each pass takes out at least one tag, so this ends
        skel = skeleton(text)
        matches = list(quote_pattern(tag).finditer(skel))
        hollow = [m.span() for m in matches if not any(c.isalnum() for c in text[m.start(1):m.end(1)])]
        stray = [s.span() for start, end in _gaps(matches, len(skel))
                 for s in _closing_pattern(tag).finditer(skel, start, end)]
        if not hollow and not stray:
            break
        empty += len(hollow)
        text = neutralise_markers(_take_out(text, sorted(hollow + stray)), tag, markers)
    checks: list[QuoteCheck] = []
    gaps: list[str] = []
    last = 0
    for m in matches:
        inner = text[m.start(1):m.end(1)].strip()
        checks.append(passage.check(inner, fuzzy_threshold=fuzzy_threshold, unclosed=not m.group("close")))
        gaps.append(text[last:m.start()])
        last = m.end()
    for m, check in zip(matches, checks):
        if check.verified:  # exact: every place it occurs; verified by the fuzzy score: its closest window
            spans = passage.spans(check.text) if check.exact else [check.closest_span] if check.closest_span else []
            dropped = negation_dropped(passage.raw, spans, text[:m.start()], text[m.end():])
            if dropped:
                check.verified, check.meaning, check.short = False, dropped, False
    for i in fragment_runs([c.text for c in checks], gaps, [c.verified for c in checks], passage.contains):
        checks[i].verified, checks[i].meaning, checks[i].short = False, "fragment_run", False
    pieces: list[str] = []
    last = 0
    for m, check in zip(matches, checks):
        out_tag = verified_tag if check.verified else unverified_tag
        pieces += [text[last:m.start()], f"<{out_tag}>{check.text}</{out_tag}>{_note(check)}"]
        last = m.end()
    pieces.append(text[last:])
    return CheckedSpeech("".join(pieces), checks, empty)


def _gaps(matches: list[re.Match[str]], end: int) -> list[tuple[int, int]]:
    """The stretches of a speech outside its quote tags."""
    starts = [0, *(m.end() for m in matches)]
    return list(zip(starts, [*(m.start() for m in matches), end]))


def _take_out(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without the tags at `spans` (empty quote tags, closing tags with no opening): each
    leaves a space where it sat between two words (`says<quote></quote>that` reads `says that`),
    nothing elsewhere. Whatever the text on either side makes once joined is read again as any
    speech is: `<v_qu<quote></quote>ote>` becomes a look-alike marker, so a checked quote."""
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        if start > 0 and end < len(text) and not text[start - 1].isspace() and not text[end].isspace():
            out.append(" ")
        last = end
    out.append(text[last:])
    return "".join(out)


def quote_stats(checks: list[QuoteCheck], empty: int = 0) -> dict[str, Any]:
    """Counts for a speech's quote_check note: quotes, verified, unverified, verified but too short
    to be evidence, found but not verified because the match changes the meaning; and, when
    there were any, empty quote tags (not quotes: nothing was claimed)."""
    n = len(checks)
    verified = sum(c.verified for c in checks)
    out = {"n_quotes": n, "n_verified": verified, "n_unverified": n - verified,
           "n_short": sum(c.short for c in checks), "n_meaning_changed": sum(c.meaning is not None for c in checks)}
    if empty:
        out["n_empty"] = empty
    return out


__all__ = [
    "CheckedSpeech",
    "Passage",
    "QuoteCheck",
    "check_speech",
    "normalise",
    "normalised_text",
    "quote_pattern",
    "quote_stats",
]
