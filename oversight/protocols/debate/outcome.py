"""The shape of a debate transcript's `outcome`, as the graph writes it and every reader (the
review body, metrics, judge views) reads it. TypedDicts are plain dicts at run time, so the
JSON written is exactly what the graph built."""

from __future__ import annotations

from typing import Any, NotRequired, Required, TypedDict, cast


class Speech(TypedDict):
    round: int
    role: str
    answer_index: int
    text: str
    """The speech as generated, cut to the word limit."""
    shown: str
    """The same with quotes marked verified/unverified: what judges and the other debater see."""
    words: int
    truncated: bool
    quotes: list[dict[str, Any]]
    selection: NotRequired[dict[str, Any]]
    """Best-of-N: how this speech was chosen (n, chosen, score, score_source, unreadable, failed
    selector calls, distinct texts among the candidates); every candidate is in the turn's
    `best_of_n` note."""


class CrossText(TypedDict):
    """A cross-examination question or answer, kept like a speech."""

    text: str
    shown: str
    words: int
    truncated: bool
    quotes: list[dict[str, Any]]
    n_empty: NotRequired[int]
    """Empty quote tags taken out (no quote: nothing was claimed), when there were any."""


class CrossExamination(TypedDict):
    """One question put in round `asked_round` to the opponent as it was at its `of_round` speech,
    and that earlier self's answer (crossexam.py)."""

    asked_round: int
    of_round: int
    asker: str
    asker_index: int
    """The answer the asker defends (its label follows it, as a speaker's does)."""
    answerer: str
    answerer_index: int
    question: CrossText
    answer: CrossText


class QuoteStats(TypedDict):
    quotes: int
    verified: int


class VerdictSummary(TypedDict):
    """One answer order's verdict, kept in the outcome beside the full judgment record."""

    order: str
    answer_index: int | None
    correct: bool | None
    p_correct: float | None
    invalid: bool


class JudgeQuestion(TypedDict):
    """One question the interactive judge asked (questions.py)."""

    round: int
    """The round it was asked after; answered in the next one."""
    to: str
    """The role asked ("debater_a", "debater_b", "consultant") or "both"."""
    to_answer: int | None
    """The answer the asked speaker defends (its letter in any order follows from it); None for both."""
    text: str
    """As the judge wrote it, cut to the word limit; defused wherever it is shown."""
    words: int
    truncated: bool


class JudgeTurn(TypedDict):
    """The interactive judge's decision after one round."""

    round: int
    judge: str
    """Who decided (a judge id, as judgment records name it)."""
    decision: str
    """"ask", "continue" (no question), "end" (verdict now) or "unreadable" (counted; the debate continues)."""
    questions: list[JudgeQuestion]
    reason: str
    """How the decision was read, or why it could not be."""


class DebateOutcome(TypedDict, total=False):
    """Everything a judge's view is rebuilt from; the speech fields only on conditions with speeches."""

    condition: Required[str]
    title: Required[str]
    question: Required[str]
    answers: Required[list[str]]
    correct_index: Required[int]
    story_ref: Required[str]
    turns: str
    rounds: int
    word_limit: int
    consultant_index: int
    """Which answer the consultant argues (consultancy only)."""
    speeches: list[Speech]
    swapped_speeches: list[Speech]
    """`swap: rerun`: the speeches of the run with the answers in the other order."""
    quote_stats: QuoteStats
    """Absent with `passage: none`: no quote was checked."""
    verdicts: list[VerdictSummary]
    passage: str
    """"none" on a closed question (no hidden text); absent when there is a story."""
    open_roles: dict[str, Any]
    """`roles: open`: each speaker's choice (sides.SideChoice); `consultant_index` is then the chosen answer."""
    cross_examinations: list[CrossExamination]
    """`cross_examination: true` (debate): every exchange, in the order asked."""
    swapped_cross_examinations: list[CrossExamination]
    """The same for the rerun of `swap: rerun`."""
    cross_requests: dict[str, int]
    """Counts over every request (both runs): requests, questions asked, declined, unreadable parts,
    questions over the `cross_questions` limit; `questions` is that limit."""
    best_of_n: dict[str, int]
    """Best-of-N over all speeches: turns selected, candidates generated, scores unreadable (and
    of them failed selector calls), candidates whose text repeated an earlier one's of the turn."""
    judge_questions: int
    """`params.judge_questions` (only when > 0): questions the judge may ask after each round."""
    judge_turns: list[JudgeTurn]
    """The interactive judge's decisions, one per round it was asked to decide after."""
    rounds_spoken: int
    """Rounds actually spoken (fewer than `rounds` when the judge ended early)."""
    ended_round: int
    """The round after which the judge ended the debate; absent when it ran all rounds."""



class DebateJudgment(TypedDict, total=False):
    """A judgment record of a debate view as metrics read it: the record's own fields
    (`transcript_id`, `failed`) and the verdict fields `judging.verdict_record` writes."""

    transcript_id: str
    failed: bool
    condition: str
    order: str
    shown_order: list[int]
    answer_index: int | None
    correct: bool | None
    p_correct: float | None
    probs: list[float] | None
    p_chosen: float | None
    invalid: bool
    invalid_reason: str | None
    winner: str
    swap_relabel: dict[str, Any]
    unresolved_references: int
    consultant_index: int
    consultant_correct: bool
    sided_with_consultant: bool


def outcome_of(transcript: dict[str, Any]) -> DebateOutcome:
    """A transcript's outcome read as its type ({} for a failed one). A report's light transcripts
    keep only the protocol's `metrics_outcome_keys`, so a reader still says what it does when a
    field is missing (`.get`)."""
    return cast(DebateOutcome, transcript.get("outcome") or {})


def judgment_of(record: dict[str, Any]) -> DebateJudgment:
    """A judgment record read as a debate verdict (the same dict: a TypedDict is one at run time)."""
    return cast(DebateJudgment, record)


__all__ = ["CrossExamination", "CrossText", "DebateJudgment", "DebateOutcome", "JudgeQuestion", "JudgeTurn",
           "QuoteStats", "Speech", "VerdictSummary", "judgment_of", "outcome_of"]
