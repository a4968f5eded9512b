"""Run folders (a contract): runs/<UTC timestamp>-<name>/ with the resolved config and results."""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from oversight.config import RUN_META_KEY, Experiment, read_yaml, validate_experiment
from oversight.errors import UserError
from oversight.jsonl import dumps

TRACKED_PACKAGES = ("oversight", "anthropic", "openai", "langgraph", "pydantic", "xllamacpp", "datasets")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_revision(cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True,
            text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def new_run_dir(runs_dir: Path, name: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    runs_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        candidate = runs_dir / (f"{stamp}-{name}" if n == 0 else f"{stamp}-{name}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise UserError(f"{runs_dir}: could not create a new run folder for {name!r}")


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_experiment(
    run_dir: Path, exp: Experiment, *, source: str, base_dir: Path, sweep_point: dict[str, Any],
    units_planned: int | None = None,
) -> None:
    """The resolved config plus provenance. Specs and settings only: keys never reach a config."""
    data = exp.model_dump(mode="json")
    data[RUN_META_KEY] = {
        "run_id": run_dir.name,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "base_dir": str(base_dir.resolve()),
        "sweep_point": sweep_point,
        "units_planned": units_planned,
        "versions": package_versions(),
        "git_revision": git_revision(Path(__file__).resolve().parent),
    }
    write_atomic(run_dir / "experiment.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def read_run(run_dir: Path) -> tuple[Experiment, dict[str, Any]]:
    """The experiment a run folder was made with, and its provenance block."""
    path = run_dir / "experiment.yaml"
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such run folder")
    if not path.is_file():
        raise UserError(f"{run_dir}: not a run folder (no experiment.yaml)")
    data = read_yaml(path)
    meta = data.get(RUN_META_KEY) or {}
    return validate_experiment(data, str(path)), meta


def write_metrics(run_dir: Path, metrics: dict[str, Any]) -> None:
    write_atomic(run_dir / "metrics.json", dumps(metrics, indent=2) + "\n")
