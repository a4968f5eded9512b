"""Filesystem trouble mid-run and after: one line, the resume hint, nothing finished lost (issue 15, 6 and 10)."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from oversight.core import jsonl

from oversight.log import runfolder
from oversight.cli.main import main
from oversight.models.providers import scripted
from tests.log.test_runlock import finished_run
from tests.runs.test_runner import arithmetic, lines, only_run, write_experiment


def test_disk_full_mid_run_exits_1_with_the_resume_hint_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, concurrency=1)
    real_append = jsonl.append_lines
    writes = {"n": 0}

    def fills_up(path: Path, records: list) -> None:  # type: ignore[type-arg]
        if path.name == "transcripts.jsonl":
            writes["n"] += 1
            if writes["n"] == 4:
                raise OSError(errno.ENOSPC, "No space left on device")
        real_append(path, records)

    monkeypatch.setattr(runfolder, "append_lines", fills_up)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 1
    run = only_run(tmp_path / "runs")
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "No space left on device" in err and f"oversight run --resume {run}" in err
    assert len(lines(run / "transcripts.jsonl")) == 3

    monkeypatch.setattr(runfolder, "append_lines", real_append)
    assert main(["run", "--resume", str(run)]) == 0
    ids = [t["id"] for t in lines(run / "transcripts.jsonl")]
    assert sorted(ids) == sorted(f"q{i}:plain" for i in range(6))


def test_report_on_a_read_only_folder_prints_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = finished_run(tmp_path)
    before = (run / "metrics.json").read_text()

    def read_only(path: Path, text: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(runfolder, "write_atomic", read_only)
    capsys.readouterr()
    assert main(["report", str(run)]) == 0  # the numbers are shown; only saving them failed
    out, err = capsys.readouterr()
    assert "units: 2 finished" in out
    assert "metrics.json: could not write (Permission denied)" in err and "Traceback" not in err
    assert (run / "metrics.json").read_text() == before


def test_resume_on_a_read_only_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = finished_run(tmp_path)
    real_open = os.open

    def read_only(path, flags, *args):  # type: ignore[no-untyped-def]
        if Path(path).parent == run and flags & os.O_CREAT:
            raise PermissionError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {run}: cannot take the writer lock (Read-only file system)"


def test_every_run_file_gets_the_same_mode(tmp_path: Path) -> None:
    scripted.register("math", arithmetic)
    old = os.umask(0o027)
    try:
        assert main(["run", str(write_experiment(tmp_path, limit=2)), "--runs-dir", str(tmp_path / "runs")]) == 0
    finally:
        os.umask(old)
    run = only_run(tmp_path / "runs")
    modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in run.iterdir()}
    assert {"experiment.yaml", "metrics.json", "transcripts.jsonl", "judgments.jsonl"} <= set(modes)
    assert set(modes.values()) == {0o640}, modes  # 0666 less the umask, for every file
    assert not [f for f in run.iterdir() if f.name.endswith(".tmp") or f.name == "writer.lock"]
    assert json.loads((run / "metrics.json").read_text())["run"]["units_finished"] == 2


@pytest.mark.parametrize("name", ["transcripts.jsonl", "judgments.jsonl"])
def test_a_folder_in_place_of_a_record_file_is_one_line_for_every_writer(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    from tests.judging.test_rejudge import debate_run
    run = debate_run(tmp_path)
    (run / name).unlink()
    (run / name).mkdir()
    for args in (["run", "--resume", str(run)], ["judge", "--model", "scripted:const=Answer: A", str(run)]):
        capsys.readouterr()
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert "Traceback" not in err and len(err.splitlines()) == 1 and name in err, err
        assert "not a file" in err or "Is a directory" in err, err


def test_a_torn_tail_is_cut_after_reading_only_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a":1}\n' * 200_000 + b'{"a":')
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read the whole file to repair its tail"))
    assert jsonl.repair_tail(path) is True
    assert path.stat().st_size == 8 * 200_000
    assert jsonl.repair_tail(path) is False
    one = tmp_path / "one.jsonl"
    one.write_bytes(b'{"torn"')  # no newline at all
    assert jsonl.repair_tail(one) is True and one.stat().st_size == 0
