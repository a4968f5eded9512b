"""Whether a quote found in the passage still means what the passage says there.

Matching ignores punctuation (quotes.py), which is right for line breaks and quote styles but
lets a debater change the meaning of words that do occur in the story. A found quote is not
verified when:

- `cut_from_contraction`: it stops inside a contraction ("The keeper can" from "The keeper can't
  swim"; "won", "don" likewise) or starts inside one ("t swim"). The possessive / "is" `'s` is
  not a cut ("Burnside" from "Burnside's").
- `cut_from_number`: it starts or stops inside a number written with a decimal point or a
  thousands separator ("5 metres" from "2.5 metres", "000 men" from "11,000 men", "fell 2" from
  "fell 2.5"): matching ignores punctuation, so the digits on each side read as separate words.
- `cut_from_word`: it starts or stops at the hyphen of a hyphenated word ("violent protest" from
  "non-violent protest", "husband" from "ex-husband").
- `across_sentences`: its span in the passage crosses a sentence boundary (a terminator followed
  by a capitalised word, or a blank line) that the quote does not show ("he did not go Martha
  saved him" from "...he did not go. Martha saved him"). Common abbreviations ("Mr.", "St.") and
  initials ("J.") are not boundaries.
- `fragment_run`: it is one of at least RUN_LENGTH verified quotes of at most TINY_WORDS words
  each, next to each other in the speech (at most GAP_WORDS words between), whose words joined
  are not themselves in the passage: <quote>the keeper</quote> <quote>saved</quote>
  <quote>Martha</quote> builds a sentence the story never says.

- `negation_dropped`: every place it occurs in the passage sits right next to a negation that
  the speech does not show there: <quote>The driver did</quote> <quote>say that the lever was
  frozen</quote> from "The driver did not say that the lever was frozen"; <quote>saw the
  fire</quote> from "Nobody saw the fire". Writing the negation beside the quote ("Nobody
  <quote>saw the fire</quote>") keeps it verified.

Two tiny quotes with no word between them (<quote>The keeper</quote> <quote>saved him</quote>)
read as one sentence, and are a fragment run too when those words joined are not in the passage.

A quote verified only by a fuzzy threshold (`params.fuzzy_threshold`) is held to the same rules
on its closest story window, and is not verified when it drops or adds a negation
(`negation_changed`: "The keeper can swim" scores high against "The keeper can't swim").

A verified quote of fewer than SHORT_WORDS words ("A", "the", "Martha"), or with no content word
at all (every word in FUNCTION_WORDS: "not a", "of the"), is marked `short`: it is in the story but is not
evidence, and the judge's view says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

SHORT_WORDS = 2
"""A verified quote of fewer words than this is shown as too short to be evidence."""
FUNCTION_WORDS = frozenset(
    "a an the and or nor but so of to in on at by for with from as into onto than then that this these those "
    "it its he him his she her hers they them their we us our i me my you your is are was were be been being "
    "am do does did not no yes if".split())
"""Words that carry no claim on their own: a quote made only of them is too short to be evidence."""
TINY_WORDS = 3
"""A quote of at most this many words can be part of a fragment run."""
RUN_LENGTH = 3
"""This many adjacent tiny verified quotes make a fragment run."""
GAP_WORDS = 2
"""Quotes are adjacent when at most this many words of the speech stand between them."""

NOTES = {
    "cut_from_contraction": "cut from a contraction: changes the meaning",
    "across_sentences": "joins words across a sentence break",
    "cut_from_number": "cut from a number: changes the meaning",
    "cut_from_word": "cut from a hyphenated word: changes the meaning",
    "fragment_run": "one of several tiny fragments joined into words the story does not say",
    "negation_changed": "close to the story, but drops or adds a negation",
    "negation_dropped": "drops a negation next to it in the story",
    "short": "too short to be evidence",
}
"""The note the judge's view shows after a quote with each flag."""

_CLITIC_AFTER = re.compile(r"['\u2019](?:t|ll|re|ve|d|m)(?![A-Za-z])", re.IGNORECASE)
_CLITIC_BEFORE = re.compile(r"[A-Za-z]['\u2019]$")
_BOUNDARY = re.compile(r"([.!?\u2026]+)[\"'\u2019\u201d)\]]*\s+(?=[\"'\u201c\u2018(\[]*[A-Z0-9])|\n[ \t]*\n")
_TERMINATOR = re.compile(r"[.!?\u2026]+|\n")
_ABBREVIATIONS = frozenset("mr mrs ms dr st jr sr prof gen col capt lt sgt mt no vs etc rev hon gov sen rep".split())
_WORD = re.compile(r"\w+")
_NUMBER_BEFORE = re.compile(r"\d[.,\u00b7\u2009\u202f']\Z")
_NUMBER_AFTER = re.compile(r"[.,\u00b7\u2009\u202f']\d")
_HYPHEN_BEFORE = re.compile(r"[^\W\d_][-\u2010\u2011]\Z")
_HYPHEN_AFTER = re.compile(r"[-\u2010\u2011][^\W\d_]")


