"""The NYU debate release, one line per (story, question), as validated input.

The shape is that of `quality_debate.jsonl` (QuALITY stories with the human debates of
Michael et al. 2023; see oversight/protocols/debate/importers/README.md). Unknown keys are ignored rather than
forbidden: this is a published file we read, not a config a user writes, and a later release
may add fields we do not use. Every field we do use is checked, so a bad line fails with the
field's path.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SPEECH_TYPES = ("SimultaneousSpeeches", "SequentialSpeeches")
DEBATER_ROLES = {"Debater A": 0, "Debater B": 1}
PROB_SUM_TOLERANCE = 1e-3


def _two_probs(value: list[float]) -> list[float]:
    if len(value) != 2:
        raise ValueError(f"expected two probabilities [p(a), p(b)], got {len(value)}")
    if any(not math.isfinite(p) or p < 0 or p > 1 for p in value):
        raise ValueError(f"probabilities must be between 0 and 1, got {value}")
    if abs(sum(value) - 1) > PROB_SUM_TOLERANCE:
        raise ValueError(f"probabilities must sum to 1, got {value}")
    return value


Probs = Annotated[list[float], AfterValidator(_two_probs)]
Probability = Annotated[float, Field(ge=0, le=1)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NyuQuote(_Input):
    """A quote as the NYU interface stored it: verified by construction (picked from the story)."""

    text: str
    """The quoted words, as they appear in the story."""
    char_span: tuple[int, int]
    """Start and end offsets into the line's `story` (`story[s:e] == text`)."""
    token_span: tuple[int, int] | None = None
    """The room's own token offsets, kept for provenance."""
    mapped_by_search: bool = False
    """True for early rooms whose tokenisation differed; the span was found by text search."""


class NyuTurn(_Input):
    """One entry of the flat `rounds` list: a judge's feedback, a debater's speech, or a vote to end."""

    round: int = Field(ge=0)
    """The room's round counter (judge feedback and speeches both advance it)."""
    type: Literal["JudgeFeedback", "SimultaneousSpeeches", "SequentialSpeeches", "NegotiateEnd"]
    """What kind of turn this is."""
    role: str
    """"Judge", "Debater A" (answers[0]), "Debater B" (answers[1]) or "Debaters" (a vote)."""
    speaker: str | None = None
    """The participant's pseudonym."""
    text: str = ""
    """What was written; debater speeches inline quotes as <quote>...</quote>."""
    answer_index: int | None = Field(default=None, ge=0, le=1)
    """The answer a debater defends."""
    quotes: list[NyuQuote] = Field(default_factory=list)
    """A speech's quotes, in the order they appear in `text`."""
    probs: Probs | None = None
    """A judge's [p(a), p(b)] after this turn."""
    end_debate: bool | None = None
    """Whether the judge ended the debate with this turn."""
    votes: dict[str, Any] | None = None
    """A NegotiateEnd turn's votes per debater."""

    @model_validator(mode="after")
    def _consistent(self) -> NyuTurn:
        if self.type in SPEECH_TYPES:
            if self.role not in DEBATER_ROLES:
                raise ValueError(f"a speech needs role 'Debater A' or 'Debater B', got {self.role!r}")
            if self.answer_index is not None and self.answer_index != DEBATER_ROLES[self.role]:
                raise ValueError(f"{self.role} defends answers[{DEBATER_ROLES[self.role]}], "
                                 f"but answer_index is {self.answer_index}")
        if self.type == "JudgeFeedback" and self.probs is None:
            raise ValueError("a JudgeFeedback turn needs probs [p(a), p(b)]")
        return self


class NyuOfflineJudge(_Input):
    """A judge who read the finished debate later."""

    judge: str
    """Pseudonym."""
    mode: str | None = None
    """"stepped" (read speech by speech) or "timed"."""
    steps: int | None = None
    """How many steps the offline judge took."""
    final_probs: Probs | None = None
    """Final [p(a), p(b)]."""
    final_prob_correct: Probability | None = None
    """Final probability on the correct answer."""


class NyuHumanDebate(_Input):
    """The completed human debate chosen as this question's transcript."""

    room: str
    """The room's name, unique in the release."""
    source: str | None = None
    """Where the room came from in the original repository."""
    setting: str = "human_debate"
    """Always human_debate for a transcript."""
    included_in_paper: bool
    """Whether the paper's analysis used this room."""
    roles: dict[str, str] = Field(default_factory=dict)
    """Role ("Debater A", "Debater B", "Judge") -> pseudonym; no "Judge" when nobody judged live."""
    judge_final_probs: Probs | None = None
    """The live judge's final [p(a), p(b)]; null when there was no live judge."""
    judge_final_prob_correct: Probability | None = None
    """The live judge's final probability on the correct answer."""
    rounds: list[NyuTurn]
    """Every turn in order."""
    offline_judges: list[NyuOfflineJudge] = Field(default_factory=list)
    """Later judges of the same transcript."""


class NyuSession(_Input):
    """One room on this question, finished or not, with or without a transcript in the file."""

    room: str
    """The room's name, unique in the release."""
    setting: str
    """human_debate, human_consultancy, ai_debate or ai_consultancy."""
    status: str
    """Complete, InProgress, WaitingToBegin."""
    included_in_paper: bool
    """Whether the paper's analysis used this room."""
    answers_swapped: bool = False
    """The room showed the answers in the other order than this line."""
    judge_final_prob_correct: Probability | None = None
    """The live judge's final probability on the correct answer; null if none."""


class NyuLine(_Input):
    """One line of the file: a question on a story, and every room that debated it."""

    id: str = Field(min_length=1)
    """Unique line id (`<articleId>-<sha1(question)[:8]>`)."""
    article_id: str | None = None
    """QuALITY article id."""
    title: str = ""
    """The story's title."""
    story: str = Field(min_length=1)
    """The story as plain text; quote spans index into it."""
    question: str
    """The question."""
    answers: list[str] = Field(min_length=2, max_length=2)
    """The two answers, in the order of the transcript's room."""
    correct_index: int = Field(ge=0, le=1)
    """Which answer is correct."""
    source: str | None = None
    """The primary room's file in the original repository."""
    human_debate: NyuHumanDebate | None = None
    """The transcript, or null for a line without a completed human debate."""
    sessions: list[NyuSession] = Field(default_factory=list)
    """Every room on this question."""


__all__ = ["DEBATER_ROLES", "NyuHumanDebate", "NyuLine", "NyuOfflineJudge", "NyuQuote", "NyuSession",
           "NyuTurn", "SPEECH_TYPES"]

SESSIONS_FILE = "sessions.jsonl"
"""The importer's side file: one line per published session, kept for the paper's comparisons."""
