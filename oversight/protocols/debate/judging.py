"""What a debate judge sees and what its verdict record holds, apart from the graph that runs it.

Kept separate so that a later judge (a re-judging model, or a person in the terminal UI) can
rebuild the exact view from a transcript's `outcome` and write judgment records with the same
fields as the run's own judge.

Answer order: the judge sees the answers either as stored (`original`) or reversed (`swapped`),
to measure position bias. In the swapped view the debater defending the answer now shown
first is called Debater A, and every reference to an answer letter in the speeches is swapped
to match where that is certain (relabel.py); a letter that may not name an answer is left as
written, marked, and counted: the swapped verdict record carries `swap_relabel` = {relabelled,
unresolved, unresolved_snippets} and `unresolved_references`. With `params.swap: rerun` the
debate was run again in the other order (`swapped_speeches` in the outcome) and the swapped
view shows those speeches as spoken, relabelling nothing.

Turns: each speech is shown behind our own speaker label, every line prefixed, any label-like
text in it marked as written inside the speech, chat-template control tokens defused
(shared/turns.py); stored speeches pass
`safe_shown` first, so look-alike quote markers never read as verified.
Verdicts are always recorded in the ORIGINAL answer order.

Judge questions (`params.judge_questions`, questions.py) are turns of their own, placed after
the round they were asked after, under our label "Judge (question to Debater B, after round 1)";
their text is defused like a speech's, and none of it can read as a verified quote (the judge
quotes nothing that was checked). The swapped view relabels their letters as it does speeches'.

Cross-examinations (crossexam.py) are turns of their own under our labels, placed before the
asker's speech of the round, defused and relabelled like speeches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from oversight.protocols.debate.crossexam import exchange_texts, with_exchanges
from oversight.protocols.debate.outcome import CrossExamination
from oversight.protocols.debate.relabel import (
    UNRESOLVED_MARK,
    Relabelled,
    drop_forged_marks,
    swap_labels,
    swap_references,
)
from oversight.protocols.shared.markers import neutralise_markers, safe_shown
from oversight.protocols.shared.turns import defuse_control_tokens, mark_labels, render_turn
from oversight.protocols.shared.verdicts import Verdict

LETTERS = "AB"
ORDERS: tuple[str, str] = ("original", "swapped")
"""The two answer orders a debate is judged in (the swap shows each answer in the other place)."""
NO_SPEECHES = "(no speeches yet)"
NO_TEXT_NOTE = "no hidden text: quotes are not checked"
"""What a judge (model or person) and the review are told on a closed question (`passage: none`)."""


def shown_order(order: str) -> list[int]:
    """Original answer indices in the order shown: shown_order(o)[shown_position] = original index."""
    return [0, 1] if order == "original" else [1, 0]


def swap_report(speeches: list[dict[str, Any]], tags: tuple[str, str] = ("v_quote", "u_quote")) -> dict[str, Any]:
    """How the swapped view relabelled these speeches: counts and the unresolved snippets."""
    relabelled, unresolved = 0, []
    for s in speeches:
        r = swap_references(defuse_control_tokens(drop_forged_marks(safe_shown(s["shown"], *tags))), tags[0])
        relabelled += r.relabelled
        unresolved.extend(r.unresolved)
    return {"relabelled": relabelled, "unresolved": len(unresolved), "unresolved_snippets": unresolved}


def speaker_label(role: str, answer_index: int, order: str) -> str:
    """How the judge (or a debater, in the original order) names the speaker of a speech."""
    if role == "consultant":
        return "Consultant"
    return f"Debater {LETTERS[shown_order(order).index(answer_index)]}"


def transcript_turns(speeches: list[dict[str, Any]], order: str = "original", *, sequential: bool = False,
                     tags: tuple[str, str] = ("v_quote", "u_quote"), relabel: bool = True) -> list[dict[str, Any]]:
    """The turns as shown, in reading order: `speaker` (our label), `round`, `text` (the speech
    cleaned, look-alike markers neutralised, letters relabelled in the swapped order unless
    `relabel` is off), `labels` (label-like runs marked in `text`'s rendering).

    Within a round, sequential speeches keep the order they were spoken in (the defender of the
    answer its run showed first spoke first: answer 0, or answer 1 in a `swap: rerun` exchange,
    shown with `relabel` off in the swapped order); simultaneous ones are listed by the label the
    reader sees, Debater A first.
    """
    first = 1 if order == "swapped" and not relabel else 0

    def key(s: dict[str, Any]) -> tuple[int, str]:
        if sequential:
            return (s["round"], "" if s["answer_index"] == first else s["role"])
        return (s["round"], speaker_label(s["role"], s["answer_index"], order))

    turns = []
    for s in sorted(speeches, key=key):
        text = defuse_control_tokens(drop_forged_marks(safe_shown(s["shown"], *tags))).strip() or "(no speech)"
        if order == "swapped" and relabel:
            text = swap_labels(text, tags[0])
        turns.append({"speaker": speaker_label(s["role"], s["answer_index"], order), "round": s["round"],
                      "text": text})
    return turns


_PLACEHOLDER = "judge-q"
"""What every look-alike of a quote marker in a judge's question becomes, before it is made a plain quote."""


def defuse_question(text: str, tags: tuple[str, str] = ("v_quote", "u_quote")) -> str:
    """A judge's question as it may be shown: nothing in it checked, so every quote marker or
    look-alike of one becomes a plain double quote; forged relabel marks and control tokens
    defused as in speeches (speaker labels are marked where the turn is rendered)."""
    text = neutralise_markers(text, _PLACEHOLDER, tags)
    text = re.sub(rf"</?{_PLACEHOLDER}>", '"', text)
    return defuse_control_tokens(drop_forged_marks(text)).strip() or "(empty question)"


def question_label(question: dict[str, Any], order: str) -> str:
    """Our label of a judge's question, naming the speaker asked as the reader of `order` knows it."""
    to = "both debaters" if question["to"] == "both" else speaker_label(question["to"], question["to_answer"], order)
    return f"Judge (question to {to}, after round {question['round']})"


def question_turns(judge_turns: list[dict[str, Any]], order: str = "original", *,
                   tags: tuple[str, str] = ("v_quote", "u_quote"), relabel: bool = True) -> list[dict[str, Any]]:
    """The judge's questions as turns (`speaker` "Judge", `label`, `round`, `text` defused and, in
    the swapped order, relabelled like a speech)."""
    turns = []
    for turn in judge_turns:
        for q in turn.get("questions") or []:
            text = defuse_question(q["text"], tags)
            if order == "swapped" and relabel:
                text = swap_labels(text, tags[0])
            turns.append({"speaker": "Judge", "label": question_label(q, order), "round": q["round"], "text": text})
    return turns


def with_questions(turns: list[dict[str, Any]], questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Speech turns with the judge's questions placed after the round they were asked after."""
    if not questions:
        return turns
    return sorted([*turns, *questions], key=lambda t: (t["round"], "label" in t))


def render_turns(turns: list[dict[str, Any]], verified_tag: str = "v_quote") -> str:
    """Turns as one text block for a model: our label line, then the speech's lines behind the
    prefix, label-like text inside a speech marked as such."""
    if not turns:
        return NO_SPEECHES
    return "\n\n".join(render_turn(f"{turn_title(t)}:", mark_labels(t["text"], t["speaker"], verified_tag)[0])
                        for t in turns)


def turn_title(turn: dict[str, Any]) -> str:
    """Our label of a turn: "Debater A (round 2)", or a question's or an exchange's own label."""
    return str(turn.get("label") or f"{turn['speaker']} (round {turn['round']})")


def render_transcript(speeches: list[dict[str, Any]], order: str = "original", *, sequential: bool = False,
                      tags: tuple[str, str] = ("v_quote", "u_quote"), relabel: bool = True,
                      judge_turns: list[dict[str, Any]] | None = None,
                      exchanges: Sequence[CrossExamination] | None = None) -> str:
    """The speeches (the judge's questions among them, cross-examinations before their askers'
    speeches) as one text block, quotes already marked verified/unverified (`render_turns`)."""
    turns = transcript_turns(speeches, order, sequential=sequential, tags=tags, relabel=relabel)
    questions = question_turns(judge_turns or [], order, tags=tags, relabel=relabel)
    turns = with_exchanges(with_questions(turns, questions), exchanges or [], order, tags, relabel)
    return render_turns(turns, tags[0])


def view_speeches(outcome: dict[str, Any], order: str) -> tuple[list[dict[str, Any]], bool]:
    """The speeches a view of `order` shows, and whether their letters need relabelling: a
    rerun's swapped view shows the swapped run as spoken."""
    if order == "swapped" and "swapped_speeches" in outcome:
        return outcome["swapped_speeches"], False
    return outcome.get("speeches", []), True


def view_exchanges(outcome: dict[str, Any], order: str) -> list[CrossExamination]:
    """The cross-examinations a view of `order` shows: the rerun's in a rerun's swapped view."""
    if order == "swapped" and "swapped_speeches" in outcome:
        return list(outcome.get("swapped_cross_examinations") or [])
    return list(outcome.get("cross_examinations") or [])


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
        speeches, relabel = view_speeches(outcome, order)
        turns = transcript_turns(speeches, order, sequential=outcome.get("turns") == "sequential",
                                 tags=(verified_tag, unverified_tag), relabel=relabel)
        turns = with_questions(turns, question_turns(outcome.get("judge_turns") or [], order,
                                                     tags=(verified_tag, unverified_tag), relabel=relabel))
        turns = with_exchanges(turns, view_exchanges(outcome, order), order, (verified_tag, unverified_tag), relabel)
        variables["transcript"] = render_turns(turns, verified_tag)
        variables["turns"] = turns
    if condition == "consultancy":
        variables["consultant_letter"] = LETTERS[order_idx.index(outcome["consultant_index"])]
    if condition == "expert":
        variables["story"] = story
        variables["title"] = outcome.get("title", "")
    if outcome.get("passage") == "none" and condition in ("debate", "consultancy"):
        variables["quote_note"] = NO_TEXT_NOTE
    return variables


def verdict_record(outcome: dict[str, Any], order: str, verdict: Verdict, *, raw: Any, kind: str) -> dict[str, Any]:
    """The judgment fields for one verdict, with choice and probabilities mapped to the original order.

    Fields: `condition`; `order` ("original"/"swapped") and `shown_order` (original answer
    indices in the order shown); `answer_index` (chosen answer, ORIGINAL order; None if invalid);
    `correct` (None if invalid); `p_correct` (probability on the correct answer, from per-answer
    probabilities or the stated probability; None if the judge gave none); `probs` (per answer,
    original order, when known); `p_chosen`; `invalid`, `invalid_reason` (the class of
    reason, see `verdicts.INVALID_CLASSES`; None when valid) and `reason` (how it was read, or why not); `judge_kind`; `raw` (the
    judge's text); in the swapped order with speeches, `swap_relabel` (see `swap_report`) and
    `unresolved_references` (letters left as written). Debate adds `winner` ("debater_a"/"debater_b"); consultancy adds
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
        sides = outcome.get("open_roles") or {}
        if sides:  # open roles: the debater who defended the chosen answer, whichever it was
            record["winner"] = next((r for r, s in sorted(sides.items()) if s["defends"] == answer_index),
                                    record["winner"])
    if order == "swapped" and outcome.get("speeches"):
        if "swapped_speeches" in outcome:
            record["swap_relabel"] = {"mode": "rerun", "relabelled": 0, "unresolved": 0, "unresolved_snippets": []}
        else:
            asked = [{"shown": defuse_question(q["text"])} for t in outcome.get("judge_turns") or []
                     for q in t.get("questions") or []]
            record["swap_relabel"] = swap_report([*outcome["speeches"], *asked,
                                                  *exchange_texts(outcome.get("cross_examinations") or [])])
        record["unresolved_references"] = record["swap_relabel"]["unresolved"]
    if outcome["condition"] == "consultancy":
        record["consultant_index"] = outcome["consultant_index"]
        record["consultant_correct"] = outcome["consultant_index"] == correct_index
        if answer_index is not None:
            record["sided_with_consultant"] = answer_index == outcome["consultant_index"]
    return record


__all__ = [
    "LETTERS",
    "NO_TEXT_NOTE",
    "defuse_question",
    "question_label",
    "question_turns",
    "turn_title",
    "with_questions",
    "ORDERS",
    "judge_variables",
    "render_transcript",
    "shown_order",
    "speaker_label",
    "Relabelled",
    "UNRESOLVED_MARK",
    "render_turns",
    "swap_labels",
    "swap_references",
    "swap_report",
    "transcript_turns",
    "turn_title",
    "verdict_record",
    "view_exchanges",
    "view_speeches",
]
