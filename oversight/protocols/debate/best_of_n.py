"""Best-of-N speeches (Khan et al. 2024): a speaker's turn is generated N times, a selector
model scores every candidate by how well it argues the speaker's answer, and the best is spoken.

How it is done, so a reader of the numbers knows what "best" meant:

- Candidates are N recorded calls with distinct steps ("debater_a round 1 candidate 2"). The
  first is the very call best-of-1 makes; candidate k > 1 asks for sampling seed base + k - 1
  (base: the role's `generation:` seed, else 0), so no two candidates share a response-cache
  key and providers that honour seeds sample each anew. With temperature 0 they may still read
  the same: the note counts `distinct` texts, the outcome and metrics `repeated` ones.
- The selector (`params.bon_selector`, the judge's role by default) reads `select_speech`: the
  question, both answers and the exchange as the judge would see it with the candidate as the
  last speech (quotes checked and marked). Like the judge it never sees the story.
- Score: `logprob` scoring asks for one token and reads P(yes) = p(yes) / (p(yes) + p(no)) from
  its top logprobs; a provider that returns none is read from its one token of text instead
  (noted: a bare yes or no, so many ties; use `text` scoring with such a selector). `text`
  scoring reads "yes/no, RATING": a 0-100 rating (also "7/10", "85%"), else the bare yes (1) or
  no (0), up to a line that opens a next turn. Read conservatively: several different ratings,
  a rating over 100 or below 0, or a yes/no that contradicts the rating make the score unreadable.
- A selector call that fails after retries leaves that candidate unscored (counted as `failed`
  and unreadable); the debate goes on. A failed candidate call fails the unit, as a speech would.
- Ranking: the highest score wins; an unreadable score ranks below every read one; equal scores
  (rounded to 6 places, as noted) go to the earliest candidate, so with every score unreadable
  candidate 1 is spoken.
- Everything is logged: one `best_of_n` note per turn with every candidate's full text, score,
  how it was read and which was chosen (training data); the outcome keeps only a summary on the
  spoken speech (`selection`).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oversight.core.errors import ModelCallError
from oversight.models.types import TokenLogprob
from oversight.protocol.contract import Recorder
from oversight.protocols.debate.params import DebateParams
from oversight.protocols.debate.judging import NO_TEXT_NOTE

TEMPLATE = "select_speech"
FAILED = "failed call"
SCORE_DIGITS = 6
TEXT_SCORE_TOKENS = 24
"""Room for "yes, 80" and a few words around it."""


@dataclass(frozen=True)
class Score:
    """A candidate's score in [0, 1] (None: unreadable), how it was read, and why."""

    value: float | None
    source: str
    """"logprobs", "rating", "yes/no", the text forms with " (no logprobs)", "unreadable", or
    "failed call" (the selector's call failed after retries; counted as unreadable too)."""
    reason: str = ""


_NEXT_TURN = re.compile(r"^\s*(?:Debater [AB]\b|Consultant\b|Judge\b|Question:)", re.M)
"""A base model writing the next turn after its answer: what follows is not the answer."""
STOP = ["\nDebater A", "\nDebater B", "\nConsultant", "\nJudge", "\nQuestion:"]
_LEAD = re.compile(r"[\W_]*([A-Za-z]+)")
_RATING = re.compile(r"(?<![\w.])([-\u2212]?\d{1,4}(?:\.\d+)?)\s*"
                     r"(%|/\s*100\b|/\s*10\b|out of 100\b|out of 10\b)?", re.I)


def read_text_score(text: str) -> Score:
    """A selector's written answer as a score: the 0-100 rating if there is one, else yes / no
    opening the answer; unreadable rather than guessed."""
    clean = _NEXT_TURN.split(text, maxsplit=1)[0].strip()
    if not clean:
        return Score(None, "unreadable", "empty answer")
    lead = _LEAD.match(clean)
    said = {"yes": True, "no": False}.get(lead.group(1).lower()) if lead else None
    ratings = []
    for m in _RATING.finditer(clean):
        value = float(m.group(1).replace("\u2212", "-"))
        scale = (m.group(2) or "").replace(" ", "").lower()
        ratings.append(value * 10 if scale in ("/10", "outof10") else value)
    if len(set(ratings)) > 1:
        return Score(None, "unreadable", f"several different ratings ({', '.join(f'{r:g}' for r in ratings)})")
    if ratings:
        rating = ratings[0]
        if rating > 100:
            return Score(None, "unreadable", f"rating {rating:g} is over 100")
        if rating < 0:  # "no, -20" is not a rating of 20
            return Score(None, "unreadable", f"rating {rating:g} is below 0")
        if said is not None and (said and rating < 50 or not said and rating > 50):
            return Score(None, "unreadable", f"{'yes' if said else 'no'} contradicts the rating {rating:g}")
        return Score(rating / 100, "rating")
    if said is not None:
        return Score(1.0 if said else 0.0, "yes/no")
    return Score(None, "unreadable", "no yes, no or 0-100 rating found")


def _yes_no(token: str) -> str | None:
    core = token.strip().strip("([*\"'").rstrip(")].:,!*\"'").lower()
    return core if core in ("yes", "no") else None


def read_logprob_score(tokens: list[TokenLogprob]) -> Score:
    """P(yes) against P(no) from the first token's top alternatives (each spelling summed)."""
    first = tokens[0]
    seen: dict[str, float] = {}
    for alt in [*first.top, first]:
        seen.setdefault(alt.token, alt.logprob)
    mass = {"yes": 0.0, "no": 0.0}
    for token, logprob in seen.items():
        word = _yes_no(token)
        if word is not None and math.isfinite(logprob):
            mass[word] += math.exp(logprob)
    total = mass["yes"] + mass["no"]
    if total <= 0:
        return Score(None, "unreadable", "no yes or no among the top tokens")
    return Score(mass["yes"] / total, "logprobs", f"yes/no mass {total:.3f}")


