"""A full disk under `judge --model`, `report` and `export`: one line, no partial file, no stale lock.

Two ways to fill the disk: a real 8 MB tmpfs filled to the last page (needs root and
`mount`; skipped where the machine does not allow it), and ENOSPC injected at fsync for files
under one folder, which runs everywhere. Filesystems report a full disk at write or at fsync
(delayed allocation, NFS), so the writers must survive both.
"""

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
from oversight.log.runfolder import LOCK
from tests.judging.test_rejudge import debate_run, lines

FORMATS = ("csv", "jsonl", "inspect")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[Path]:
    """Temporary files, and files a failed write left empty."""
    return [p for p in folder.rglob("*") if p.is_file() and (".tmp" in p.name or p.stat().st_size == 0
                                                              and p.name not in ("judgments.jsonl",))]


def one_line_error(err: str) -> str:
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert "Traceback" not in err and len(errors) == 1, err
    return errors[0]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip()}); the injected ENOSPC tests cover it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path, leave: int = 0) -> Path:
    """Fill the filesystem to the last byte, then free `leave` bytes."""
    filler = mount / "filler"
    with open(filler, "wb", buffering=0) as fh:  # unbuffered: a write cut short leaves nothing to flush on close
        chunk = b"\0" * 65536
        try:
            while True:
                fh.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            fh.seek(0, os.SEEK_END)
    while True:  # the last partial chunk may not have fitted: fill with small writes
        try:
            with open(filler, "ab", buffering=0) as fh:
                fh.write(b"\0" * 512)
        except OSError:
            break
    if leave:
        os.truncate(filler, filler.stat().st_size - leave)
    return filler


@pytest.fixture
def run_on_disk(tmp_path: Path, disk: Path) -> Path:
    run = debate_run(tmp_path)
    target = disk / run.name
    shutil.copytree(run, target)
    return target


def test_judge_model_on_a_full_disk_takes_no_lock_and_recovers(run_on_disk: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = run_on_disk
    before = snapshot(run)
    filler = fill(run.parent)
    scripted.register("newjudge", ["Final answer: B (60%)"])
    capsys.readouterr()
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "cannot take the writer lock (No space left on device)" in line
    assert snapshot(run) == before and not (run / LOCK).exists() and leftovers(run) == []
    filler.unlink()  # space again: nothing blocks the next writer
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 0
    assert not (run / LOCK).exists()


def test_judge_model_when_the_disk_fills_mid_way_keeps_whole_lines(run_on_disk: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = run_on_disk
    scripted.register("newjudge", ["Final answer: B (60%) " + "because " * 400])  # ~3 kB a judgment
    fill(run.parent, leave=4096 * 2)  # room for the lock, not for every judgment
    capsys.readouterr()
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "No space left on device" in line and "free some space" in line
    raw = (run / "judgments.jsonl").read_bytes()
    assert raw.endswith(b"\n") and len(lines(run / "judgments.jsonl")) == raw.count(b"\n")  # no torn line
    assert not (run / LOCK).exists() and leftovers(run) == []


def test_report_on_a_full_disk_prints_the_numbers_and_leaves_no_partial_file(run_on_disk: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = run_on_disk
    assert main(["report", str(run)]) == 0  # figures exist from a first report
    before = snapshot(run)
    fill(run.parent)
    capsys.readouterr()
    assert main(["report", str(run)]) == 0
    out, err = capsys.readouterr()
    assert "accuracy" in out.lower() and "Traceback" not in err
    assert "metrics.json: could not write (No space left on device)" in " ".join(err.split())
    assert snapshot(run) == before and leftovers(run) == []
    out_dir = run.parent / "report-out"
    assert main(["report", str(run), "--format", "markdown", "--out", str(out_dir)]) == 2
    assert "No space left on device" in one_line_error(capsys.readouterr().err)
    assert not (out_dir / "report.md").exists() and leftovers(run.parent) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_on_a_full_disk_is_one_line_and_no_file(run_on_disk: Path, capsys, fmt: str) -> None:  # type: ignore[no-untyped-def]
    run = run_on_disk
    (run / "exports").mkdir()
    fill(run.parent)
    capsys.readouterr()
    assert main(["export", str(run), "--format", fmt]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "No space left on device" in line and str(run / "exports") in line
    assert list((run / "exports").iterdir()) == []


# ---- ENOSPC injected at fsync (no root needed) ---------------------------------------------------


@pytest.fixture
def full_under(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`full_under(folder)`: from now on fsync of any file under `folder` fails with ENOSPC."""
    real = os.fsync

    def arm(folder: Path) -> None:
        def fsync(fd: int) -> None:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder)):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real(fd)
        monkeypatch.setattr(os, "fsync", fsync)

    return arm


def test_injected_full_disk_judge_model(tmp_path: Path, full_under, capsys) -> None:  # type: ignore[no-untyped-def]
    run = debate_run(tmp_path)
    before = snapshot(run)
    scripted.register("newjudge", ["Final answer: B (60%)"])
    full_under(run)
    capsys.readouterr()
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 2
    assert "No space left on device" in one_line_error(capsys.readouterr().err)
    assert snapshot(run) == before and not (run / LOCK).exists()


def test_injected_full_disk_report_and_export(tmp_path: Path, full_under, capsys) -> None:  # type: ignore[no-untyped-def]
    run = debate_run(tmp_path)
    assert main(["report", str(run)]) == 0
    before = snapshot(run)
    full_under(run)
    capsys.readouterr()
    assert main(["report", str(run)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "metrics.json: could not write" in err and "figures of this run are not saved" in err
    for fmt in FORMATS:
        assert main(["export", str(run), "--format", fmt]) == 2
        assert "No space left on device" in one_line_error(capsys.readouterr().err)
    assert snapshot(run) == before and leftovers(run) == []
