"""What one judge of one part of a transcript sees. Its own module, below the contract and the
review types, so both build on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class JudgeView:
    """Exactly what one judge of one judgeable part of a transcript sees.

    Built by the same function for the run's own model judge, a re-judging model and a person
    in the terminal UI, so all three judge identical material.
    """

    key: str
    """Which part: e.g. one answer order, the whole transcript, one node of a tree."""
    template: str
    """The prompt template a model judge is sent."""
    variables: dict[str, Any]
    """The template's variables: rendering them gives the judge's exact input."""
    answer_kind: Literal["choice", "flaws", "rating"]
    """What a judge answers: pick one of `choices`, list flaws, or rate on a scale."""
    choices: tuple[str, ...] = ()
    """For "choice": the answers in the order shown."""


__all__ = ["JudgeView"]
