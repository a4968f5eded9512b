"""Turn a judge's output into a choice between lettered answers, with a probability if stated.

Two readers, usable by any protocol whose judge picks one of a few lettered options:

- `parse_verdict(text)`: real model text, read as a careful person would. Text we cannot read
  with confidence comes back `invalid` with a reason; callers count it, never drop it.
- `read_logprobs(tokens)`: P(A) vs P(B) from the first generated token's top alternatives, for
  judges (including small base models) prompted to answer with a single letter.

How `parse_verdict` reads (see `verdict_text` for the pieces):
1. Clean: markdown, curly quotes, "the first/second option" -> A/B.
2. Mask what is not the judge's own claim: quoted speech, what a debater "claims/argues/says",
   echoed prompt text (instructions, a new "Question:" block, invented "Debater A (round 2):"
   speeches, quotes in tags).
3. Classify every mention of an option letter by its clause: an explicit final answer; a
   labelled answer ("Answer: B", "the answer is not A"); a statement ("I side with B", "B is
   correct", "so A", "it is B", "A is incorrect", "B over A"); a bare letter alone on a line or
   opening the reply. A mention followed by "or B" is a hedge. Negation of one of two options
   chooses the other.
4. Decide: the last final answer if there is one, else the last labelled answer or statement,
   else the last bare letter. A hedge there is invalid ("undecided").
5. Probabilities: per-option statements ("P(A) = 0.3", "A at 30%", "B, 70%") go to their option;
   an unattached one ("confidence 7/10", "I am 90% sure") goes to the chosen option. Only
   percentages, decimals in [0, 1] and (after a probability word) fractions and 11-100 count:
   "A: 3, B: 1" is not a probability. A value over 100% is ignored and the reason says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from oversight.models.types import TokenLogprob
from oversight.protocols.shared.verdict_text import (
    Mention,
    clean_text,
    find_mentions,
    mask_not_judge,
    read_probabilities,
)


@dataclass
class Verdict:
    """A parsed judgment: which option (0-based, in the order *shown* to the judge) and how sure."""

    choice: int | None
    probability: float | None = None
    """The judge's stated probability that `choice` is correct, if any (0-1)."""
    probs: list[float] | None = None
    """A probability per option, when the judge stated one (for two options, one stated value
    fixes both) or we read logprobs."""
    invalid: bool = False
    reason: str = ""
    """Which rule matched (plus notes after "; "), or why nothing could be read."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _letters(n: int) -> str:
    return "ABCDEFGHIJ"[:n]


_REFUSAL = re.compile(
    r"\b(neither|both (?:are|answers|seem|look)|cannot (?:determine|decide|tell|choose)|"
    r"can'?t (?:determine|decide|tell|choose)|unable to (?:determine|decide|choose)|"
    r"no way to (?:know|tell)|insufficient information|not enough information)\b",
    re.IGNORECASE,
)
_TIER_NAMES = {3: "final answer", 2: "labelled answer", 1: "statement", 0: "bare letter"}


def _resolve(m: Mention, letters: str) -> str | None:
    """The option a mention chooses: its letter, or for a negation of one of two, the other."""
    if m.hedge:
        return None
    if m.negated:
        return letters.replace(m.letter, "") if len(letters) == 2 else None
    return m.letter


def _decide(mentions: list[Mention], letters: str) -> tuple[Mention | None, str | None]:
    """The deciding mention and the letter it chooses (None: undecided or unresolvable)."""
    for tiers in ((3,), (2, 1), (0,)):
        pool = [m for m in mentions if m.tier in tiers and (len(letters) == 2 or not m.negated)]
        if pool:
            last = pool[-1]
            return last, _resolve(last, letters)
    return None, None


def parse_verdict(text: str, n_options: int = 2) -> Verdict:
    """Read which lettered option a judge chose, and its stated probability if any."""
    letters = _letters(n_options)
    if not text or not text.strip():
        return Verdict(None, invalid=True, reason="empty")
    clean = clean_text(text, letters)
    masked = mask_not_judge(clean, letters)
    mentions = find_mentions(masked, letters)
    per_option, unattached, notes = read_probabilities(masked, letters)
    deciding, letter = _decide(mentions, letters)

    probs: list[float] | None = None
    if per_option:
        probs = _complete(per_option, letters, notes)

    if deciding is None:
        if probs is not None:
            best = max(range(n_options), key=lambda i: probs[i])
            if sum(abs(p - probs[best]) < 1e-9 for p in probs) > 1:
                return Verdict(None, probs=probs, invalid=True, reason=_join("equal probabilities", notes))
            return Verdict(best, probability=probs[best], probs=probs,
                           reason=_join("per-option probabilities", notes))
        if _REFUSAL.search(masked):
            return Verdict(None, invalid=True, reason=_join("refused to choose", notes))
        return Verdict(None, invalid=True, reason=_join("no answer found", notes))

    tier = _TIER_NAMES[deciding.tier]
    if letter is None:
        why = "undecided between options" if deciding.hedge else "negation does not single out an option"
        return Verdict(None, probs=probs, invalid=True, reason=_join(f"{tier}: {why}", notes))
    choice = letters.index(letter)
    if probs is not None:
        probability: float | None = probs[choice]
        if probability < max(probs):
            notes.append("stated probabilities favour another option")
    else:
        probability = _nearest(unattached, deciding.end)
    return Verdict(choice, probability=probability, probs=probs, reason=_join(tier, notes))


def _complete(per_option: dict[str, float], letters: str, notes: list[str]) -> list[float] | None:
    """Per-option statements as a distribution: two options need one value, more need all."""
    if len(letters) == 2 and len(per_option) == 1:
        (letter, value), = per_option.items()
        other = letters.replace(letter, "")
        per_option = {letter: value, other: 1.0 - value}
    if len(per_option) < len(letters):
        notes.append("probabilities not stated for every option")
        return None
    total = sum(per_option.values())
    if total <= 0:
        notes.append("stated probabilities are all zero")
        return None
    if abs(total - 1.0) > 0.02:
        notes.append(f"stated probabilities sum to {round(total, 4)}; normalised")
    return [per_option[letter] / total for letter in letters]


def _nearest(unattached: list[tuple[int, float]], after: int) -> float | None:
    """An unattached probability: the first after the deciding statement, else the last before."""
    later = [v for pos, v in unattached if pos >= after]
    if later:
        return later[0]
    return unattached[-1][1] if unattached else None


def _join(reason: str, notes: list[str]) -> str:
    return "; ".join([reason, *notes])


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
