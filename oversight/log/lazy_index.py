"""A lazy index of a run's transcripts.jsonl: the terminal UI opens 10,000 transcripts in well under
2 s by reading each line's small fields only, and parses a whole transcript when it is shown.
`RunFolder.transcript_index`, `read_transcript_at` and `read_transcript_lines` are the way in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError
from oversight.core.jsonl import Warn, json_loads
from oversight.core.shapes import GENERIC, RecordShapes, transcript_problem
from oversight.log.ranking import transcript_rank

LIGHT_FIELDS = ("id", "item_id", "protocol", "condition", "error", "attempt", "created_at")
"""What an index entry holds of its line, beside `offset` and `length`."""


def transcript_index(path: Path, warn: Warn | None = None) -> list[dict[str, Any]]:
    """One light entry per transcript id (the one that stands, as in `RunFolder.transcripts()`), in
    file order: `offset` and `length` of its line plus LIGHT_FIELDS. Events and outcome are not
    parsed; `read_transcript_at(path, offset)` reads one whole. A line whose small fields have the
    wrong shape is skipped with a warning naming it."""
    latest: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return []
    with open(path, "rb") as fh:
        offset = 0
        for number, raw in enumerate(fh, start=1):
            entry = light_fields(raw) if raw.endswith(b"\n") else None
            problem = _light_problem(entry) if entry is not None else None
            if problem is None and entry is not None:
                entry.update(offset=offset, length=len(raw))
                held = latest.get(entry["id"])
                if held is None or transcript_rank(entry) >= transcript_rank(held):
                    latest.pop(entry["id"], None)  # a retried unit moves to where its newer line is
                    latest[entry["id"]] = entry
            elif problem is not None and warn is not None:
                warn(f"{path}: skipping line {number}: {problem} (an edit by hand, or another tool?)")
            offset += len(raw)
    return list(latest.values())


def light_fields(raw: bytes) -> dict[str, Any] | None:
    """The small top-level fields of one transcript line without parsing its events: the head
    before `"events":` and the tail from the last `"error":` (lines are written compact, in
    schema order); any other shape is parsed whole. None: not a JSON object."""
    head_end, tail_start = raw.find(b',"events":'), raw.rfind(b',"error":')
    try:
        if head_end > 0 and tail_start > head_end:
            record = json.loads(raw[:head_end] + b"}")
            record.update(json.loads(b"{" + raw[tail_start + 1:]))
        else:
            record = json.loads(raw)
    except (ValueError, RecursionError):
        try:
            record = json_loads(raw)
        except ValueError:
            return None
    if not isinstance(record, dict):
        return None
    return {k: record.get(k) for k in LIGHT_FIELDS}


def read_transcript_at(path: Path, offset: int, shapes: RecordShapes = GENERIC) -> dict[str, Any]:
    """The whole transcript whose line starts at `offset`, checked against `shapes`; a line that
    turns out unreadable or of the wrong shape is a UserError naming the file and byte."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        raw = fh.readline()
    try:
        record = json_loads(raw)
    except (ValueError, RecursionError):
        raise UserError(f"{path}: unreadable line at byte {offset} (was the file edited?)") from None
    problem = transcript_problem(record, shapes) if isinstance(record, dict) else "not a JSON object"
    if problem is not None:
        raise UserError(f"{path}: the line at byte {offset} has the wrong shape: {problem}")
    return record


def read_transcript_lines(path: Path, offsets: set[int]) -> Iterator[tuple[int, bytes]]:
    """The raw lines starting at `offsets`, streamed in file order: a text search over the whole
    run that parses no JSON."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        offset = 0
        for raw in fh:
            if offset in offsets:
                yield offset, raw
            offset += len(raw)


def _light_problem(entry: dict[str, Any]) -> str | None:
    """What is wrong with an index entry's small fields (the rest is checked when it is read)."""
    for name in ("id", "item_id", "protocol", "condition"):
        if not isinstance(entry.get(name), str):
            return f"{name} is not a string"
    for name in ("error", "attempt"):
        if not isinstance(entry.get(name), (str, type(None))):
            return f"{name} is not a string or null"
    return None


__all__ = ["LIGHT_FIELDS", "light_fields", "read_transcript_at", "read_transcript_lines", "transcript_index"]
