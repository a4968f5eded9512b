"""Turn a judge's output into a choice between lettered answers, with a probability if stated.

Two readers, usable by any protocol whose judge picks one of a few lettered options:

- `parse_verdict(text)`: real model text ("I think A... Final answer: (B), 70%", "**Answer: B**
  (confidence: 0.7)", "A or B? I'd say b with 60 percent"). Text we cannot read with confidence
  comes back `invalid` with a reason; callers count it, never drop it.
- `read_logprobs(tokens)`: P(A) vs P(B) from the first generated token's top alternatives, for
  judges (including small base models) prompted to answer with a single letter.

Parsing goes by evidence tiers, strongest first, and within a tier the *last* statement wins
(models often think aloud and then conclude): an explicit "final answer"; then "answer:",
"verdict:", "winner:" and the like; then verbs of choosing ("I choose B", "I'd say b", "B is
correct"); then a bare letter opening the reply (what a base model says after "Answer:").
A lone lower-case "a" counts only where it cannot be the English article.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from oversight.models.types import TokenLogprob


@dataclass
class Verdict:
    """A parsed judgment: which option (0-based, in the order *shown* to the judge) and how sure."""

    choice: int | None
    probability: float | None = None
    """The judge's stated probability that `choice` is correct, if any (0-1)."""
    probs: list[float] | None = None
    """A probability per option, when the judge gave one for each or we read logprobs."""
    invalid: bool = False
    reason: str = ""
    """Which rule matched, or why nothing could be read."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _letters(n: int) -> str:
    return "ABCDEFGHIJ"[:n]


_NUM = r"(\d{1,3}(?:\.\d+)?|\.\d+)(?![\d.]*\d)"
_REFUSAL = re.compile(
    r"\b(neither|both (?:are|answers)|cannot (?:determine|decide|tell)|can't (?:determine|decide|tell)|"
    r"unable to (?:determine|decide)|no way to (?:know|tell)|insufficient information)\b",
    re.IGNORECASE,
)


def _letter_rx(letters: str) -> str:
    """A letter, optionally wrapped in (), [], ** or quotes, as a whole token."""
    cls = f"[{letters}{letters.lower()}]"
    return rf"[\(\[\"'*]*\s*({cls})\s*[\)\]\"'*]*(?![\w])"


def _tiers(letters: str) -> list[tuple[str, re.Pattern[str]]]:
    L = _letter_rx(letters)
    who = r"(?:(?:debater|option|answer|choice|consultant)\s+)?"
    return [
        ("final answer", re.compile(rf"final\s+(?:answer|verdict|choice|decision)\s*(?:is|:|-|=)?\s*[:\-]?\s*{who}{L}", re.IGNORECASE)),
        ("labelled answer", re.compile(
            rf"\b(?:answer|verdict|choice|decision|winner|conclusion)\s*(?:is|:|-|=)\s*[:\-]?\s*{who}{L}", re.IGNORECASE)),
        ("choice verb", re.compile(
            rf"\b(?:i(?:'d| would)?\s+(?:say|choose|pick|select|go with|vote for|side with|think|believe)|"
            rf"(?:choose|pick|select|vote for|go with|side with)|confident\s+(?:in|that|of))"
            rf"\s*[:\-]?\s*(?:that\s+)?(?:the\s+)?{who}{L}", re.IGNORECASE)),
        ("letter is correct", re.compile(
            rf"{who}{L}\s+(?:is|seems|looks)\s+(?:the\s+)?(?:correct|right|more likely|better supported)", re.IGNORECASE)),
        ("leading letter", re.compile(rf"^\s*(?:judge\s*:\s*)?{who}{L}(?=\s*(?:$|[\n.,;:!)\-]|\s+(?:with|at|because|-)\b))", re.IGNORECASE)),
    ]


def _lower_a_ok(text: str, m: re.Match[str]) -> bool:
    """A lower-case 'a' is accepted only where the article reading is impossible."""
    if m.group(1) != "a":
        return True
    if re.search(r"[\(\[\"'*]\s*a\s*[\)\]\"'*]", m.group(0)):
        return True
    after = text[m.end(1):]
    return bool(re.match(r"\s*(?:$|[.,;:!?)\]\n]|\s+(?:with|at|is|because)\b)", after))


def _probability_near(text: str, start: int) -> float | None:
    """A stated probability: prefer the first one after the answer, else the last one before it."""
    pats = [
        re.compile(rf"{_NUM}\s*(?:%|percent\b|per cent\b)", re.IGNORECASE),
        re.compile(rf"\b(?:confidence|probability|prob|certainty|likelihood|p|sure)\b\s*(?:level|score)?\s*(?:of|is|:|=|~)?\s*{_NUM}(?!\s*(?:%|percent))", re.IGNORECASE),
    ]
    hits: list[tuple[int, float]] = []
    for pat in pats:
        for m in pat.finditer(text):
            value = float(m.group(1))
            if "%" in m.group(0) or "percent" in m.group(0).lower() or "per cent" in m.group(0).lower():
                value /= 100.0
            elif value > 1.0:
                value = value / 100.0 if value <= 100.0 else -1.0
            if 0.0 <= value <= 1.0:
                hits.append((m.start(), value))
    bare = re.match(r"\s*[,(:\-]?\s*(0?\.\d+|1\.0+)(?![\d.]*\d)\s*\)?", text[start:])
    if bare:
        hits.append((start, float(bare.group(1))))
    if not hits:
        return None
    after = [h for h in hits if h[0] >= start]
    if after:
        return min(after)[1]
    return max(hits)[1]


def _per_option_probs(text: str, letters: str) -> list[float] | None:
    """'P(A) = 0.3, P(B) = 0.7' or 'A: 30%, B: 70%' style statements, one per option."""
    probs: dict[str, float] = {}
    for letter in letters:
        m = re.search(
            rf"(?:p\s*\(\s*{letter}\s*\)|\b{letter}\b\s*[:=])\s*[:=]?\s*{_NUM}\s*(%|percent)?", text, re.IGNORECASE
        )
        if not m:
            return None
        value = float(m.group(1))
        if m.group(2) or value > 1.0:
            value /= 100.0
        if not 0.0 <= value <= 1.0:
            return None
        probs[letter] = value
    total = sum(probs.values())
    if total <= 0:
        return None
    return [probs[letter] / total for letter in letters]


def parse_verdict(text: str, n_options: int = 2) -> Verdict:
    """Read which lettered option a judge chose, and its stated probability if any."""
    letters = _letters(n_options)
    if not text or not text.strip():
        return Verdict(None, invalid=True, reason="empty")
    clean = text.replace("**", "").replace("__", "")
    per_option = _per_option_probs(clean, letters)
    for name, pattern in _tiers(letters):
        matches = [m for m in pattern.finditer(clean) if _lower_a_ok(clean, m)]
        if not matches or (name == "leading letter" and per_option is not None):
            continue
        picked = {m.group(1).upper() for m in matches}
        last = matches[-1]
        if len(picked) > 1 and name == "leading letter":
            return Verdict(None, invalid=True, reason="ambiguous: several letters")
        choice = letters.index(last.group(1).upper())
        prob = _probability_near(clean, last.end())
        if per_option is not None:
            prob = per_option[choice]
        return Verdict(choice, probability=prob, probs=per_option, reason=name)
    if per_option is not None:
        best = max(range(n_options), key=lambda i: per_option[i])
        if sum(abs(p - per_option[best]) < 1e-9 for p in per_option) > 1:
            return Verdict(None, probs=per_option, invalid=True, reason="equal probabilities")
        return Verdict(best, probability=per_option[best], probs=per_option, reason="per-option probabilities")
    if _REFUSAL.search(clean):
        return Verdict(None, invalid=True, reason="refused to choose")
    return Verdict(None, invalid=True, reason="no answer found")


def _token_letter(token: str, letters: str) -> str | None:
    """The option a single token names: 'A', ' A', '(A', 'A)', '**A', 'A.'; upper case only,
    since a lower-case ' a' from a base model is almost always the article."""
    core = token.strip().strip("([*\"'").rstrip(")].:,*\"'")
    return core if len(core) == 1 and core in letters else None


def read_logprobs(tokens: list[TokenLogprob] | None, n_options: int = 2) -> Verdict:
    """P(option) from the first generated token's top alternatives, renormalised over the options.

    `extra.mass` is how much of the first-token distribution fell on the options at all: a low
    mass means the judge mostly wanted to say something else and the read is weak.
    """
    letters = _letters(n_options)
    if not tokens:
        return Verdict(None, invalid=True, reason="no logprobs returned")
    first = tokens[0]
    seen: dict[str, float] = {}
    for alt in [*first.top, first]:
        seen.setdefault(alt.token, alt.logprob)
    mass = {letter: 0.0 for letter in letters}
    for token, logprob in seen.items():
        letter = _token_letter(token, letters)
        if letter is not None and math.isfinite(logprob):
            mass[letter] += math.exp(logprob)
    total = sum(mass.values())
    top = sorted(({"token": t, "logprob": round(lp, 4)} for t, lp in seen.items()), key=lambda d: -d["logprob"])
    extra = {"mass": round(total, 6), "top": top}
    if total <= 0:
        return Verdict(None, invalid=True, reason="no option letter among the top tokens", extra=extra)
    probs = [mass[letter] / total for letter in letters]
    best = max(range(n_options), key=lambda i: probs[i])
    if sum(abs(p - probs[best]) < 1e-9 for p in probs) > 1:
        return Verdict(None, probs=probs, invalid=True, reason="equal probabilities", extra=extra)
    return Verdict(best, probability=probs[best], probs=probs, reason="logprobs", extra=extra)


__all__ = ["Verdict", "parse_verdict", "read_logprobs"]
