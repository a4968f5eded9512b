"""A protocol from a package outside oversight plugs in through its own entry point: install
tests/fixtures/toy_protocol (its own pyproject.toml) into a folder and run it with `oversight run`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "toy_protocol"


def test_a_package_outside_oversight_adds_a_protocol(tmp_path: Path) -> None:
    source = tmp_path / "toy_protocol"
    shutil.copytree(FIXTURE, source)
    site = tmp_path / "site"
    # No network and no build isolation: the venv's setuptools builds the package.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(source)], check=True, capture_output=True)
    (tmp_path / "items.jsonl").write_text(
        json.dumps({"id": "q1", "question": "Say yes", "reference": "yes"}) + "\n"
        + json.dumps({"id": "q2", "question": "Say no", "reference": "no"}) + "\n"
    )
    (tmp_path / "toy.yaml").write_text(yaml.safe_dump({
        "name": "toy-run", "protocol": "toy", "task": {"path": "items.jsonl"},
        "models": {"answerer": "scripted:const=yes"}, "cache": False,
    }))
    env = {**os.environ, "PYTHONPATH": str(site)}
    oversight = [sys.executable, "-m", "oversight.cli.main"]
    out = subprocess.run([*oversight, "run", str(tmp_path / "toy.yaml"), "--runs-dir", str(tmp_path / "runs")],
                         env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    [run] = list((tmp_path / "runs").iterdir())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["accuracy"]["n"] == 2 and metrics["accuracy"]["accuracy"] == 0.5
    assert metrics["accuracy"]["ci_method"] == "wilson"
    # Without the package on the path the protocol is unknown: a one-line error, exit 2.
    gone = subprocess.run([*oversight, "validate", str(tmp_path / "toy.yaml")], capture_output=True, text=True,
                          cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert gone.returncode == 2 and "unknown protocol 'toy'" in gone.stderr and len(gone.stderr.strip().splitlines()) == 1
