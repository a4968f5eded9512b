"""A debate transcript as a researcher reads it in `oversight review`: its speeches by round,
each quote marked verified (green) or unverified (red, with its fuzzy score) and numbered, so
the quotes screen can jump to its place in the story. And a judge view as a person judging it
reads it (`judge --human`): the speaker turns drawn by us, quotes marked the same way."""

from __future__ import annotations

import re

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from oversight.core.words import count
from oversight.protocol.judge_view import JudgeView
from oversight.protocol.review import Body, Mark, QuoteRef, generic_form, heading, labelled
from oversight.protocols.debate.crossexam import exchange_turns
from oversight.protocols.debate.judging import NO_TEXT_NOTE, defuse_question, question_label, turn_title
from oversight.protocols.debate.outcome import outcome_of
from oversight.protocols.debate.verdict_scores import transcript_score
from oversight.protocols.shared.speech_view import LETTERS, TURN_STYLE, mark_quotes, speech_text, turn_label

MARK_HELP = ("Correct and incorrect read a judge's verdict as accuracy counts it: with both answer orders "
             "judged, p(correct) averaged over the two. A tie at 0.5 (accuracy counts it as half; its row "
             "ends =½) is listed as incorrect, since it is not right. The marks show each order's verdict "
             "on its own, so a row marked ✓✗ may be in either list.")


def transcript_mark(judgments: list[dict[str, Any]]) -> Mark | None:
    """The order-averaged verdict of one rater, as accuracy scores it."""
    score = transcript_score(judgments)
    if score is None:
        return None
    return Mark("right" if score == 1 else "wrong" if score == 0 else "partial", "½" if score == 0.5 else "")


HELP = "debate rounds with quotes marked (green verified, red unverified)"


def _selection(selection: Any) -> str:
    """How a best-of-N speech was chosen, for its title ("" for a speech spoken as generated)."""
    if not isinstance(selection, dict):
        return ""
    score = selection.get("score")
    scored = f"score {score:.2f}" if isinstance(score, (int, float)) else "no score read"
    return f", best of {selection.get('n')}: candidate {selection.get('chosen')}, {scored}"


