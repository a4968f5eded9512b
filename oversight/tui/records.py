"""Judgment records a person writes, and the one rule for reading them back.

judgments.jsonl is append-only, so undoing a judgment is a new record:
`{"id": <new>, "supersedes": <id of the undone record>, "retracted": true, ...}`.
The rule for every consumer (metrics, report, the UIs): drop records with `retracted: true`,
and drop every record whose `id` one of them supersedes. Records without an `id` (a run's own
model judge) are never superseded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from oversight.log.transcripts import JudgeRef, Judgment, standing_judgments
from oversight.protocol.review import judge_label


def effective_judgments(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The judgments that stand: retractions and what they retract are left out."""
    return standing_judgments(list(records))[0]


def withdrawn_ids(records: Iterable[dict[str, Any]]) -> set[str]:
    """Ids of judgments that a later record retracted (the review UI shows them struck out)."""
    return {r["supersedes"] for r in records if r.get("retracted") and isinstance(r.get("supersedes"), str)}


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def human_judgment(transcript_id: str, judge_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A person's judgment record: the protocol's verdict fields plus `id` (so it can be undone)."""
    return Judgment(transcript_id=transcript_id, judge=JudgeRef(kind="human", id=judge_id), attempt=None,
                    id=new_id(), **fields).to_record()


def retraction(record: dict[str, Any]) -> dict[str, Any]:
    """The record that undoes `record`: it names it in `supersedes`; nothing is edited in place."""
    judge = record["judge"]
    return Judgment(transcript_id=record["transcript_id"], judge=JudgeRef(kind=judge["kind"], id=judge["id"]),
                    attempt=None, id=new_id(), supersedes=record["id"], retracted=True).to_record()


__all__ = ["effective_judgments", "human_judgment", "judge_label", "new_id", "retraction", "withdrawn_ids"]
