"""Probabilities stated in a judge's free text, each tied to what it is a probability *of*.

A value is read for one option ("B, 70%", "P(A) = 0.3", "probability that B is correct: 10%",
"I'd put B at 30%"), for the judge's own answer ("confidence: 80%", "I'm 85% sure", a lone
"80%." sentence), or as the chance the judge is wrong ("a 30% chance I'm wrong", "uncertainty
15%", "40% unsure", "the probability that A is wrong is 0.2"), which is converted (1 - p).
What is read counts: percentages, decimals in [0, 1], fractions ("8/10", "3/4", "1 in 10",
"one-in-four"). A bare whole number ("A, 7") is no probability. A percentage the reader cannot
tie to anything, a value over 100%, or one value tied to two options is reported as a problem,
and the caller makes the verdict invalid rather than drop or copy it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_I = re.IGNORECASE
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "twenty": 20, "hundred": 100}
_NUM_WORD = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twenty|hundred)"
_VAL = (rf"(?P<v>\d{{1,4}}(?:\.\d+)?\s*(?:%|percent\b|per\s*cent\b)|\d+(?:\.\d+)?\s*(?:/|out\s+of)\s*\d+(?!\s*/)|"
        rf"{_NUM_WORD}[\s-]+in[\s-]+{_NUM_WORD}\b|0?\.\d+(?![\d/])|1\.0+(?![\d/]))")
_ABOUT = r"(?:(?:about|around|roughly|approximately|maybe|only|just|~|≈)\s*)?"
_REF = r"(?:(?:the\s+)?(?:debater|answer|option|choice)\s+)?\(?"
_WRONG = r"(?:wrong|mistaken|incorrect|off)"


@dataclass
class Stated:
    """One probability statement: for `letter` (None: the judge's own answer), already turned into
    P(letter is correct); `span` is where it sits; `embedded` when its letter sits inside the phrase."""

    letter: str | None
    value: float
    span: tuple[int, int]
    embedded: bool = False


@dataclass
class Probabilities:
    per_option: list[Stated] = field(default_factory=list)
    own: list[Stated] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def spans(self, embedded_only: bool = False) -> list[tuple[int, int]]:
        return [s.span for s in [*self.per_option, *self.own] if s.embedded or not embedded_only]


def value_of(raw: str) -> float:
    """A matched value as a probability; ValueError (with the value) when it cannot be one."""
    raw = raw.strip().lower()
    m = re.fullmatch(rf"({_NUM_WORD})[\s-]+in[\s-]+({_NUM_WORD})", raw)
    if m:
        num, den = (float(_WORDS.get(g, g)) for g in m.groups())  # type: ignore[arg-type]
    elif "%" in raw or "per" in raw:
        num, den = float(re.match(r"[\d.]+", raw).group(0)), 100.0  # type: ignore[union-attr]
    elif "/" in raw or "out" in raw:
        num, den = (float(x) for x in re.split(r"\s*(?:/|out\s+of)\s*", raw))
    elif re.fullmatch(r"\d+", raw):
        if not 10 < int(raw) <= 100:
            raise ValueError(f"{raw} (a whole number with no scale)")
        num, den = float(raw), 100.0
    else:
        num, den = float(raw), 1.0
    if den == 0 or not 0.0 <= num / den <= 1.0:
        raise ValueError(raw)
    return num / den


@lru_cache(maxsize=32)
def _patterns(letters: str) -> list[tuple[str, re.Pattern[str]]]:
    """(kind, pattern) in priority order. Kinds: opt (letter then value), emb (letter inside the
    phrase), embw (a probability that the letter is *wrong*), own, wrong (chance the judge is wrong)."""
    bare = rf"(?P<l>(?-i:[{letters}]))(?![\w'])"
    # a letter followed by another predicate ("that A is lying") is not what the value is of
    L = rf"{bare}(?!\s+(?:is|was|isn't|wasn't|has|had|did|will|would)\s+(?!(?:actually\s+|really\s+)?"
    L += r"(?:correct|right|true|the\s+(?:correct\s+|right\s+|better\s+)?answer)\b))"
    return [
        ("emb", re.compile(rf"\bP\s*\(\s*{L}\s*\)\s*(?:=|:|is|~|≈)?\s*{_ABOUT}{_VAL}", _I)),
        ("embw", re.compile(rf"\b(?:probability|chance|likelihood|odds)\s+(?:that\s+)?{_REF}{bare}\s+is\s+{_WRONG}\s*"
                            rf"(?:is|:|=|of|at)?\s*{_ABOUT}{_VAL}", _I)),
        ("emb", re.compile(rf"\b(?:probability|chance|likelihood|odds|confidence)\s+(?:that\s+|of\s+|for\s+|in\s+|on\s+)?"
                           rf"{_REF}{L}(?:\s+(?:is|being)\s+(?:actually\s+)?(?:correct|right|true))?\s*(?:is|:|=|of|at)?\s*"
                           rf"{_ABOUT}{_VAL}", _I)),
        ("emb", re.compile(rf"\b{_VAL}\s*(?:chance|probability|likelihood|confidence|confident|sure)?\s*(?:that|for|on|in|to)\s+"
                           rf"{_REF}{L}(?:\s+is\s+(?:actually\s+)?(?:correct|right|true))?", _I)),
        ("opt", re.compile(rf"(?<![\w']){_REF}{L}\s*\)?\s*(?:[:=,\-–]|\bat\b|\bis\s+at\b|\bgets\b)?\s*\(?\s*"
                           rf"(?:with\s+)?(?:a\s+)?{_ABOUT}{_VAL}", _I)),
        ("opt", re.compile(rf"(?<![\w']){_REF}{L}\s*[,:]?\s*\(\s*(?:confidence|probability|p)\s*(?:level\s*)?[:=]?\s*"
                           rf"{_ABOUT}{_VAL}", _I)),
        ("bare", re.compile(rf"{_VAL}[ \t]+{L}", _I)),
        ("wrong", re.compile(rf"{_VAL}\s*(?:chance|probability|likelihood|risk)\s+(?:that\s+)?(?:I|I'm|I\s+am|I've|I\s+might\s+be|"
                             rf"I'm\s+being|this\s+is|my\s+answer\s+is|it's|it\s+is)\s*(?:am\s+|be\s+|been\s+|is\s+)?{_WRONG}", _I)),
        ("wrong", re.compile(rf"\b(?:chance|probability|likelihood|risk)\s+(?:that\s+)?(?:I'm|I\s+am|I\s+might\s+be|"
                             rf"my\s+answer\s+is|it's|it\s+is)\s+{_WRONG}\s*(?:is|:|=|of|at)?\s*{_ABOUT}{_VAL}", _I)),
        ("wrong", re.compile(rf"\b(?:uncertainty|doubt)\s*(?:is|:|=|of|at)?\s*{_ABOUT}{_VAL}", _I)),
        ("wrong", re.compile(rf"\b(?:(?:probability|chance|risk|likelihood)\s+(?:wrong|of\s+(?:an?\s+)?(?:error|mistake|being\s+"
                             rf"(?:wrong|mistaken|incorrect)))|error\s+(?:probability|rate|chance))\s*(?:is|:|=|of|at)?\s*{_ABOUT}{_VAL}", _I)),
        ("wrong", re.compile(rf"{_VAL}\s*(?:unsure|uncertain|uncertainty|doubt)", _I)),
        ("own", re.compile(rf"\b(?:confidence|probability|certainty|likelihood|credence)(?:\s+(?:level|score|rating|correct|right|"
                           rf"(?:of\s+)?being\s+(?:correct|right)|"
                           rf"of\s+correctness|(?:that\s+)?(?:it|this|my\s+answer)\s+is\s+correct))?\s*(?:is|:|=|of|at|~)?\s*:?\s*"
                           rf"{_ABOUT}{_VAL}", _I)),
        ("own", re.compile(rf"\b(?:confidence|probability|certainty|credence)(?:\s+(?:level|score))?\s*(?:is|:|=|of|at)?\s*:?\s*"
                           rf"(?P<v>\d{{1,3}})(?![\d.%/\w])", _I)),
        ("own", re.compile(rf"{_ABOUT}{_VAL}\s*(?:confident|sure|certain|confidence|probability|likely|likelihood)\b", _I)),
        ("own", re.compile(rf"\b(?:with|at)\s+(?:a\s+)?{_ABOUT}{_VAL}", _I)),
        ("own", re.compile(rf"(?<![\w(])p\s*[=:]\s*{_ABOUT}{_VAL}", _I)),
        ("own", re.compile(rf"(?:(?m:^)|(?<=[.!:]\s))\s*{_ABOUT}(?P<v>\d{{1,3}}(?:\.\d+)?\s*%)\s*[.!]?[ \t]*(?=\n|$)", _I)),
    ]


_PERCENT = re.compile(r"\d+(?:\.\d+)?\s*(?:%|percent\b|per\s*cent\b)", _I)
# "Probability: 0.8 that B is wrong": what follows the value says what it is of.
_OF_WHAT = re.compile(r"\s*\(?\s*(?:that|of|for|on|about)\b", _I)
_SURE = re.compile(r"\b(?:sure|confident|certain)\s*$", _I)
# What may follow "I'm 80% sure" for the value to be about the answer: nothing (end of the
# clause), "of it", "in my answer", "that it's B", "that B is correct". "I'm 99% sure Debater A is
# lying" is a confidence about a claim, and copying it onto the answer would invent a number.
_ABOUT_ANSWER = re.compile(
    r"\s*(?:[.,;:!?)\n]|$|(?:and|but|so|though|although|because|since|given|overall|here|now|in\s+(?:this|my)\s+"
    r"(?:answer|verdict|choice|call|judg(?:e)?ment|assessment|conclusion|reading))\b|"
    r"(?:of|in|about|on|with|for)\s+(?:being\s+(?:correct|right)|this|it|that|my\s+\w+|the\s+(?:answer|verdict|choice)|(?:this|that)\s+(?:answer|verdict|choice|call|one))\b|"
    r"(?:that\s+)?(?:it(?:'s|\s+is)|this\s+is|that's|(?:the|my)\s+answer\s+is|I'm\s+(?:right|correct)|I\s+am\s+(?:right|correct)|"
    r"(?:(?:debater|answer|option)\s+)?[A-J]\s+is\s+(?:correct|right|the\s+answer))\b)", _I)


def read_probabilities(text: str, letters: str) -> Probabilities:
    """Every probability statement in the judge's own (masked) text, tied to what it is of."""
    out = Probabilities()
    taken: list[tuple[tuple[int, int], tuple[int, int], str | None, str]] = []  # match, value, whose, kind
    for kind, pattern in _patterns(letters):
        for m in pattern.finditer(text):
            letter = m.groupdict().get("l")
            letter = letter.upper() if letter else None
            same = [(who, k) for _, v, who, k in taken if v == m.span("v")]
            if same:
                # "B, 70% A": a value between two letters is tied to both; "A, with a 25% chance
                # that B is correct": the phrase says whose it is.
                if letter is not None and any(w is not None and w != letter and "bare" in (k, kind) for w, k in same):
                    out.problems.append(f"{m.group('v').strip()} is tied to two options")
                continue
            if any(s < m.end() and m.start() < e for (s, e), _, _, _ in taken):
                continue
            taken.append((m.span(), m.span("v"), letter, kind))
            try:
                value = value_of(m.group("v"))
            except ValueError as exc:
                shown = str(exc) if "scale" in str(exc) else f"{m.group('v').strip()} is not between 0% and 100%"
                out.problems.append(f"probability {shown}")
                continue
            qualified = _OF_WHAT.match(text, m.end())
            if kind == "own" and (_SURE.search(m.group(0)) or qualified) and not _ABOUT_ANSWER.match(text, m.end()):
                out.problems.append(f"{m.group('v').strip()} is a confidence about something else, not an answer")
                continue
            if kind in ("wrong", "embw"):
                value = 1.0 - value
            stated = Stated(letter, value, m.span(), embedded=kind != "opt")
            (out.per_option if letter is not None else out.own).append(stated)
    for m in _PERCENT.finditer(text):
        if not any(s <= m.start() < e for (s, e), _, _, _ in taken):
            out.problems.append(f"{m.group(0).strip()} is not tied to an answer")
    return out


__all__ = ["Probabilities", "Stated", "read_probabilities", "value_of"]
