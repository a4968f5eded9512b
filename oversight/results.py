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


def endpoint_usage(transcripts: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Calls and tokens per server, for roles whose spec names several (cache hits excluded)."""
    by_endpoint: dict[str, dict[str, int]] = {}
    for t in transcripts:
        for e in t.get("events") or []:
            if e.get("type") == "model" and e.get("endpoint") and not e.get("cached"):
                row = by_endpoint.setdefault(e["endpoint"], {"calls": 0, "input_tokens": 0, "output_tokens": 0})
                usage = e.get("usage") or {}
                row["calls"] += 1
                row["input_tokens"] += usage.get("input_tokens", 0)
                row["output_tokens"] += usage.get("output_tokens", 0)
    return dict(sorted(by_endpoint.items()))


def compute_metrics(
    protocol: Protocol[Any, Any], params: Any, folder: RunFolder, *, n_units: int | None = None,
    planned: set[str] | None = None,
) -> dict[str, Any]:
    """Everything recomputed from the files, so a copied run folder reports the same numbers.

    With `planned` (the run's unit ids), transcripts of other ids are left out and counted as
    `units_outside_plan`, never as finished units.
    """
    transcripts = sorted(folder.transcripts(), key=lambda t: t["id"])
    outside = 0
    if planned is not None:
        inside = [t for t in transcripts if t["id"] in planned]
        outside, transcripts = len(transcripts) - len(inside), inside
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
        "units_outside_plan": outside if planned is not None else None,
        "judgments": len(judgments),
        "judgments_left_out": dropped,
        "usage_by_role": {r: u.model_dump() for r, u in sorted(by_role.items())},
        "usage": total.model_dump(),
    }
    endpoints = endpoint_usage(transcripts)
    if endpoints:
        metrics["run"]["usage_by_endpoint"] = endpoints
    return metrics
