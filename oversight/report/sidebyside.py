"""Headline numbers of a run, and several runs side by side (a sweep's folders, or any runs).

Each protocol names its headline estimates through a small registry (`register_headline`); a
protocol without one gets every estimate record found in its metrics (records with `estimate`,
`ci` and `ci_method`, see `oversight.stats.estimates`). Sweep values (experiment.yaml's
`oversight_run.sweep_point`) become columns. Published figures sit beside ours in their own
labelled column, only where the metric is comparable (same protocol and condition; the task and
the judge differ, which the label says).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oversight.stats.estimates import short_reason

Row = dict[str, Any]
Headline = Callable[[dict[str, Any]], list[Row]]
HEADLINES: dict[str, Headline] = {}

# (protocol, metric label) -> published judge accuracy on QuALITY (two answers), short form.
PUBLISHED: dict[tuple[str, str], str] = {
    ("debate", "accuracy debate"): "L.76 H.88 M.84",
    ("debate", "accuracy consultancy"): "L.54 H.78 M.74",
    ("debate", "accuracy blind"): "L.48 H.60",
}
PUBLISHED_NOTE = ("published (QuALITY, another task and other judges: compare with care): L = Khan et al. 2024 "
                  "with an LLM judge, H = Khan et al. 2024 with human judges (blind = their naive judge), "
                  "M = Michael et al. 2023, human debaters and judges")


def register_headline(protocol: str) -> Callable[[Headline], Headline]:
    """Decorator: `fn(metrics) -> rows` gives the protocol's headline rows (metric + estimate record)."""
    def wrap(fn: Headline) -> Headline:
        HEADLINES[protocol] = fn
        return fn
    return wrap


def _rec(metric: str, rec: dict[str, Any] | None, **extra: Any) -> Row | None:
    if not rec or "estimate" not in rec:
        return None
    row = {"metric": metric, "estimate": rec.get("estimate"), "ci": rec.get("ci"),
           "ci_method": rec.get("ci_method"), "n": rec.get("clusters") or rec.get("n"), **extra}
    if rec.get("ci") is None and rec.get("ci_reason"):
        row["ci_reason"] = rec["ci_reason"]
    return row


def _first_judge(metrics: dict[str, Any]) -> str | None:
    judges = metrics.get("judges") or []
    return judges[0] if judges else None


@register_headline("debate")
def debate_headline(metrics: dict[str, Any]) -> list[Row]:
    """Accuracy per condition and debate minus each baseline, for the run's first judge."""
    judge = _first_judge(metrics)
    rows = [_rec(f"accuracy {c}", by_j.get(judge, {}).get("accuracy"))
            for c, by_j in (metrics.get("conditions") or {}).items()]
    rows += [_rec(label, d) for label, d in (metrics.get("comparisons") or {}).get(judge, {}).items()]
    return [r for r in rows if r]


@register_headline("critique")
def critique_headline(metrics: dict[str, Any]) -> list[Row]:
    """Recall per condition and the uplift, for the run's first judge (or the pooled block)."""
    judge = _first_judge(metrics)
    block = (metrics.get("by_judge") or {}).get(judge) or {}
    rows = [_rec(f"recall {c}", rec) for c, rec in (block.get("recall") or {}).items()]
    rows.append(_rec("uplift", block.get("uplift")))
    return [r for r in rows if r]


def _walk(value: Any, path: str, out: list[Row], depth: int) -> None:
    if not isinstance(value, dict) or depth > 4:
        return
    if {"estimate", "ci", "ci_method"} <= set(value):
        row = _rec(path, value)
        if row:
            out.append(row)
        return
    for key, sub in value.items():
        if key not in ("table", "notes", "run", "imported"):
            _walk(sub, f"{path} {key}".strip(), out, depth + 1)


def headline(metrics: dict[str, Any]) -> list[Row]:
    """The run's headline rows: the protocol's own choice, else every estimate record found."""
    fn = HEADLINES.get(str(metrics.get("protocol")))
    if fn is not None:
        return fn(metrics)
    rows: list[Row] = []
    _walk(metrics, "", rows, 0)
    return rows


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
        protocol = str(metrics.get("protocol"))
        for row in headline(metrics):
            out: Row = {"run": name}
            out.update({k: (point or {}).get(k) for k in keys})
            out.update(row)
            reason = out.pop("ci_reason", None)
            if reason:  # a table says why there is no interval
                out["ci"] = short_reason(reason)
            published = PUBLISHED.get((protocol, row["metric"]))
            if published:
                out["published"] = published
            rows.append(out)
    return rows


__all__ = ["HEADLINES", "PUBLISHED", "PUBLISHED_NOTE", "headline", "register_headline", "run_label", "side_by_side"]
