"""`batches.jsonl` in the run folder: every submitted batch, written BEFORE it is polled.

One line per submitted batch, then one when its results were collected:

    {"event": "submitted", "provider": "openai", "model": "openai:gpt-4.1-mini", "id": "batch_...",
     "submitted_at": "...", "requests": [{"custom_id": "0-3f2a...", "key": "<cache key>"}, ...]}
    {"event": "collected", "id": "batch_...", "succeeded": 120, "failed": 2, "collected_at": "..."}

A submitted batch with no `collected` line was interrupted (a crash, Ctrl-C): `--resume`
collects its results into the response cache instead of paying for the calls again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oversight.core.ids import now_iso
from oversight.core.jsonl import Warn, append_line, iter_lines

BATCHES = "batches.jsonl"


class BatchJournal:
    """Appends whole fsynced lines (oversight.core.jsonl), so a crash loses at most the line being written."""

    def __init__(self, path: Path, *, warn: Warn | None = None) -> None:
        self.path = path
        self.warn = warn

    def submitted(self, provider: str, model: str, batch_id: str, requests: list[dict[str, Any]]) -> None:
        append_line(self.path, {
            "event": "submitted", "provider": provider, "model": model, "id": batch_id,
            "submitted_at": now_iso(), "requests": requests,
        })

    def collected(self, batch_id: str, succeeded: int, failed: int) -> None:
        append_line(self.path, {
            "event": "collected", "id": batch_id, "succeeded": succeeded, "failed": failed,
            "collected_at": now_iso(),
        })

    def pending(self) -> list[dict[str, Any]]:
        """Submitted batches whose results were never collected, in submission order."""
        submitted: dict[str, dict[str, Any]] = {}
        for record in iter_lines(self.path, warn=self.warn):
            if record.get("event") == "submitted" and "id" in record:
                submitted[record["id"]] = record
            elif record.get("event") == "collected":
                submitted.pop(record.get("id"), None)
        return list(submitted.values())
