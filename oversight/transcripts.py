"""One transcript schema for every protocol, and the judgment records that point at them.

Field names here are a contract with users' scripts (see README, "Run folder").
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oversight.models.types import Usage

TRANSCRIPT_SCHEMA = "oversight.transcript/1"
JUDGMENT_SCHEMA = "oversight.judgment/1"
MODEL_EVENT_TYPES = ("model", "model_error")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Event(BaseModel):
    """One step of a transcript. `type="model"` is a model call; other types are protocol notes."""

    model_config = ConfigDict(extra="allow")

    type: str
    role: str | None = None
    step: str | None = None
    model: str | None = None
    input: list[dict[str, str]] | None = None
    """The messages exactly as the model saw them (rendered prompt)."""
    content: str | None = None
    usage: Usage | None = None
    latency_s: float | None = None
    cached: bool | None = None
    logprobs: list[dict[str, Any]] | None = None
    error: str | None = None


class Transcript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(default=TRANSCRIPT_SCHEMA, alias="schema")
    run_id: str
    id: str
    item_id: str
    protocol: str
    condition: str
    events: list[Event] = Field(default_factory=list)
    outcome: dict[str, Any] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    usage_by_role: dict[str, Usage] = Field(default_factory=dict)
    error: str | None = None
    attempt: str
    """Random id of the attempt that wrote this line; the run's own judgments carry it too."""
    created_at: str = Field(default_factory=now_iso)

    def to_record(self) -> dict[str, Any]:
        record = self.model_dump(mode="json", by_alias=True, exclude_none=False)
        # Model calls keep every contract field (null included); notes keep only what they set.
        record["events"] = [
            e if e.get("type") in MODEL_EVENT_TYPES else {k: v for k, v in e.items() if v is not None}
            for e in record["events"]
        ]
        return record


class JudgeRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["model", "human"]
    id: str


class Judgment(BaseModel):
    """Verdict fields are protocol-specific and sit at the top level beside these."""

    model_config = ConfigDict(extra="allow")

    schema_: str = Field(default=JUDGMENT_SCHEMA, alias="schema")
    transcript_id: str
    judge: JudgeRef
    attempt: str | None = None
    """Set for judgments written by a run's built-in judge; None for later (re-)judging."""
    created_at: str = Field(default_factory=now_iso)

    def to_record(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
