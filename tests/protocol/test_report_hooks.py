"""A protocol outside oversight shows its own headline row and figure through the contract's
reporting hooks alone (the toy protocol from its source tree, declared by a bare dist-info folder:
nothing is installed into the venv)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TOY_SRC = Path(__file__).resolve().parents[1] / "fixtures" / "toy_protocol" / "src"


def _run_toy(tmp: Path, env: dict[str, str], name: str, answer: str) -> Path:
    (tmp / "items.jsonl").write_text(
        json.dumps({"id": "q1", "question": "Say yes  \n", "reference": "Yes"}) + "\n"
        + json.dumps({"id": "q2", "question": "Say no, please.", "reference": "no"}) + "\n")
    (tmp / f"{name}.yaml").write_text(yaml.safe_dump({
        "name": name, "protocol": "toy", "task": {"path": "items.jsonl"},
        "models": {"answerer": f"scripted:const={answer}"}, "cache": False}))
    runs = tmp / f"runs-{name}"
    out = subprocess.run([sys.executable, "-m", "oversight.cli.main", "run", str(tmp / f"{name}.yaml"),
                          "--runs-dir", str(runs)], env=env, capture_output=True, text=True, cwd=tmp)
    assert out.returncode == 0, out.stderr
    [run] = list(runs.iterdir())
    return run


def _declare_toy(site: Path) -> None:
    """The entry point an install would write, so the source tree is used as it stands."""
    info = site / "toy_protocol_hooks-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-protocol-hooks\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[oversight.protocols]\ntoy = toy_protocol:ToyProtocol\n")


def test_toy_headline_row_and_figure_come_from_its_hooks(tmp_path: Path) -> None:
    _declare_toy(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TOY_SRC), str(tmp_path / "site")])}
    a = _run_toy(tmp_path, env, "toy-yes", " yes ")
    b = _run_toy(tmp_path, env, "toy-no", "NO")
    single = subprocess.run([sys.executable, "-m", "oversight.cli.main", "report", str(a)], env=env,
                            capture_output=True, text=True, cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    assert (a / "plots" / "toy_accuracy.png").stat().st_size > 1000
    assert (a / "plots" / "toy_accuracy.svg").exists() and not (a / "plots" / "headline.png").exists()
    both = subprocess.run([sys.executable, "-m", "oversight.cli.main", "report", str(a), str(b), "--format", "json",
                           "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert both.returncode == 0, both.stderr
    rows = json.loads(both.stdout)["side_by_side"]
    assert [(r["run"], r["metric"], r["estimate"], r["n"]) for r in rows] == [
        (a.name, "toy accuracy", 0.5, 2), (b.name, "toy accuracy", 0.5, 2)]
    assert all(r["ci_method"] == "wilson" and "published" not in r for r in rows)
