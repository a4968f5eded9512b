"""The runs in a folder at a glance (`oversight ls`): what each is and whether it finished.

Read from each folder's experiment.yaml and metrics.json only, plus a line count of its
transcripts, so listing hundreds of runs stays quick; a folder that is not a run is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from oversight.config.experiment import RUN_META_KEY
from oversight.core.jsonl import iter_lines, json_loads
from oversight.log.runfolder import EXPERIMENT, JUDGMENTS, LOCK, METRICS, TRANSCRIPTS
from oversight.log.runlock import holder_doing


@dataclass(frozen=True)
class RunSummary:
    path: Path
    created_at: str
    protocol: str
    status: str
    """running, being judged (`judge --model`), judged live (a `judge-live` folder, or one being
    judged live), paused (a live sitting not done), finished, imported, interrupted (units never
    run), or `N failed`."""
    units_planned: int | None
    units_done: int
    units_failed: int
    judges: tuple[str, ...]
    cost_usd: float | None


def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load((folder / EXPERIMENT).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get(RUN_META_KEY), dict) else None


def _read_metrics(folder: Path) -> dict[str, Any]:
    try:
        data = json_loads((folder / METRICS).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _lines(path: Path) -> int:
    """Whole lines in a JSONL file (a torn last line is not a transcript)."""
    try:
        with path.open("rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except OSError:
        return 0


def _judges(folder: Path) -> list[str]:
    """Every judge id (kind/id) with a judgment line in the run, whatever the protocol."""
    seen: dict[str, None] = {}
    for record in iter_lines(folder / JUDGMENTS, warn=None):
        judge = record.get("judge") if isinstance(record, dict) else None
        if isinstance(judge, dict):
            seen.setdefault(f"{judge.get('kind', '?')}/{judge.get('id', '?')}")
    return list(seen)


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def read_summary(folder: Path) -> RunSummary | None:
    """One run folder's summary, or None when `folder` is not a run folder."""
    data = _read_meta(folder)
    if data is None:
        return None
    meta = data[RUN_META_KEY]
    metrics = _read_metrics(folder)
    run = metrics.get("run") if isinstance(metrics.get("run"), dict) else {}
    planned = _int(meta.get("units_planned")) or _int(run.get("units_planned"))
    failed = _int(run.get("units_failed")) or 0
    done = _int(run.get("units_finished"))
    done = _lines(folder / TRANSCRIPTS) if done is None else done  # failed units count as finished
    usage = run.get("usage") if isinstance(run.get("usage"), dict) else {}
    cost = usage.get("cost_usd")
    judges = _judges(folder)
    doing = holder_doing(folder / LOCK)
    if doing is not None:
        status = {"run": "running", "judging": "being judged", "live judging": "judged live"}.get(doing, doing)
    elif meta.get("imported"):
        status = "imported"
    elif _int(meta.get("live_units_per_judge")) is not None:  # each person judges one condition per item
        status = "judged live" if metrics and done >= meta["live_units_per_judge"] else "paused"
    elif not metrics or (planned is not None and done < planned):
        status = "interrupted"
    elif failed:
        status = f"{failed} failed"
    else:
        status = "finished"
    return RunSummary(path=folder, created_at=str(meta.get("created_at") or ""), protocol=str(data.get("protocol", "?")),
                      status=status, units_planned=planned, units_done=done, units_failed=failed,
                      judges=tuple(str(j) for j in judges), cost_usd=cost if isinstance(cost, (int, float)) else None)


def list_runs(runs_dir: Path) -> list[RunSummary]:
    """Every run folder directly under `runs_dir`, newest first (by creation time, then name)."""
    runs = [s for d in runs_dir.iterdir() if d.is_dir() and (s := read_summary(d)) is not None]
    return sorted(runs, key=lambda s: (s.created_at, s.path.name), reverse=True)