def debate_body(transcript: dict[str, Any], params: dict[str, Any]) -> Body:
    """Question and answers (the correct one green), then every speech by round with its quotes
    marked and numbered, the answer-order rerun after it."""
    o = outcome_of(transcript)
    tags = (str(params.get("verified_tag", "v_quote")), str(params.get("unverified_tag", "u_quote")))
    parts: list[RenderableType] = [labelled("Question", o.get("question", "?"))]
    correct = o.get("correct_index")
    for i, answer in enumerate(o.get("answers") or []):
        parts.append(labelled(f"Answer {LETTERS[i]}", answer, "bold green" if i == correct else ""))
    info = [f"condition {o.get('condition', transcript.get('condition'))}"]
    if o.get("turns"):
        rounds = o.get("rounds")
        info.append(f"{o['turns']} turns, " + (count(rounds, "round") if isinstance(rounds, int) else f"{rounds} rounds")
                    + f", {o.get('word_limit')} words")
    if o.get("consultant_index") is not None:
        info.append(f"consultant argues {LETTERS[o['consultant_index']]}")
    stats = o.get("quote_stats")
    if stats:
        info.append(f"quotes {stats.get('verified', 0)}/{stats.get('quotes', 0)} verified")
    if o.get("passage") == "none":
        info.append(NO_TEXT_NOTE)
    if o.get("cross_requests"):
        c = o["cross_requests"]
        info.append(f"cross-examination: {count(c.get('asked', 0), 'question')} asked, "
                    f"{c.get('declined', 0)} declined, {c.get('unreadable', 0)} unreadable")
    if o.get("open_roles"):
        info.append("open roles: " + ", ".join(
            f"{role} chose {'?' if s.get('choice') is None else LETTERS[s['choice']]}, defends {LETTERS[s['defends']]}"
            for role, s in sorted(o["open_roles"].items())))
    bon = o.get("best_of_n")
    if isinstance(bon, dict):
        info.append(f"best-of-N: {count(bon.get('candidates', 0), 'candidate')} for {count(bon.get('turns', 0), 'speech', 'speeches')}, "
                    f"{bon.get('unreadable', 0)} scores unreadable ({bon.get('failed', 0)} failed calls), "
                    f"{bon.get('repeated', 0)} repeated texts")
    if o.get("judge_questions"):
        info.append(f"judge may ask {o['judge_questions']} a round" + (
            f", ended the debate after round {o['ended_round']}" if o.get("ended_round") else ""))
    parts.append(Text(" · ".join(info), style="dim"))
    after = {t.get("round"): t for t in o.get("judge_turns") or []}
    quotes: list[QuoteRef] = []
    speeches = o.get("speeches") or []
    current: Any = None
    # the rerun's speakers in the order they spoke: the answer shown first (answers[1]) first
    rerun = sorted(o.get("swapped_speeches") or [], key=lambda x: (x.get("round", 0), -int(x.get("answer_index", 0))))
    asked_before: dict[tuple[bool, Any, Any], list[dict[str, Any]]] = {}
    for rerun_run, key in ((False, "cross_examinations"), (True, "swapped_cross_examinations")):
        for x in o.get(key) or []:
            asked_before.setdefault((rerun_run, x.get("asked_round"), x.get("asker")), []).append(x)
    for s in [*speeches, *({**x, "_rerun": True} for x in rerun)]:
        if (s.get("round"), s.get("_rerun")) != current:
            if current is not None and not current[1]:
                parts += judge_turn_parts(after.pop(current[0], None), tags)
            current = (s.get("round"), s.get("_rerun"))
            parts.append(heading(f"Round {current[0]}" + (" (rerun, answers in the other order)" if current[1] else "")))
        speaker = "Consultant" if s["role"] == "consultant" else f"Debater {LETTERS[s['answer_index']]}"
        if s.get("_rerun") and s["role"] != "consultant":  # the rerun's speakers, as they were called there
            speaker = f"Debater {LETTERS[1 - s['answer_index']]}"
        title = Text(f" {speaker} (for {LETTERS[s['answer_index']]}, {s.get('words', '?')} words"
                     f"{', cut' if s.get('truncated') else ''}{_selection(s.get('selection'))}) ", style=TURN_STYLE)
        parts += exchange_parts(asked_before.pop((s.get("_rerun", False), s.get("round"), s.get("role")), []), tags,
                                "swapped" if s.get("_rerun") else "original", quotes, s.get("round", 0))
        first = len(quotes) + 1
        for q in s.get("quotes") or []:
            quotes.append(QuoteRef(len(quotes) + 1, speaker, s.get("round", 0), q))
        parts += [title, speech_text(s.get("shown") or s.get("text") or "(no speech)", s.get("quotes") or [], tags,
                                     first, speaker)]
    if current is not None and not current[1]:
        parts += judge_turn_parts(after.pop(current[0], None), tags)
    for left in asked_before.values():  # an exchange whose asker's speech is missing: still shown
        parts += exchange_parts(left, tags, "original", quotes, 0)
    if not speeches:
        seen = "the story, question and answers" if o.get("condition") == "expert" else "only the question and answers"
        parts.append(Text(f"\nNo speeches: the judge saw {seen}.", style="dim"))
    if quotes:
        parts.append(Text("\no: list quotes and jump to each in the story", style="dim"))
    story_ref = None if o.get("passage") == "none" else o.get("story_ref")  # a closed question has no story to open
    return Body(Group(*parts), quotes, story_ref)


def exchange_parts(exchanges: list[dict[str, Any]], tags: tuple[str, str], order: str, quotes: list[QuoteRef],
                   rnd: int) -> list[RenderableType]:
    """Cross-examinations before the asker's speech: each question and answer under our label,
    text defused as in every view (a rerun's under the names its speakers had there), its quotes
    numbered on from the speeches' for the quotes screen."""
    parts: list[RenderableType] = []
    for x in exchanges:
        try:
            turns = exchange_turns(x, order, tags, relabel=False)  # type: ignore[arg-type]
            said = [x["question"].get("quotes") or [], x["answer"].get("quotes") or []]
        except (KeyError, ValueError, TypeError, AttributeError):  # a hand-edited exchange: shown as unreadable
            parts.append(Text("(a cross-examination that cannot be read)", style="dim"))
            continue
        for turn, part_quotes in zip(turns, said):
            first = len(quotes) + 1
            quotes += [QuoteRef(len(quotes) + 1 + i, turn["speaker"], rnd, q) for i, q in enumerate(part_quotes)]
            parts += [turn_label(turn["label"]), speech_text(turn["text"], part_quotes, tags, first, turn["speaker"])]
    return parts


