"""A unit's events written down as they happen, so a unit that is paused or killed mid-way (a
person judging a live debate) resumes with its transcript whole and no model call repeated.

One JSON line per event or judgment, appended and flushed at once. A resumed Recorder loads the
lines; a node that re-runs after the crash makes the same calls and notes again, and each one
that matches a journaled line not yet matched is that line (a model call gets its journaled
answer back instead of calling the model), so nothing is logged or spent twice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from oversight.core.errors import UserError


class UnitJournal:
    """The per-unit journal file: `attempt` on its first line, then events and judgments."""

    def __init__(self, path: Path, attempt: str) -> None:
        self.path = path
        self.events: list[dict[str, Any]] = []
        self.judgments: list[dict[str, Any]] = []
        self.attempt = attempt
        if path.exists():
            self._load()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._append({"attempt": attempt})
        self._claimed_events: set[int] = set()
        self._claimed_judgments: set[int] = set()

    def _load(self) -> None:
        data = self.path.read_bytes()
        lines = data.splitlines()
        for n, line in enumerate(lines, 1):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                if n == len(lines):  # a line cut short by the crash: dropped, the call it held is made again
                    with self.path.open("r+b") as f:
                        f.truncate(len(data) - len(line) - (0 if data.endswith(line) else 1))
                    break
                raise UserError(f"{self.path}: line {n} is not JSON; delete the file to start the unit again") from None
            if "attempt" in record and n == 1:
                self.attempt = record["attempt"]
            elif "event" in record:
                self.events.append(record["event"])
            elif "judgment" in record:
                self.judgments.append(record["judgment"])

    def _append(self, record: dict[str, Any]) -> None:
        with self.path.open("ab") as f:
            f.write(orjson.dumps(record) + b"\n")
            f.flush()
            os.fsync(f.fileno())

    def find_call(self, role: str, step: str, input: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The journaled model event of this call not yet matched (claimed now), or None."""
        for i, event in enumerate(self.events):
            if (i not in self._claimed_events and event.get("type") == "model" and event.get("role") == role
                    and event.get("step") == step and event.get("input") == input):
                self._claimed_events.add(i)
                return event
        return None

    def claim_event(self, event: dict[str, Any]) -> bool:
        """True when `event` (a note) is a journaled one not yet matched; else journal it."""
        return self._claim("event", event, self.events, self._claimed_events)

    def claim_judgment(self, judgment: dict[str, Any]) -> bool:
        """As `claim_event`, for a judgment record."""
        return self._claim("judgment", judgment, self.judgments, self._claimed_judgments)

    def _claim(self, kind: str, record: dict[str, Any], journaled: list[dict[str, Any]], claimed: set[int]) -> bool:
        """Match `record` to a journaled one of its kind not yet matched (True), or append it
        to the file under `kind` and count it matched (False)."""
        plain = _plain(record)
        for i, old in enumerate(journaled):
            if i not in claimed and _plain(old) == plain:
                claimed.add(i)
                return True
        journaled.append(record)
        claimed.add(len(journaled) - 1)
        self._append({kind: record})
        return False


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A record without the fields that differ between two makings of the same one."""
    return {k: v for k, v in record.items() if k not in ("created_at", "latency_s", "id")}


__all__ = ["UnitJournal"]
