"""What the debate graph carries: the run-scoped context every node reads and the state its
nodes write (with the reducers that merge simultaneous speakers' writes)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired, TypedDict

from oversight.protocol.contract import Recorder
from oversight.protocols.debate.data import DebateItem
from oversight.protocols.debate.live import LiveBoard
from oversight.protocols.debate.outcome import CrossExamination, DebateOutcome, JudgeTurn, Speech
from oversight.protocols.debate.params import DebateParams
from oversight.protocols.debate.sides import SideChoice
from oversight.protocols.shared.quotes import Passage


@dataclass(frozen=True)
class DebateContext:
    """Run-scoped dependencies handed to every node through LangGraph's runtime context."""

    rec: Recorder
    item: DebateItem
    params: DebateParams
    passage: Passage
    story_ref: str
    consultant_index: int | None = None
    order: str = "original"
    """The answer order this run of the graph speaks in: "swapped" is the rerun of `swap: rerun`."""
    prior: DebateOutcome | None = None
    """For the rerun: the original run's outcome, which the rerun's outcome extends."""
    live: str = ""
    """The id of the person judging live (`oversight judge-live`), "" for the model judge: the
    judge's decisions and its verdict come from the person (live.py)."""
    board: LiveBoard | None = None
    """Live judging: where each speech goes as soon as it is spoken, for the person's screen."""


def later(a: int, b: int) -> int:
    """Reducer for `round`: both simultaneous speakers close a round and write the same next round."""
    return max(a, b)


class DebateState(TypedDict):
    condition: str
    round: Annotated[int, later]
    """The round being spoken."""
    speeches: Annotated[list[Speech], operator.add]
    outcome: DebateOutcome
    sides: NotRequired[dict[str, SideChoice]]
    """Open roles: each speaker's choice and the answer it defends."""
    judge_turns: Annotated[list[JudgeTurn], operator.add]
    """The interactive judge's decisions so far (`params.judge_questions`)."""
    early_verdicts: Annotated[list[dict[str, Any]], operator.add]
    """The verdict records the interactive judge gave when it ended the debate."""
    cross_examinations: Annotated[list[CrossExamination], operator.add]
    """`cross_examination`: the exchanges so far, in the order asked."""
    cross_requests: Annotated[list[dict[str, Any]], operator.add]
    """`cross_examination`: each asker's request as read (crossexam.cross_examine)."""


def closed(params: DebateParams) -> bool:
    """No hidden text: no story in any call, no quote checked."""
    return params.passage == "none"


def speech_settings(params: DebateParams) -> dict[str, Any]:
    """Per-call settings for a speech: stop sequences unless the YAML sets some; a token cap."""
    return {"defaults": {"stop": list(params.stop)} if params.stop else None,
            "caps": {"max_tokens": params.max_speech_tokens or params.word_limit * 2 + 16}}


__all__ = ["DebateContext", "DebateState", "closed", "later", "speech_settings"]