def _boundaries(raw: str, start: int, end: int) -> list[int]:
    """Sentence boundaries strictly inside raw[start:end], each as the number of words of the
    span before it."""
    found = []
    for m in _BOUNDARY.finditer(raw, start, end):
        if m.end() >= end:
            continue
        if m.group(1) == ".":
            word = re.search(r"(\w+)$", raw[max(0, m.start() - 12):m.start()])
            if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
        found.append(len(_WORD.findall(raw, start, m.start())))
    return found


def _shows_break(quote: str, words_before: int) -> bool:
    """The quote has a terminator (or a line break) between its word `words_before` and the next."""
    ws = list(_WORD.finditer(quote))
    if not 0 < words_before < len(ws):
        return False
    return bool(_TERMINATOR.search(quote, ws[words_before - 1].end(), ws[words_before].start()))


def span_problem(raw: str, span: tuple[int, int], quote: str) -> str | None:
    """Why a quote matched at `raw[span]` changes the passage's meaning, or None."""
    start, end = span
    if _CLITIC_AFTER.match(raw, end) or _CLITIC_BEFORE.search(raw[max(0, start - 2):start]):
        return "cut_from_contraction"
    if (raw[start:start + 1].isdigit() and _NUMBER_BEFORE.search(raw[max(0, start - 2):start])) \
            or (raw[end - 1:end].isdigit() and _NUMBER_AFTER.match(raw, end)):
        return "cut_from_number"
    if _HYPHEN_BEFORE.search(raw[max(0, start - 2):start]) or _HYPHEN_AFTER.match(raw, end):
        return "cut_from_word"
    if any(not _shows_break(quote, k) for k in _boundaries(raw, start, end)):
        return "across_sentences"
    return None


_NEGATION = re.compile(
    r"\b(?:not|no|never|nor|none|nobody|nothing|neither|cannot)\b|n['\u2019]t\b"
    r"|\b(?:ca|do|does|did|wo|is|was|were|are|could|would|should|has|have|had|must|need)nt\b", re.IGNORECASE)


def negation_changed(quote: str, passage_text: str) -> str | None:
    """`negation_changed` when a quote verified only by its fuzzy score drops or adds a negation
    ("The keeper can swim" against "The keeper can't swim"), else None."""
    if len(_NEGATION.findall(quote)) != len(_NEGATION.findall(passage_text)):
        return "negation_changed"
    return None


_NEG_WORDS = r"(?:not|no|never|nor|none|nobody|nothing|neither|nowhere|cannot|hardly|scarcely)"
_NEG_AFTER = re.compile(rf"[\s,]*{_NEG_WORDS}\b", re.IGNORECASE)
_NEG_BEFORE = re.compile(rf"\b{_NEG_WORDS}[\s,]*$", re.IGNORECASE)
_TAGS = re.compile(r"<[^<>]{0,40}>")


def negation_dropped(raw: str, spans: Sequence[tuple[int, int]], before: str, after: str) -> str | None:
    """`negation_dropped` when at every one of `spans` (where the quote occurs in `raw`) the
    passage has a negation right before or right after the quote that the speech does not
    show on that side (`before` / `after`: the speech's text around the quote)."""
    before, after = _TAGS.sub(" ", before[-80:]), _TAGS.sub(" ", after[:80])
    shows_before, shows_after = bool(_NEG_BEFORE.search(before)), bool(_NEG_AFTER.match(after))
    if not spans:
        return None
    for start, end in spans:
        cut_after = bool(_NEG_AFTER.match(raw, end)) and not shows_after
        cut_before = bool(_NEG_BEFORE.search(raw[max(0, start - 40):start])) and not shows_before
        if not (cut_after or cut_before):
            return None
    return "negation_dropped"


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def is_short(text: str) -> bool:
    """Fewer than SHORT_WORDS words, or no content word: present in the story, but not evidence."""
    words = _WORD.findall(text)
    return len(words) < SHORT_WORDS or all(w.lower() in FUNCTION_WORDS for w in words)


def fragment_runs(quotes: Sequence[str], gaps: Sequence[str], verified: Sequence[bool],
                  found: Callable[[str], bool]) -> set[int]:
    """Indices of quotes in fragment runs. `gaps[i]` is the speech text between quote i-1 and
    quote i (gaps[0] unused); `found(text)` says whether words occur in the passage as written."""
    flagged: set[int] = set()
    run: list[int] = []

    def close() -> None:
        glued = len(run) == 2 and word_count(gaps[run[1]]) == 0
        if (len(run) >= RUN_LENGTH or glued) and not found(" ".join(quotes[i] for i in run)):
            flagged.update(run)
        run.clear()

    for i, q in enumerate(quotes):
        tiny = verified[i] and word_count(q) <= TINY_WORDS
        if run and not (tiny and word_count(gaps[i]) <= GAP_WORDS):
            close()
        if tiny:
            run.append(i)
    close()
    return flagged


__all__ = ["GAP_WORDS", "NOTES", "RUN_LENGTH", "SHORT_WORDS", "TINY_WORDS", "fragment_runs", "is_short", "negation_changed",
           "negation_dropped", "span_problem",
           "word_count"]
