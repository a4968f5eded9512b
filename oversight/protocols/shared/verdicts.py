"""Turn a judge's output into a choice between lettered answers, with a probability if stated.

Three readers, usable by any protocol whose judge picks one of a few lettered options:

- `read_structured(text, n)`: a provider's structured output (a JSON object against
  `verdict_schema`), read strictly: bad JSON, an answer outside the allowed letters or a
  probability outside [0, 1] is invalid, with the reason.
- `parse_verdict(text, n)`: free text (imports, user prompts, providers without structured
  output), read conservatively; see below.
- `read_logprobs(tokens)`: P(A) vs P(B) from the first generated token's top alternatives.

Every invalid verdict says why in `reason` (`invalid_reason` in judgment records); callers
count invalid verdicts, never drop them.

How `parse_verdict` reads:
1. Machine-readable forms first: a JSON object (bare or fenced) or <answer> tags, read strictly.
2. Otherwise explicit statements only (`verdict_text`): "Final answer: B", "Answer: A",
   "I side with B", "B is correct", "Debater A wins", the letter opening a line or sentence
   ("B, 70%", "Probably B."). Mentions ("B's quote is verified") and what the judge reports
   others saying, quotes, echoed prompts and a base model's invented next question are ignored,
   as is what it says it *used to* think ("Initially I leaned towards A, but ...").
3. Invalid rather than guessed: statements naming different options (a contradiction), an
   option hedged with another ("B... or maybe A", "A/B", "A (B)"), a reversal after the answer
   that names another option ("Final answer: A. Wait - B."), doubt ("I'm not sure", "can't
   tell"), an answer that only rules one out ("I don't think it's A"), a refusal.
4. Hedge words choose but state no number: "Probably B.", "B (high confidence)", "I lean
   towards B" record B with no probability; only a stated number becomes a probability.
5. Probabilities (`verdict_probs`) are tied to what they are of: a value for another option
   or a chance of being wrong is converted (P(A) = 0.15 -> B at 0.85; "30% chance I'm wrong"
   -> 0.7); per-option values ("A, 90%\nB, 10%") are read as the distribution they state, and
   with no other statement choose its largest. Values that disagree, a chosen answer the
   stated probabilities put below another option (below 50% of two), a value over 100% or a
   percentage tied to nothing make the verdict invalid: a probability is never copied onto
   the wrong option.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from oversight.models.types import TokenLogprob
from oversight.protocols.shared.verdict_forms import pairs_hook, read_forms, read_object, reasoning_spans, verdict_schema
from oversight.protocols.shared.verdict_probs import Probabilities, read_probabilities
from oversight.protocols.shared.verdict_text import (
    Statement,
    answers_own_question,
    bare_letters,
    clean_text,
    doubt,
    find_statements,
    hedged,
    mask_not_judge,
    mask_past,
    refusal,
    reversal_after,
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
    """How the verdict was read (the form or statement), or why it is invalid."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def invalid_reason(self) -> str | None:
        """The class of reason an invalid verdict has (metrics count by it); None when valid."""
        return invalid_class(self.reason) if self.invalid else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "invalid_reason": self.invalid_reason}


INVALID_CLASSES: tuple[tuple[str, str], ...] = (
    ("empty", "empty"),
    ("structured answer is not valid JSON", "malformed structured answer"),
    ("does not parse", "malformed structured answer"),
    ("not one of", "not an allowed option"),
    ("not an option letter", "not an allowed option"),
    ("hedged", "hedged between options"),
    ("contradictory", "contradictory answers"),
    ("both chooses and rules out", "contradictory answers"),
    ("reverses", "reversal after answering"),
    ("undecided", "undecided"),
    ("refused", "refused to choose"),
    ("only rules out", "only rules out an option"),
    ("question of its own", "answers a question of its own"),
    ("equal probabilities", "equal probabilities"),
    ("favour", "probability contradicts the answer"),
    ("disagree", "probabilities disagree"),
    ("different probabilities", "probabilities disagree"),
    ("tied to two options", "probabilities disagree"),
    ("distribution", "probabilities disagree"),
    ("not tied to an answer", "probability not tied to an answer"),
    ("probability", "probability out of range or unreadable"),
    ("no logprobs", "no logprobs"),
    ("no option letter among the top tokens", "no option letter in logprobs"),
    ("no explicit answer", "no answer found"),
    ("structured answer", "malformed structured answer"),
    ("answer", "malformed structured answer"),
)
"""(substring of a reason, its class), first match wins; the class names are what metrics print."""


def invalid_class(reason: str) -> str:
    """The class an invalid verdict's reason belongs to (`other` if none matches)."""
    for needle, name in INVALID_CLASSES:
        if needle in reason:
            return name
    return "other"


