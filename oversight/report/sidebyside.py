"""Headline numbers of a run, and several runs side by side (a sweep's folders, or any runs).

Each protocol names its headline estimates through its `headline` hook; a protocol without one
gets every estimate record found in its metrics (records with `estimate`, `ci` and `ci_method`,
see `oversight.stats.estimates`). Sweep values (experiment.yaml's
`oversight_run.sweep_point`) become columns. Published figures sit beside ours in their own
labelled column, only where the metric is comparable (same protocol and condition; the task and
the judge differ, which the label says).
"""

from __future__ import annotations

from typing import Any

from oversight.core.errors import UserError, bounded
from oversight.protocol.contract import Protocol
from oversight.protocol.hooks import call_hook, hook_value, protocol_label
from oversight.protocol.registry import ProtocolNotInstalled, get_protocol
from oversight.protocol.reporting import HeadlineRow as Row, Published, estimate_row
from oversight.stats.estimates import short_reason


def _protocol(metrics: dict[str, Any]) -> Protocol[Any, Any] | None:
    """The run's protocol, or None when it is not installed here (its rows are then found
    generically); one that is installed but fails to load is a UserError."""
    try:
        return get_protocol(str(metrics.get("protocol")))
    except ProtocolNotInstalled:
        return None


def _published(proto: Protocol[Any, Any] | None) -> Published:
    """The protocol's published figures, checked: a label -> figure mapping and a note."""
    if proto is None:
        return Published()
    value = hook_value(proto, "published")
    if not (isinstance(value, Published) and isinstance(value.figures, dict) and isinstance(value.note, str)):
        raise UserError(f"protocol {protocol_label(proto)!r}: its published hook is a {type(value).__name__}, "
                        f"not an oversight.protocol.Published")
    return value


def _rows(proto: Protocol[Any, Any], metrics: dict[str, Any]) -> list[Row] | None:
    """The protocol's headline rows, checked: None, or a list of rows each naming its `metric`."""
    rows = call_hook(proto, "headline", metrics)
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("metric"), str) for r in rows):
        raise UserError(f"protocol {protocol_label(proto)!r}: its headline hook returned {bounded(repr(rows), 80)}, "
                        f"not a list of rows each with a 'metric' label")
    return rows


def _walk(value: Any, path: str, out: list[Row], depth: int) -> None:
    if not isinstance(value, dict) or depth > 4:
        return
    if {"estimate", "ci", "ci_method"} <= set(value):
        row = estimate_row(path, value)
        if row:
            out.append(row)
        return
    for key, sub in value.items():
        if key not in ("table", "notes", "run", "imported"):
            _walk(sub, f"{path} {key}".strip(), out, depth + 1)


def headline(metrics: dict[str, Any]) -> list[Row]:
    """The run's headline rows: the protocol's own choice, else every estimate record found."""
    proto = _protocol(metrics)
    rows = _rows(proto, metrics) if proto is not None else None
    if rows is not None:
        return rows
    rows = []
    _walk(metrics, "", rows, 0)
    return rows


def published_notes(runs: list[dict[str, Any]]) -> list[str]:
    """The sources of the published figures a side-by-side table of these runs' metrics shows."""
    notes: list[str] = []
    for metrics in runs:
        published = _published(_protocol(metrics))
        if not published.figures:
            continue
        shown = any(r["metric"] in published.figures for r in headline(metrics))
        if shown and published.note and published.note not in notes:
            notes.append(published.note)
    return notes


def run_label(name: str, point: dict[str, Any] | None) -> str:
    """How a run is named in a figure: its sweep values, else its folder name."""
    if point:
        return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in point.items())
    return name


def side_by_side(runs: list[tuple[str, dict[str, Any] | None, dict[str, Any]]]) -> list[Row]:
    """Long table: one row per run and headline metric; sweep keys as columns; published figures
    in their own column where comparable. `runs` is (run name, sweep point, metrics)."""
    keys: list[str] = []
    for _, point, _ in runs:
        keys.extend(k for k in (point or {}) if k not in keys)
    rows: list[Row] = []
    for name, point, metrics in runs:
        figures = _published(_protocol(metrics)).figures
        for row in headline(metrics):
            out: Row = {"run": name}
            out.update({k: (point or {}).get(k) for k in keys})
            out.update(row)
            out.pop("difference", None)  # a figure's concern (which axis), not a column
            reason = out.pop("ci_reason", None)
            if reason:  # a table says why there is no interval
                out["ci"] = short_reason(reason)
            published = figures.get(row["metric"])
            if published:
                out["published"] = published
            rows.append(out)
    return rows


__all__ = ["headline", "published_notes", "run_label", "side_by_side"]
