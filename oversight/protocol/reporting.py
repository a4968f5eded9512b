"""Types a protocol uses to tell the report what to show: its headline rows and the published
figures that sit beside them. They live below the report layer so a protocol package can build
them without importing the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HeadlineRow = dict[str, Any]
"""One headline metric: `metric`, `estimate`, `ci`, `ci_method`, `n` (and `ci_reason` if no interval)."""


@dataclass(frozen=True)
class Published:
    """Figures from papers, keyed by our headline metric label, and the note naming their sources.
    Shown beside ours only where comparable, so the note must say how the setting differs."""

    figures: dict[str, str] = field(default_factory=dict)
    note: str = ""


def estimate_row(metric: str, rec: dict[str, Any] | None, **extra: Any) -> HeadlineRow | None:
    """A headline row from an estimate record, or None when the record holds no estimate."""
    if not rec or "estimate" not in rec:
        return None
    row = {"metric": metric, "estimate": rec.get("estimate"), "ci": rec.get("ci"),
           "ci_method": rec.get("ci_method"), "n": rec.get("clusters") or rec.get("n"), **extra}
    if rec.get("ci") is None and rec.get("ci_reason"):
        row["ci_reason"] = rec["ci_reason"]
    return row


def first_judge(metrics: dict[str, Any]) -> str | None:
    """The judge a headline reports on: the run's first."""
    judges = metrics.get("judges") or []
    return judges[0] if judges else None


__all__ = ["HeadlineRow", "Published", "estimate_row", "first_judge"]
