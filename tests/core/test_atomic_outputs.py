"""Every output file is written whole or not at all: `report` and `export` SIGKILLed mid-write.

The child (tests/kill_mid_write_child.py) dies at an exact moment: after part of a figure's
bytes reached whatever file matplotlib writes to, or after some rows of an export table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import shutil
from pathlib import Path

import pytest

from oversight.cli.main import main
from tests.judging.test_rejudge import debate_run

CHILD = Path(__file__).resolve().parents[1] / "helpers" / "kill_mid_write_child.py"
PNG_END = b"IEND\xaeB`\x82"


def killed(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, str(CHILD), *args], cwd=tmp_path, text=True, capture_output=True,
                          env={**os.environ, "COLUMNS": "200", **env}, timeout=180)
    assert done.returncode == -9, done.stderr  # it did die mid-write
    return done


def assert_whole(folder: Path) -> None:
    """Every file under its real name is complete; temporary files are hidden (dot names)."""
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG") and data.endswith(PNG_END), path
        elif path.suffix == ".svg":
            assert data.rstrip().endswith(b"</svg>"), path
        elif path.suffix == ".csv":
            assert data.endswith(b"\n") and data.count(b"\n") >= 2, path


@pytest.mark.parametrize("kill_after", [100, 5000])
def test_report_killed_while_drawing_leaves_no_torn_figure(tmp_path: Path, kill_after: int) -> None:
    run = debate_run(tmp_path)
    plots = run / "plots"
    shutil.rmtree(plots)  # `run` drew them; the first report killed while drawing starts from none
    killed(tmp_path, "report", str(run), KILL_AFTER_BYTES=str(kill_after))
    assert not plots.exists() or [p for p in plots.iterdir() if not p.name.startswith(".")] == []
    assert main(["report", str(run)]) == 0
    before = {p.name: p.read_bytes() for p in plots.iterdir() if not p.name.startswith(".")}
    assert before and any(name.endswith(".png") for name in before)
    killed(tmp_path, "report", str(run), KILL_AFTER_BYTES=str(kill_after))
    assert_whole(plots)
    assert {p.name: p.read_bytes() for p in plots.iterdir() if not p.name.startswith(".")} == before


def test_export_killed_mid_table_leaves_the_old_table_or_none(tmp_path: Path) -> None:
    run = debate_run(tmp_path)
    exports = run / "exports"
    killed(tmp_path, "export", str(run), "--format", "csv", KILL_AT_ROW="2")
    assert not (exports / "transcripts.csv").exists()
    assert main(["export", str(run), "--format", "csv"]) == 0
    before = (exports / "transcripts.csv").read_bytes()
    killed(tmp_path, "export", str(run), "--format", "csv", KILL_AT_ROW="2")
    assert (exports / "transcripts.csv").read_bytes() == before
    assert_whole(exports)


def test_an_error_mid_export_removes_its_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oversight.exports import flat

    run = debate_run(tmp_path)
    real = flat.transcript_rows

    def broken(folder):  # type: ignore[no-untyped-def]
        rows = real(folder)
        yield next(rows)
        raise KeyboardInterrupt  # Ctrl-C after one row

    monkeypatch.setattr(flat, "transcript_rows", broken)
    with pytest.raises(KeyboardInterrupt):
        flat.write_tables(flat.RunFolder.open(run), tmp_path, "jsonl")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".jsonl", ".tmp")) == []