def invalid_by_reason(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many invalid verdicts of each class (records written before classes were stored are
    classed from their `reason`); sorted by class, so the same set of records gives the same dict."""
    counts = Counter(r.get("invalid_reason") or (invalid_class(str(r["reason"])) if r.get("reason") else "unclassified")
                     for r in records if r.get("invalid"))
    return dict(sorted(counts.items()))


def _letters(n: int) -> str:
    return "ABCDEFGHIJ"[:n]


def _invalid(reason: str, probs: list[float] | None = None) -> Verdict:
    return Verdict(None, probs=probs, invalid=True, reason=reason)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def read_structured(text: str, n_options: int = 2) -> Verdict:
    """A structured answer (the whole reply is one JSON object), read strictly."""
    letters = _letters(n_options)
    try:
        obj = json.loads(text, object_pairs_hook=pairs_hook)
    except (ValueError, TypeError, RecursionError):  # also past the digit or depth limit
        return _invalid("structured answer is not valid JSON")
    read = read_object(obj, letters, strict=True)
    if read.problem:
        return _invalid(f"structured answer: {read.problem}")
    if read.letter is None:
        return _invalid("structured answer has no answer")
    return _finish(read.letter, letters, [read.probability] if read.probability is not None else [], None,
                   "structured output")


def parse_verdict(text: str, n_options: int = 2) -> Verdict:
    """Read which lettered option a judge chose, and its stated probability if any."""
    letters = _letters(n_options)
    if not text or not text.strip():
        return _invalid("empty")
    clean = clean_text(text, letters)
    forms = read_forms(clean, letters)
    if any(f.problem for f in forms):
        return _invalid(next(f.problem for f in forms if f.problem))  # type: ignore[arg-type]
    rest = _blank(clean, [span for f in forms for span in f.spans] + reasoning_spans(clean))
    if answers_own_question(rest):
        return _invalid("the reply goes on to answer a question of its own")
    masked = mask_past(mask_not_judge(rest, letters))
    probs = read_probabilities(masked, letters)
    statements = find_statements(_blank(masked, probs.spans(embedded_only=True)))
    outside = set(letters + "ABCDEFGHIJ") - set(letters)
    for st in statements:
        if st.letter in outside and st.kind in ("final", "label"):
            return _invalid(f"answer {st.letter} is not one of {', '.join(letters)}")
    statements = [st for st in statements if st.letter in letters]
    for st in statements:
        other = hedged(masked, st)
        if other is not None and st.kind != "neg":
            return _invalid(f"hedged between {st.letter} and {other}")
    for k in letters:
        values = {round(st.value, 2) for st in probs.per_option if st.letter == k}
        if len(values) > 1:
            return _invalid(f"different probabilities stated for {k} ({', '.join(f'{v:g}' for v in sorted(values))})")
    form_letters = {f.letter for f in forms if f.letter}
    dist = _distribution(probs, letters)
    form_dists = [f.dist for f in forms if f.dist]
    if form_dists:
        if dist is not None or len(form_dists) > 1:
            return _invalid("several probability distributions stated")
        dist = _normalised(form_dists[0], letters)
        if dist is None:
            return _invalid("the stated distribution does not cover every option")
    positive = [st for st in statements if st.kind not in ("neg", "weak")
                and not (dist is not None and st.kind == "lead" and _is_entry(st, probs))]
    chosen = form_letters | {st.letter for st in positive}
    weak = {st.letter for st in statements if st.kind == "weak"}
    revised = _revised_final(masked, positive, [st for st in statements if st.kind == "weak"])
    if revised is not None:
        chosen, positive = {revised.letter}, [revised]
    elif len(chosen | (weak if chosen else set())) > 1:
        return _invalid("contradictory answers: " + " and ".join(sorted(chosen | weak)))
    if doubt(masked):
        return _invalid(f"the judge says it is undecided ({doubt(masked).group(0)!r})")  # type: ignore[union-attr]
    ruled_out = {st.letter for st in statements if st.kind == "neg"}
    if not chosen and dist is None and len(letters) == 2 and not statements:
        embedded = {st.letter: st.value for st in probs.per_option if st.embedded}
        if len(embedded) == 1 and len(probs.per_option) == 1:  # "70% confident in answer B", "P(A) = 0.3"
            (k, v), = embedded.items()
            dist = {k: v, letters.replace(k, ""): 1.0 - v}  # type: ignore[dict-item]
    if not chosen:
        if dist is not None and not ruled_out:
            best = max(dist, key=lambda k: dist[k])
            if sum(abs(p - dist[best]) < 1e-9 for p in dist.values()) > 1:
                return _invalid("equal probabilities for several options", _as_list(dist, letters))
            return _finish(best, letters, [], dist, "per-option probabilities", probs.problems, _sum_note(probs))
        if ruled_out:
            return _invalid(f"only rules out {', '.join(sorted(ruled_out))}; no answer chosen")
        if refusal(masked):
            return _invalid("refused to choose")
        return _invalid("no explicit answer found")
    (letter,) = chosen
    if letter in ruled_out:
        return _invalid(f"both chooses and rules out {letter}")
    first = revised.start if revised is not None else min(
        [st.start for st in statements] + [s.span[0] for s in probs.per_option]
        + [span[0] for f in forms for span in f.spans[:1]] or [0])
    rev = reversal_after(masked, first)
    if rev is not None and bare_letters(_blank(masked, probs.spans(embedded_only=True)), rev.end(), letters) - {letter}:
        return _invalid(f"reverses after answering ({rev.group(0)!r})")
    form = next((f for f in forms if f.letter), None)
    stated = [s.value for s in probs.own] + ([form.probability] if form and form.probability is not None else [])
    if dist is None:
        stated += [s.value for s in probs.per_option if s.letter == letter]
        if len(letters) == 2:
            stated += [1.0 - s.value for s in probs.per_option if s.letter != letter]
    how = f"{form.form} answer" if form is not None else _kind_name(positive)
    return _finish(letter, letters, stated, dist, how, probs.problems, _sum_note(probs))


def _revised_final(text: str, positive: list[Statement], weak: list[Statement]) -> Statement | None:
    """A marked change of mind that ends in an explicit final answer ("Answer: A. Wait,
    re-reading the quotes... Final answer: B"): the final answer, if nothing follows it and a
    reversal word stands between it and every earlier answer for another option."""
    if not positive or positive[-1].kind != "final":
        return None
    last = positive[-1]
    earlier = [st for st in positive[:-1] + weak if st.letter != last.letter]
    if not earlier or any(st.start > last.start for st in weak):
        return None
    rev = reversal_after(text, max(st.end for st in earlier))
    return last if rev is not None and rev.start() < last.start else None


def _is_entry(st: Statement, probs: Probabilities) -> bool:
    """A letter that opens its own per-option entry ("A, 90%"), not a separate statement."""
    return any(s.letter == st.letter and s.span[0] <= st.start < s.span[1] for s in probs.per_option)


def _distribution(probs: Probabilities, letters: str) -> dict[str, float] | None:
    """The per-option distribution stated (two or more options given a value), normalised."""
    values: dict[str, float] = {}
    for s in probs.per_option:
        values.setdefault(s.letter, s.value)  # type: ignore[arg-type]
    if len(values) < 2:
        return None
    return _normalised(values, letters)


def _normalised(values: dict[str, float], letters: str) -> dict[str, float] | None:
    """Values for every option (or both of two) as a distribution summing to 1."""
    if not (len(letters) == 2 or len(values) == len(letters)) or len(values) < 2:
        return None
    total = sum(values.values())
    if total <= 0:
        return None
    return {k: values.get(k, 0.0) / total for k in letters}


def _sum_note(probs: Probabilities) -> list[str]:
    """A note when stated per-option values had to be normalised."""
    values: dict[str, float] = {}
    for s in probs.per_option:
        values.setdefault(s.letter, s.value)  # type: ignore[arg-type]
    total = sum(values.values())
    return [f"stated probabilities sum to {total:g}; normalised"] if len(values) > 1 and abs(total - 1) > 0.02 else []


def _as_list(dist: dict[str, float] | None, letters: str) -> list[float] | None:
    return None if dist is None else [round(dist[k], 6) for k in letters]


def _kind_name(statements: list[Statement]) -> str:
    kinds = {st.kind for st in statements}
    for kind, name in (("final", "final answer"), ("label", "labelled answer"), ("verb", "stated choice"),
                       ("copula", "stated choice"), ("lead", "letter given")):
        if kind in kinds:
            return name
    return "stated choice"


def _finish(letter: str, letters: str, stated: list[float], dist: dict[str, float] | None, how: str,
            problems: list[str] | None = None, notes: list[str] | None = None) -> Verdict:
    """The verdict for `letter` once the stated probabilities agree with it (else invalid)."""
    if problems:
        return _invalid(problems[0])
    if dist is not None:
        p = dist[letter]
        if p < max(dist.values()) - 1e-9:
            return _invalid(f"answer {letter} but the stated probabilities favour another option", _as_list(dist, letters))
        stated = [p, *stated]
    if stated and max(stated) - min(stated) > 0.011:
        return _invalid(f"probabilities disagree ({', '.join(f'{v:g}' for v in sorted(set(stated)))})")
    probability = stated[0] if stated else None
    if probability is not None and len(letters) == 2 and probability < 0.5:
        return _invalid(f"answer {letter} at probability {probability:g}: the stated probability favours the other answer")
    probs = _as_list(dist, letters)
    if probs is None and probability is not None and len(letters) == 2:
        probs = [probability if k == letter else 1.0 - probability for k in letters]
    return Verdict(letters.index(letter), probability=probability, probs=probs, reason="; ".join([how, *(notes or [])]))


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


__all__ = ["INVALID_CLASSES", "Verdict", "invalid_by_reason", "invalid_class", "parse_verdict", "read_logprobs", "read_structured", "verdict_schema"]
