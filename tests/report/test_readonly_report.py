"""`report` on a read-only run folder shows the numbers, warns and exits 0 (as README says),
with or without a writable --out; a cache folder that cannot be made stops `run` before any
run folder exists."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.models.providers import scripted
from tests.judging.test_rejudge import debate_run
from tests.runs.test_runner import arithmetic, write_experiment


def check_report(run: Path, out: Path, capsys: pytest.CaptureFixture[str], reason: str) -> None:
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    for extra in ([], ["--out", str(out)]):
        capsys.readouterr()
        assert main(["report", str(run), *extra]) == 0
        printed, err = capsys.readouterr()
        err = " ".join(err.split())
        assert "accuracy" in printed.lower() and "units: 4 finished" in printed
        assert f"{run / 'metrics.json'}: could not write ({reason})" in err
        assert "the figures of this run are not saved" in err
        assert "error" not in err and "--out" not in err and "Traceback" not in err
    assert (out / "report.txt").read_text().strip()  # --out itself was written
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the injected test covers it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_report_on_a_read_only_filesystem(tmp_path: Path, read_only_mount: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = shutil.copytree(debate_run(tmp_path), read_only_mount / "run")
    assert main(["report", str(run)]) == 0  # metrics.json and figures exist from before
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_mount)], check=True)
    check_report(run, tmp_path / "out", capsys, "Read-only file system")


def test_report_on_a_read_only_folder_injected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    run = debate_run(tmp_path)
    assert main(["report", str(run)]) == 0
    real_open = os.open

    def read_only(path, flags, *args):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(run)) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    check_report(run, tmp_path / "out", capsys, "Permission denied")


def test_a_cache_folder_that_cannot_be_made_stops_the_run_before_any_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path)
    monkeypatch.setenv("OVERSIGHT_CACHE_DIR", "/sys/oversight-cache")  # mkdir refused, even for root
    capsys.readouterr()
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "response cache folder /sys/oversight-cache (OVERSIGHT_CACHE_DIR) cannot be used" in " ".join(err.split())
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []
    assert scripted.CALLS.get("math", []) == []
