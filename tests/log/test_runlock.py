"""One writer per run folder (issue 15, item 2)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.core.errors import UserError
from oversight.models.providers import scripted
from oversight.log.runfolder import LOCK, RunFolder
from tests.runs.test_runner import arithmetic, lines, only_run, write_experiment


def finished_run(tmp_path: Path, limit: int = 2) -> Path:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, limit=limit)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    return only_run(tmp_path / "runs")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = finished_run(tmp_path)
    (run / "transcripts.jsonl").write_text("")  # as if nothing had finished yet
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / LOCK).write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(), "since": "now"}))
        capsys.readouterr()
        assert main(["run", "--resume", str(run)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert f"another process is writing this run folder (pid {holder.pid} on {socket.gethostname()}" in err
        assert scripted.CALLS["math"][2:] == []  # nothing called by the refused writer
        assert lines(run / "transcripts.jsonl") == []
        assert (run / LOCK).exists()  # the holder's lock is left alone
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_on_another_host_is_never_taken_over(tmp_path: Path) -> None:
    run = finished_run(tmp_path)
    (run / LOCK).write_text(json.dumps({"pid": dead_pid(), "host": "elsewhere.example", "since": "now"}))
    with pytest.raises(UserError, match="on elsewhere.example"):
        with RunFolder.open(run).lock():
            pass


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = finished_run(tmp_path)
    pid = dead_pid()
    (run / LOCK).write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "since": "then"}))
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 0
    assert f"taking over the writer lock of a process that is gone (pid {pid}" in capsys.readouterr().err
    assert not (run / LOCK).exists()  # released at the end


def test_lock_is_exclusive_within_one_process_and_released(tmp_path: Path) -> None:
    run = finished_run(tmp_path)
    folder = RunFolder.open(run)
    with folder.lock():
        holder = json.loads((run / LOCK).read_text())
        assert holder["pid"] == os.getpid() and oct((run / LOCK).stat().st_mode & 0o777) in ("0o644", oct(0o644 & ~_umask()))
        with pytest.raises(UserError, match=f"pid {os.getpid()}"):
            with RunFolder.open(run).lock():
                pass
    assert not (run / LOCK).exists()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


NOT_A_PID = [10**30, -1, 0, True, "1", None, 2**40]
"""Records no process can hold: os.kill(0/-1) signals a group, a bool is an int to Python,
a number past the C long overflows."""


@pytest.mark.parametrize("pid", NOT_A_PID, ids=[repr(p) for p in NOT_A_PID])
def test_a_lock_naming_no_possible_pid_is_taken_over_with_a_warning(
        tmp_path: Path, pid: object, capsys: pytest.CaptureFixture[str]) -> None:
    run = finished_run(tmp_path)
    (run / LOCK).write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "since": "now"}))
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "taking it over" in err, err
    assert not (run / LOCK).exists()


def test_a_dangling_symlink_as_the_lock_is_taken_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = finished_run(tmp_path)
    os.symlink(tmp_path / "nowhere" / "lock", run / LOCK)
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert "taking it over" in err and "same moment" not in err, err
    assert not os.path.lexists(run / LOCK)


def test_a_folder_where_the_lock_goes_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = finished_run(tmp_path)
    (run / LOCK).mkdir()
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "not a file" in err, err
    assert (run / LOCK).is_dir()  # never removed: it is not ours
