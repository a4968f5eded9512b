"""metrics.json: the protocol's metrics plus what the run spent and what was left out."""

from __future__ import annotations

from typing import Any

from oversight.models.types import Usage
from oversight.protocol import Protocol
from oversight.runfolder import RunFolder


def run_usage(transcripts: list[dict[str, Any]]) -> dict[str, Usage]:
    by_role: dict[str, Usage] = {}
    for t in transcripts:
        for role, usage in (t.get("usage_by_role") or {}).items():
            by_role[role] = by_role.get(role, Usage()) + Usage.model_validate(usage)
    return by_role


def compute_metrics(
    protocol: Protocol[Any, Any], params: Any, folder: RunFolder, *, n_units: int | None = None
) -> dict[str, Any]:
    """Everything recomputed from the files, so a copied run folder reports the same numbers."""
    transcripts = sorted(folder.transcripts(), key=lambda t: t["id"])
    judgments, dropped = folder.judgments(transcripts)
    ok = [t for t in transcripts if not t.get("error")]
    # Protocols see failed transcripts too (to count them per condition); judgments only
    # belong to finished ones, since the runner writes none for a failed unit.
    metrics = protocol.metrics(transcripts, judgments, params)
    by_role = run_usage(transcripts)
    total = sum(by_role.values(), Usage())
    metrics["run"] = {
        "run_id": folder.run_id,
        "units_planned": n_units,
        "units_finished": len(transcripts),
        "units_failed": len(transcripts) - len(ok),
        "judgments": len(judgments),
        "judgments_left_out": dropped,
        "usage_by_role": {r: u.model_dump() for r, u in sorted(by_role.items())},
        "usage": total.model_dump(),
    }
    return metrics