def rank(scores: list[Score]) -> int:
    """Index of the candidate to speak: the highest read score, the earliest among equals; an
    unreadable score below any read one (all unreadable: the first)."""
    def key(i: int) -> tuple[bool, float, int]:
        value = scores[i].value
        return (value is not None, round(value, SCORE_DIGITS) if value is not None else 0.0, -i)
    return max(range(len(scores)), key=key)


def candidate_seed(base: int | None, k: int) -> int | None:
    """Candidate k's sampling seed (1-based): None for the first (the call best-of-1 makes)."""
    return None if k == 1 else (base or 0) + k - 1


def quote_note(params: DebateParams) -> str:
    """What the selector is told about quotes, as the judge is."""
    if params.passage == "none":
        return f"There is {NO_TEXT_NOTE}."
    return (f"Quotes in <{params.verified_tag}> tags were checked and appear word for word in the hidden text; "
            f"quotes in <{params.unverified_tag}> tags were not found in it, and the judge distrusts them.")


async def best_speech(
    rec: Recorder, role: str, template: str, variables: dict[str, Any], *, step: str, n: int,
    params: DebateParams, settings: dict[str, Any], transcript_with: Callable[[str], str], note: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    """N candidates of one speech, each scored; (the chosen text, its summary for the outcome).

    `transcript_with(text)` is the exchange as the judge would see it with `text` spoken next;
    `note` holds the fields that place the turn (role, round, order)."""
    base = rec.run.settings_for(role, settings.get("defaults"), settings.get("caps"), {}).seed

    async def generate(k: int) -> str:
        seed = candidate_seed(base, k)
        extra = {} if seed is None else {"seed": seed}
        return (await rec.call(role, template, variables, step=f"{step} candidate {k}", **settings, **extra)).text

    texts = list(await asyncio.gather(*(generate(k) for k in range(1, n + 1))))
    selector = params.bon_selector
    scores = list(await asyncio.gather(*(
        _score(rec, selector, variables, transcript_with(text), params, f"{step} candidate {k} score")
        for k, text in enumerate(texts, 1))))
    chosen = rank(scores)
    candidates = [{"candidate": k, "text": text, "score": _rounded(s.value), "score_source": s.source,
                   "reason": s.reason, "chosen": k - 1 == chosen}
                  for k, (text, s) in enumerate(zip(texts, scores), 1)]
    unreadable, failed = sum(s.value is None for s in scores), sum(s.source == FAILED for s in scores)
    rec.note("best_of_n", **note, n=n, selector=selector, selector_model=rec.model_name(selector),
             scoring=params.bon_scoring, chosen=chosen + 1, distinct=len(set(texts)), unreadable=unreadable,
             failed=failed, candidates=candidates)
    summary = {"n": n, "chosen": chosen + 1, "score": _rounded(scores[chosen].value),
               "score_source": scores[chosen].source, "unreadable": unreadable, "failed": failed,
               "distinct": len(set(texts))}
    return texts[chosen], summary


async def _score(rec: Recorder, selector: str, speaker: dict[str, Any], transcript: str, params: DebateParams,
                 step: str) -> Score:
    """One candidate's score; a selector call that fails after retries is a score not read
    (recorded with its reason and counted), never the end of the debate."""
    try:
        return await _ask(rec, selector, speaker, transcript, params, step)
    except ModelCallError as exc:
        return Score(None, FAILED, f"selector call failed: {exc.reason}")


async def _ask(rec: Recorder, selector: str, speaker: dict[str, Any], transcript: str, params: DebateParams,
               step: str) -> Score:
    variables = {"question": speaker["question"], "answer_a": speaker["answer_a"], "answer_b": speaker["answer_b"],
                 "name": speaker["name"], "my_answer": speaker["my_answer"], "transcript": transcript,
                 "quote_note": quote_note(params)}
    if params.bon_scoring == "logprob":
        out = await rec.call(selector, TEMPLATE, variables, step=step, logprobs=True,
                             top_logprobs=params.top_logprobs, max_tokens=1)
        if out.completion.logprobs:
            return read_logprob_score(out.completion.logprobs)
        read = read_text_score(out.text)  # a provider without logprobs: its one token read as text
        return read if read.value is None else Score(read.value, f"{read.source} (no logprobs)", read.reason)
    out = await rec.call(selector, TEMPLATE, variables, step=step, defaults={"stop": STOP},
                         caps={"max_tokens": TEXT_SCORE_TOKENS})
    return read_text_score(out.text)


def selection_metrics(transcripts: list[dict[str, Any]], params: DebateParams) -> dict[str, Any]:
    """metrics.json's `best_of_n`: the levels (a tournament names its players by them,
    crossplay.py), the selector, and over finished transcripts the turns selected, candidates
    generated, scores that could not be read (`failed`: of them, selector calls that failed) and
    candidates that repeated an earlier one's text (sampling that did not vary, e.g. temperature 0)."""
    totals = {"turns": 0, "candidates": 0, "unreadable": 0, "failed": 0, "repeated": 0}
    for t in transcripts:
        summary = (t.get("outcome") or {}).get("best_of_n") if not t.get("error") else None
        if isinstance(summary, dict):
            for key in totals:
                value = summary.get(key)
                totals[key] += value if isinstance(value, int) and not isinstance(value, bool) else 0
    return {"levels": params.levels(), "selector": params.bon_selector, "scoring": params.bon_scoring, **totals}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, SCORE_DIGITS)


__all__ = ["Score", "best_speech", "candidate_seed", "quote_note", "rank", "read_logprob_score", "read_text_score",
           "selection_metrics"]
