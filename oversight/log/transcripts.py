"""One transcript schema for every protocol, and the judgment records that point at them.

Field names here are a contract with users' scripts (see README, "Run folder").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oversight.core.ids import now_iso, sha256_hex
from oversight.models.types import Usage

TRANSCRIPT_SCHEMA = "oversight.transcript/1"
JUDGMENT_SCHEMA = "oversight.judgment/1"
MODEL_EVENT_TYPES = ("model", "model_error")
MIN_SHARED_CHARS = 1000
"""Texts at least this long that a protocol stored once per run are referenced, not copied."""


class Event(BaseModel):
    """One step of a transcript. `type="model"` is a model call; other types are protocol notes."""

    model_config = ConfigDict(extra="allow")

    type: str
    role: str | None = None
    step: str | None = None
    model: str | None = None
    input: list[dict[str, Any]] | None = None
    """The messages exactly as the model saw them (rendered prompt). A message whose content
    holds a text stored once per run has `parts` instead of `content` (see `compact_messages`)."""
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


def compact_messages(messages: list[dict[str, Any]], shared: dict[str, str]) -> list[dict[str, Any]]:
    """Replace each stored text inside a message by its reference.

    `{"role": "user", "content": "Story: <5,000 words>\nQuestion: ..."}` becomes
    `{"role": "user", "parts": ["Story: ", {"ref": "sha256:..."}, "\nQuestion: ..."]}`; messages
    without a stored text are kept as they are. `expand_messages` is the exact inverse.
    """
    if not shared:
        return messages
    out = []
    for message in messages:
        parts: list[Any] = [message["content"]]
        for ref, text in shared.items():
            split: list[Any] = []
            for part in parts:
                pieces = _split_on(part, text) if isinstance(part, str) else None
                if pieces is None:
                    split.append(part)
                    continue
                for i, piece in enumerate(pieces):
                    if i:
                        split.append({"ref": ref})
                    split.append(piece)
            parts = split
        if len(parts) == 1:
            out.append(message)
        else:
            out.append({"role": message["role"], "parts": [p for p in parts if p != ""]})
    return out


def _split_on(part: str, text: str) -> list[str] | None:
    """`part.split(text)` when `text` occurs in `part`, else None. A story is tens of kilobytes:
    searching for all of it costs a pass over the story per search, so its first 64 characters
    are searched for and each hit checked in full (every occurrence starts with them)."""
    probe = text[:64]
    pieces, start, at = [], 0, part.find(probe)
    while at >= 0:
        if part.startswith(text, at):
            pieces.append(part[start:at])
            start = at + len(text)
            at = part.find(probe, start)
        else:
            at = part.find(probe, at + 1)
    if not pieces:
        return None
    pieces.append(part[start:])
    return pieces


def expand_messages(messages: list[dict[str, Any]], get_text: Callable[[str], str]) -> list[dict[str, str]]:
    """The messages exactly as sent, rebuilt from references (`RunFolder.get_text`)."""
    out = []
    for message in messages:
        if "parts" in message:
            content = "".join(p if isinstance(p, str) else get_text(p["ref"]) for p in message["parts"])
            out.append({"role": message["role"], "content": content})
        else:
            out.append(message)
    return out


def record_ref(record: dict[str, Any]) -> str:
    """What a later record names in `supersedes`: the record's `id`, or for a record written
    without one (a failed re-judgment from before ids) a hash of its content."""
    if record.get("id") is not None:
        return str(record["id"])
    text = json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)
    return "sha:" + sha256_hex(text)[:16]


def standing_judgments(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The judgments that stand, and how many records an undo or a retry took out.

    A record naming another in `supersedes` replaces it: a person's undo is a retraction
    (`retracted: true`, left out itself too), a model judge's retry of a failed call is the new
    judgment. Nothing is edited in place, and the rule reads the set of records, not their order.
    """
    void = {str(r["supersedes"]) for r in records if r.get("supersedes") is not None}
    by_hash = any(v.startswith("sha:") for v in void)

    def stands(r: dict[str, Any]) -> bool:
        if r.get("retracted"):
            return False
        if r.get("id") is not None:
            return str(r["id"]) not in void
        return not (by_hash and record_ref(r) in void)

    kept = [r for r in records if stands(r)]
    return kept, len(records) - len(kept)
