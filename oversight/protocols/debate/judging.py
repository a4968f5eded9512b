"""What a debate judge sees and what its verdict record holds, apart from the graph that runs it.

Kept separate so that a later judge (a re-judging model, or a person in the terminal UI) can
rebuild the exact view from a transcript's `outcome` and write judgment records with the same
fields as the run's own judge.

Answer order: the judge sees the answers either as stored (`original`) or reversed (`swapped`),
to measure position bias. In the swapped view the debater defending the answer now shown
first is called Debater A, and every reference to an answer letter in the speeches is swapped
to match (`swap_references`): "Debater A's", "answer B", "(A)", "A:", "not A.", "Vote B", "A is
wrong"... Quoted story text (inside the quote markers) is never touched, and the article "A"
("A man walked") is left alone. An upper-case "A" that could be either (before a capitalised
word: "A Pail of Air") or a lone lower-case "b" is left as it is and reported: the swapped
verdict record carries `swap_relabel` = {relabelled, unresolved, unresolved_snippets}.
Verdicts are always recorded in the ORIGINAL answer order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oversight.protocols.shared.verdict_text import LETTER_FOLLOWERS
from oversight.protocols.shared.verdicts import Verdict

LETTERS = "AB"
ORDERS = ("original", "swapped")
NO_SPEECHES = "(no speeches yet)"


def shown_order(order: str) -> list[int]:
    """Original answer indices in the order shown: shown_order(o)[shown_position] = original index."""
    return [0, 1] if order == "original" else [1, 0]


_OTHER = {"A": "B", "B": "A", "a": "b", "b": "a"}
_MARKED = re.compile(r"<(\w+)[^<>]*>.*?(?:</\1\s*>|$)", re.DOTALL)
_LETTER = re.compile(r"(?<![\w'\u2019-])([ABab])(?![\w-])")
_LABELLED = re.compile(
    r"\b(?:debaters?|answers?|options?|choices?|letters?|positions?|sides?|consultant|responses?|candidates?)"
    r"\s*$|\b(?:answer|option|choice|verdict)\s+(?:is|was|would\s+be|should\s+be)\s*:?\s*$", re.IGNORECASE)
_WORD_AFTER = re.compile(r"[ \t]+([\w'\u2019-]+)")
_SNIPPET = 30


@dataclass
class Relabelled:
    """A speech as the swapped view shows it, and what could not be relabelled with confidence."""

    text: str
    relabelled: int = 0
    unresolved: list[str] = field(default_factory=list)
    """A short snippet around each letter left as it was because it may not name an answer."""


def _classify(text: str, m: re.Match[str]) -> str:
    """'swap' (names an answer), 'keep' (the article), or 'unsure'."""
    letter, start, end = m.group(1), m.start(), m.end()
    left, right = text[max(0, start - 40):start], text[end:end + 40]
    if _LABELLED.search(left) or (left.rstrip(" ").endswith(("(", "[")) and right.lstrip(" ").startswith((")", "]"))):
        return "swap"
    if letter == "a":
        return "keep"
    if letter == "b":
        return "swap" if re.match(r"\s*[).:]", right) and re.search(r"(?:^|\n)\s*\(?$", left) else "unsure"
    if letter == "B" or right.startswith(("'s", "\u2019s")) or not _WORD_AFTER.match(right):
        return "swap"
    word = _WORD_AFTER.match(right).group(1)  # type: ignore[union-attr]
    if word.lower() in LETTER_FOLLOWERS:
        return "swap"
    return "keep" if word[0].islower() else "unsure"


def swap_references(text: str) -> Relabelled:
    """Swap every reference to answer A or B (outside quoted story text) for the swapped view."""
    out = Relabelled(text)
    pieces: list[str] = []
    last = 0

    def relabel(chunk: str) -> str:
        def sub(m: re.Match[str]) -> str:
            kind = _classify(chunk, m)
            if kind == "swap":
                out.relabelled += 1
                return _OTHER[m.group(1)]
            if kind == "unsure":
                snippet = chunk[max(0, m.start() - _SNIPPET):m.end() + _SNIPPET]
                out.unresolved.append(" ".join(snippet.split()))
            return m.group(0)

        return _LETTER.sub(sub, chunk)

    for q in _MARKED.finditer(text):
        pieces.append(relabel(text[last:q.start()]))
        pieces.append(q.group(0))
        last = q.end()
    pieces.append(relabel(text[last:]))
    out.text = "".join(pieces)
    return out


def swap_labels(text: str) -> str:
    """The text with every resolvable answer reference swapped (see `swap_references`)."""
    return swap_references(text).text


def swap_report(speeches: list[dict[str, Any]]) -> dict[str, Any]:
    """How the swapped view relabelled these speeches: counts and the unresolved snippets."""
    relabelled, unresolved = 0, []
    for s in speeches:
        r = swap_references(s["shown"])
        relabelled += r.relabelled
        unresolved.extend(r.unresolved)
    return {"relabelled": relabelled, "unresolved": len(unresolved), "unresolved_snippets": unresolved}


def speaker_label(role: str, answer_index: int, order: str) -> str:
    """How the judge (or a debater, in the original order) names the speaker of a speech."""
    if role == "consultant":
        return "Consultant"
    return f"Debater {LETTERS[shown_order(order).index(answer_index)]}"


def render_transcript(speeches: list[dict[str, Any]], order: str = "original", *, sequential: bool = False) -> str:
    """The speeches as one text block, quotes already marked verified/unverified.

    Within a round, sequential speeches keep the order they were given in (A spoke first);
    simultaneous ones are listed by the label the reader sees, Debater A first.
    """
    if not speeches:
        return NO_SPEECHES

    def key(s: dict[str, Any]) -> tuple[int, str]:
        if sequential:
            return (s["round"], s["role"])
        return (s["round"], speaker_label(s["role"], s["answer_index"], order))

    blocks = []
    for s in sorted(speeches, key=key):
        text = s["shown"].strip() or "(no speech)"
        if order == "swapped":
            text = swap_labels(text)
        blocks.append(f"{speaker_label(s['role'], s['answer_index'], order)} (round {s['round']}): {text}")
    return "\n\n".join(blocks)


def judge_variables(
    outcome: dict[str, Any],
    order: str,
    *,
    story: str = "",
    verified_tag: str = "v_quote",
    unverified_tag: str = "u_quote",
) -> dict[str, Any]:
    """Template variables for the judge of `outcome["condition"]` in one answer order.

    `story` is used only by the expert condition's template; the other judge templates do not
    have a `{story}` variable, so the passage cannot reach those judges.
    """
    answers = outcome["answers"]
    order_idx = shown_order(order)
    variables: dict[str, Any] = {
        "question": outcome["question"],
        "answer_a": answers[order_idx[0]],
        "answer_b": answers[order_idx[1]],
        "verified_tag": verified_tag,
        "unverified_tag": unverified_tag,
    }
    condition = outcome["condition"]
    if condition in ("debate", "consultancy"):
        variables["transcript"] = render_transcript(
            outcome.get("speeches", []), order, sequential=outcome.get("turns") == "sequential"
        )
    if condition == "consultancy":
        variables["consultant_letter"] = LETTERS[order_idx.index(outcome["consultant_index"])]
    if condition == "expert":
        variables["story"] = story
        variables["title"] = outcome.get("title", "")
    return variables


def verdict_record(outcome: dict[str, Any], order: str, verdict: Verdict, *, raw: Any, kind: str) -> dict[str, Any]:
    """The judgment fields for one verdict, with choice and probabilities mapped to the original order.

    Fields: `condition`; `order` ("original"/"swapped") and `shown_order` (original answer
    indices in the order shown); `answer_index` (chosen answer, ORIGINAL order; None if invalid);
    `correct` (None if invalid); `p_correct` (probability on the correct answer, from per-answer
    probabilities or the stated probability; None if the judge gave none); `probs` (per answer,
    original order, when known); `p_chosen`; `invalid`, `invalid_reason` (the class of reason, see
    `verdicts.INVALID_CLASSES`; None when valid) and `reason` (how it was read, or why not); `judge_kind`; `raw` (the
    judge's text); in the swapped order with speeches, `swap_relabel` (see `swap_report`). Debate adds `winner` ("debater_a"/"debater_b"); consultancy adds
    `consultant_index`, `consultant_correct` and `sided_with_consultant`. A human judge (TUI)
    builds a `Verdict(choice, probability)` from the person's input and calls this too.
    """
    order_idx = shown_order(order)
    correct_index = outcome["correct_index"]
    answer_index = None if verdict.choice is None else order_idx[verdict.choice]
    probs = None
    if verdict.probs is not None:
        probs = [0.0, 0.0]
        for shown_pos, p in enumerate(verdict.probs):
            probs[order_idx[shown_pos]] = round(p, 6)
    if probs is not None:
        p_correct: float | None = probs[correct_index]
    elif answer_index is not None and verdict.probability is not None:
        p_correct = verdict.probability if answer_index == correct_index else 1.0 - verdict.probability
    else:
        p_correct = None
    record: dict[str, Any] = {
        "condition": outcome["condition"],
        "order": order,
        "shown_order": order_idx,
        "answer_index": answer_index,
        "correct": None if answer_index is None else answer_index == correct_index,
        "p_correct": None if p_correct is None else round(p_correct, 6),
        "probs": probs,
        "p_chosen": None if verdict.probability is None else round(verdict.probability, 6),
        "invalid": verdict.invalid or answer_index is None,
        "invalid_reason": (verdict.invalid_reason or "no answer found") if verdict.invalid or answer_index is None else None,
        "reason": verdict.reason,
        "judge_kind": kind,
        "raw": raw,
    }
    if outcome["condition"] == "debate" and answer_index is not None:
        record["winner"] = "debater_a" if answer_index == 0 else "debater_b"
    if order == "swapped" and outcome.get("speeches"):
        record["swap_relabel"] = swap_report(outcome["speeches"])
    if outcome["condition"] == "consultancy":
        record["consultant_index"] = outcome["consultant_index"]
        record["consultant_correct"] = outcome["consultant_index"] == correct_index
        if answer_index is not None:
            record["sided_with_consultant"] = answer_index == outcome["consultant_index"]
    return record


__all__ = [
    "LETTERS",
    "ORDERS",
    "judge_variables",
    "render_transcript",
    "shown_order",
    "speaker_label",
    "Relabelled",
    "swap_labels",
    "swap_references",
    "swap_report",
    "verdict_record",
]
