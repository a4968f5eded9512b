"""A protocol outside oversight brings an importer of published answers through the contract's
`importers` hook alone: `oversight import` lists and uses it, and `oversight report` reads the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.protocol.test_report_hooks import ROOT, TOY_SRC, _declare_toy

SHEET = ('id,question,reference,answer\n'
         'q1,"Say yes  ",Yes," yes "\n'
         'q2,"Say no, please.",no,"No, I will not say that."\n'
         'q3,"Capital of France?",Paris,paris\n')


def _oversight(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oversight.cli.main", *args], env=env, capture_output=True,
                          text=True, cwd=cwd)


def test_toy_importer_comes_from_its_hook(tmp_path: Path) -> None:
    _declare_toy(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TOY_SRC), str(tmp_path / "site")])}
    (tmp_path / "answers.csv").write_text(SHEET)
    out = _oversight(env, tmp_path, "import", "toy-answers", str(tmp_path / "answers.csv"), "--runs-dir", str(tmp_path / "runs"))
    assert out.returncode == 0, out.stderr
    assert "imported 3 answered questions" in out.stdout
    [run] = list((tmp_path / "runs").iterdir())
    report = _oversight(env, tmp_path, "report", str(run), "--format", "json")
    assert report.returncode == 0, report.stderr
    metrics = json.loads(report.stdout)
    [row] = metrics["runs"][0]["metrics"]["table"]
    assert (row["n"], row["accuracy"]) == (3, 2 / 3)
    assert (run / "plots" / "toy_accuracy.png").exists()  # the toy's own figure hook, on an imported run

    helped = _oversight(env, tmp_path, "import", "--help")  # the formats every protocol brings, a third party's too
    assert helped.returncode == 0 and "nyu-debate,toy-answers" in "".join(helped.stdout.split())

    unknown = _oversight(env, tmp_path, "import", "toy-answer", str(tmp_path / "answers.csv"), "--runs-dir", str(tmp_path / "runs"))
    assert unknown.returncode == 2 and "nyu-debate" in unknown.stderr and "toy-answers" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    (tmp_path / "bad.csv").write_text("question,answer\nx,y\n")
    bad = _oversight(env, tmp_path, "import", "toy-answers", str(tmp_path / "bad.csv"), "--runs-dir", str(tmp_path / "runs"))
    assert bad.returncode == 2 and "bad.csv: header must be id,question,reference,answer" in bad.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1  # nothing half-made