_DECIDED = {"ask": "asked the questions above", "continue": "asked nothing", "end": "ended the debate here",
            "unreadable": "decision unreadable, counted; the debate went on"}


def judge_turn_parts(turn: dict[str, Any] | None, tags: tuple[str, str]) -> list[RenderableType]:
    """The interactive judge's decision after a round: each question under our label, its text
    defused as in every view, then what the judge decided and why."""
    if not turn:
        return []
    parts: list[RenderableType] = []
    for q in turn.get("questions") or []:
        try:
            label = question_label(q, "original")
        except (KeyError, ValueError, TypeError, IndexError):  # a hand-edited question: still shown, unlabelled
            label = "Judge (question)"
        parts += [turn_label(label), speech_text(defuse_question(str(q.get("text", "")), tags), [], tags, 1, "Judge")]
    decided = _DECIDED.get(str(turn.get("decision")), str(turn.get("decision")))
    reason = f" ({turn['reason']})" if turn.get("reason") and turn.get("decision") == "unreadable" else ""
    parts.append(Text(f"judge after round {turn.get('round')}: {decided}{reason}", style="dim"))
    return parts


FORM_HIDDEN = frozenset({"verified_tag", "unverified_tag", "consultant_letter", "turns", "quote_note", "rules",
                         "round", "rounds", "max_questions"})
"""View variables that steer drawing (the quote tags, the turns the transcript is drawn from) or
are said in words (the consultant's answer; a pause's round and the model judge's rules, which
name the tags a person sees as marks)."""
QUOTE_NOTE = "Green quotes were checked against the story and found in it; red ones were not."


FORM_TITLES = {"title": "Title", "story": "Story", "answer_a": "Answer A", "answer_b": "Answer B",
               "transcript": "Transcript"}
"""The judge form's titles of a debate view's own variables (beside the generic "Question")."""
FORM_ORDER = ("title", "story", "question", "answer_a", "answer_b", "transcript")
"""The story first, then the question, the answers and the exchange."""


def form_body(view: JudgeView, titles: dict[str, str]) -> RenderableType:
    """A debate judge's view for a person: the transcript drawn from the view's turns (labels in
    our style, speech text only as text), quotes marked, and whom a consultant argues for."""
    v = view.variables
    tags = (str(v.get("verified_tag", "v_quote")), str(v.get("unverified_tag", "u_quote")))
    # a closed question's view has nothing to check quotes against, and says so (`quote_note`)
    legend = f"{str(v['quote_note']).capitalize()}." if v.get("quote_note") else QUOTE_NOTE

    def section(key: str, variables: dict[str, Any]) -> list[RenderableType] | None:
        if key == "transcript":
            turns = variables.get("turns")
            if not isinstance(turns, list):
                return [mark_quotes(str(variables[key]), [], tags, 1), Text(legend, style="dim")]
            drawn: list[RenderableType] = []
            opening = re.compile(rf"<(?:{re.escape(tags[0])}|{re.escape(tags[1])})>")
            first = 1  # quotes numbered through the whole exchange, as in review
            for turn in turns:
                drawn.append(turn_label(turn_title(turn)))
                drawn.append(speech_text(str(turn["text"]), [], tags, first, str(turn["speaker"])))
                first += len(opening.findall(str(turn["text"])))
            if not turns:
                drawn.append(Text(str(variables[key])))
            if "round" in variables:  # a pause of the interactive judge
                drawn.append(Text(f"\nRound {variables['round']} of {variables.get('rounds', '?')} has ended.",
                                  style="bold"))
            return [*drawn, Text(legend, style="dim")]
        if key == "answer_b" and "consultant_letter" in variables:
            return [Text(str(variables[key])),
                    Text(f"\nThe consultant argues for answer {variables['consultant_letter']}.", style="bold")]
        return None

    return generic_form(view, titles, hidden=FORM_HIDDEN, section=section, order=FORM_ORDER)


__all__ = ["FORM_HIDDEN", "FORM_ORDER", "FORM_TITLES", "HELP", "debate_body", "form_body"]
