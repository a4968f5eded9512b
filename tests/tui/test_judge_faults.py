"""`judge --human` when things go wrong: the same judge id in two sessions, a read-only or full
run folder, an error inside the UI. Nothing is lost, nothing counted twice, and no traceback
(whose local variables would show the unit's condition) reaches the judging screen."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import oversight.tui.judgelock as judgelock
from oversight.cli.main import main
from oversight.protocol.contract import JudgeResponse
from oversight.log.runfolder import RunFolder
from oversight.tui.judge_app import JudgeApp, JudgeScreen
from oversight.tui.judgelock import check_writable, judge_lock, lock_path
from oversight.tui.records import effective_judgments
from oversight.tui.session import AlreadyJudged, JudgeSession
from tests.helpers.tui_runs import screen_text
from tests.helpers.tui_runs import debate_folder  # noqa: F401 (fixture)

SIZE = (80, 24)
CONDITIONS = ("debate", "consultancy", "blind", "expert")


def names_a_condition(text: str) -> bool:
    """A condition's name as a word ("Debater A" is a speaker a debate judge must see, not a name)."""
    return re.search(r"\b(%s)\b" % "|".join(CONDITIONS), text, re.I) is not None


def human(run: Path, judge_id: str) -> list[dict[str, Any]]:
    path = run / "judgments.jsonl"
    return [r for r in map(json.loads, path.read_text().splitlines())
            if r["judge"] == {"kind": "human", "id": judge_id}]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def fail_writes(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Every judgment append fails the way the file system would (before any byte is written)."""
    def refuse(self: RunFolder, record: dict[str, Any]) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(RunFolder, "append_judgment", refuse)


# ---- one live session per judge id ----------------------------------------------------------------

def test_a_second_session_of_one_judge_is_refused_and_others_are_not(debate_folder: Path, capsys: Any) -> None:
    folder = RunFolder.open(debate_folder)
    with judge_lock(folder, "ann"):  # ann is judging (this process is alive)
        assert main(["judge", str(debate_folder), "--human", "--judge-id", "ann"]) == 2
        err = capsys.readouterr().err
        assert "judge 'ann' is already judging this run in another session" in err and "Traceback" not in err
        with judge_lock(folder, "bob"):  # another person is not blocked
            pass
    assert not lock_path(folder, "ann").exists()  # released when the session ends


def test_a_lock_left_by_a_session_that_died_is_taken_over(debate_folder: Path) -> None:
    warnings: list[str] = []
    folder = RunFolder.open(debate_folder, warn=warnings.append)
    path = lock_path(folder, "ann")
    import socket
    path.write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname(), "since": "earlier"}) + "\n")
    with judge_lock(folder, "ann"):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert any("taking over" in w for w in warnings)


def test_ids_that_are_not_file_names_get_their_own_locks(debate_folder: Path) -> None:
    folder = RunFolder.open(debate_folder)
    paths = {lock_path(folder, j) for j in ("../x", "a/b", "a_b", "[/oops]", "\x1b]0;t\x07", "ann" * 40)}
    assert len(paths) == 6 and all(p.parent == folder.path for p in paths)
    for judge_id in ("../x", "\x1b]0;t\x07"):
        with judge_lock(folder, judge_id):
            pass


async def test_two_sessions_of_one_id_never_make_two_standing_judgments(debate_folder: Path) -> None:
    """If two sessions of one id run anyway (another host), the later confirm is a no-op that says so."""
    folder = RunFolder.open(debate_folder)
    first, second = JudgeSession.open(folder, "ann"), JudgeSession.open(folder, "ann")
    unit = first.next_unit()
    assert unit is not None and second.next_unit() == unit
    first.record(unit, JudgeResponse(choice=0, probability=0.9), 2.0)
    with pytest.raises(AlreadyJudged):
        second.record(unit, JudgeResponse(choice=1, probability=0.6), 2.0)
    app = JudgeApp(JudgeSession.open(folder, "ann"))
    stale = JudgeSession.open(folder, "ann")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JudgeScreen)
        screen.session = stale
        other = stale.next_unit()
        assert other is not None
        stale.record(other, JudgeResponse(choice=0, probability=0.8), 1.0)  # "the other session" confirms
        screen.unit = other
        await pilot.press("B", "enter", *"60", "enter", "ctrl+s")
        await pilot.pause()
        assert "already judged under your id in another session" in screen_text(app)
    standing = effective_judgments(human(debate_folder, "ann"))
    keys = [(r["transcript_id"], r["view_key"]) for r in standing]
    assert len(keys) == len(set(keys)) == 2 and all(r["answer_index"] is not None for r in standing)


# ---- a folder that cannot take judgments -------------------------------------------------------------

@pytest.mark.parametrize("code,words", [(errno.EROFS, "read-only"), (errno.EACCES, "ermission")])
def test_an_unwritable_folder_is_refused_before_the_ui_starts(debate_folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: Any, code: int, words: str) -> None:
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith("judgments.jsonl") and flags & os.O_WRONLY:
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, *args)

    monkeypatch.setattr(judgelock.os, "open", refuse)
    before = sorted(p.name for p in debate_folder.iterdir())
    assert main(["judge", str(debate_folder), "--human", "--judge-id", "ann"]) == 2
    err = capsys.readouterr().err
    assert words in err and "judgments.jsonl" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in debate_folder.iterdir()) == before  # no lock left behind


def test_a_full_disk_is_refused_before_the_ui_starts(debate_folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: Any) -> None:
    class Full:
        f_bavail, f_frsize = 3, 4096

    monkeypatch.setattr(judgelock.os, "statvfs", lambda path: Full())
    assert main(["judge", str(debate_folder), "--human", "--judge-id", "ann"]) == 2
    err = capsys.readouterr().err
    assert "the disk is full (12,288 bytes free)" in err and "Traceback" not in err
    with pytest.raises(Exception, match="disk is full"):
        check_writable(RunFolder.open(debate_folder))


@pytest.mark.parametrize("code,words", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "the folder is read-only")])
async def test_a_confirm_that_cannot_be_saved_keeps_the_form_and_says_why(
        debate_folder: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str) -> None:
    session = JudgeSession.open(RunFolder.open(debate_folder), "ann")
    app = JudgeApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JudgeScreen)
        unit = screen.unit
        with monkeypatch.context() as m:
            fail_writes(m, code)
            await pilot.press("B", "enter", *"80", "enter", *"the quotes", "ctrl+s")
            await pilot.pause()
            text = screen_text(app)
            assert f"NOT SAVED ({words})" in text and "Traceback" not in text
            assert not names_a_condition(text)  # blinding holds on the error too
            assert screen.unit is unit and screen._value("#choice") == "B" and screen._value("#probability") == "80"
            assert human(debate_folder, "ann") == []
        await pilot.press("ctrl+s")  # space freed: the same answer is saved
        await pilot.pause()
        assert screen.unit is not unit
        with monkeypatch.context() as m:
            fail_writes(m, code)
            await pilot.press("ctrl+b")  # an undo writes too: it fails the same way, and says so
            await pilot.pause()
            assert f"NOT SAVED ({words}): fix that, then ctrl+b again" in screen_text(app)
    [record] = human(debate_folder, "ann")
    assert record["p_chosen"] == 0.8 and record["raw"]["comment"] == "the quotes"


async def test_an_internal_error_on_confirm_keeps_the_form_and_shows_no_traceback(
        debate_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = JudgeSession.open(RunFolder.open(debate_folder), "ann")
    unit = session.next_unit()
    assert unit is not None
    condition = session.transcripts[unit.transcript_id]["condition"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"verdict failed on a {condition} unit")

    app = JudgeApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monkeypatch.setattr(session.protocol, "verdict", broken)
        await pilot.press("A", "enter", *"70", "enter", "ctrl+s")
        await pilot.pause()
        text = screen_text(app)
        assert "NOT SAVED (internal error RuntimeError" in text
        assert condition not in text and "Traceback" not in text
    assert "verdict failed" in (debate_folder / "errors.log").read_text()


async def test_an_error_elsewhere_in_the_ui_stops_it_without_a_traceback_screen(
        debate_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = JudgeSession.open(RunFolder.open(debate_folder), "ann")
    secret = session.transcripts[session.units[0].transcript_id]["condition"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError(f"{secret} layout")

    import oversight.tui.judge_app as judge_app

    monkeypatch.setattr(judge_app, "render_view", broken)
    app = JudgeApp(session)
    with pytest.raises(KeyError):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
    assert app.failure is not None and "internal error (KeyError)" in app.failure and secret not in app.failure
    assert app._exit_renderables == [] and app.return_code == 1  # Textual's traceback (with locals) is never drawn
    assert f"{secret} layout" in (debate_folder / "errors.log").read_text()
