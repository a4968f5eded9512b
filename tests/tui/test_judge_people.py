"""An adversarial pass over people judging: balance across the listed judges, a save torn by a
full disk, quitting with an answer that was never saved, and ids that look the same."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import oversight.core.jsonl as jsonl
from oversight.cli.main import main
from oversight.log.runfolder import RunFolder
from oversight.tui.assign import assign
from oversight.tui.judge_app import JudgeApp, JudgeScreen
from oversight.tui.judgelock import judge_lock, lock_path
from oversight.tui.records import effective_judgments
from oversight.tui.session import JudgeSession
from tests.helpers.tui_runs import screen_text
from tests.helpers.tui_runs import debate_folder  # noqa: F401 (fixture)

SIZE = (80, 24)
CONDITIONS = ("debate", "consultancy", "blind", "expert")


def names_a_condition(text: str) -> bool:
    """A condition's name as a word ("Debater A" is a speaker a debate judge must see, not a name)."""
    return re.search(r"\b(%s)\b" % "|".join(CONDITIONS), text, re.I) is not None


def spread(counts: Counter[str], conditions: list[str]) -> int:
    values = [counts.get(c, 0) for c in conditions]
    return max(values) - min(values)


@settings(max_examples=300, deadline=None)
@given(m=st.integers(1, 30), n=st.integers(2, 5), judges=st.integers(1, 11))
def test_every_prefix_of_the_listed_judges_is_balanced_three_ways(m: int, n: int, judges: int) -> None:
    """Within each judge, within each item across judges, and in the totals over judges 0..J-1
    (a judge added at the end of the list never unbalances the ones before)."""
    items = [f"item{i}" for i in range(m)]
    conditions = [f"c{k}" for k in range(n)]
    plans = [assign(items, conditions, rank) for rank in range(judges)]
    total: Counter[str] = Counter()
    for j, plan in enumerate(plans, start=1):
        assert sorted(plan) == sorted(items)
        assert spread(Counter(plan.values()), conditions) <= 1, f"judge {j - 1}: {Counter(plan.values())}"
        total.update(plan.values())
        assert spread(total, conditions) <= 1, f"judges 0..{j - 1} together: {total}"
        for item in items:
            assert spread(Counter(p[item] for p in plans[:j]), conditions) <= 1


def test_twelve_items_four_conditions_two_judges_totals() -> None:
    """The case that was off by two in the totals before: 6 items, 4 conditions, 2 judges."""
    items, conditions = [f"i{k}" for k in range(6)], ["a", "b", "c", "d"]
    total = Counter(assign(items, conditions, 0).values()) + Counter(assign(items, conditions, 1).values())
    assert sorted(total.values()) == [3, 3, 3, 3]


# ---- a save that a full disk cuts in half -----------------------------------------------------------

class HalfWritingOs:
    """The os module as oversight.core.jsonl sees it, but a write stores half its bytes, then fails
    as a full disk does."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def write(fd: int, data: Any) -> int:
        os.write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def test_a_save_torn_by_a_full_disk_leaves_no_half_line_and_the_retry_counts(
        debate_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = debate_folder / "judgments.jsonl"
    before = path.read_bytes()
    app = JudgeApp(JudgeSession.open(RunFolder.open(debate_folder), "ann"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JudgeScreen)
        with monkeypatch.context() as m:
            m.setattr(jsonl, "os", HalfWritingOs())
            await pilot.press("B", "enter", *"80", "enter", "ctrl+s")
            await pilot.pause()
            assert "NOT SAVED (the disk is full)" in screen_text(app)
        assert path.read_bytes() == before  # nothing half-written stays behind
        await pilot.press("ctrl+s")
        await pilot.pause()
    lines = path.read_text().splitlines()
    records = [json.loads(x) for x in lines]  # every line whole
    mine = [r for r in effective_judgments(records) if r["judge"] == {"kind": "human", "id": "ann"}]
    assert len(mine) == 1 and mine[0]["p_chosen"] == 0.8


async def test_quitting_with_an_answer_that_was_never_saved_is_a_failure(
        debate_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: RunFolder, record: dict[str, Any]) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    app = JudgeApp(JudgeSession.open(RunFolder.open(debate_folder), "ann"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monkeypatch.setattr(RunFolder, "append_judgment", refuse)
        await pilot.press("A", "enter", *"70", "enter", "ctrl+s")
        await pilot.pause()
        text = screen_text(app)
        assert "NOT SAVED" in text and "Traceback" not in text
        assert not names_a_condition(text)
        await pilot.press("ctrl+q")
    assert app.failure is not None and "not saved" in app.failure
    assert not names_a_condition(app.failure)


async def test_a_folder_deleted_mid_session_fails_the_confirm_with_a_message(
        debate_folder: Path, tmp_path: Path) -> None:
    app = JudgeApp(JudgeSession.open(RunFolder.open(debate_folder), "ann"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        moved = tmp_path / "moved"
        debate_folder.rename(moved)
        await pilot.press("A", "enter", *"70", "enter", "ctrl+s")
        await pilot.pause()
        text = screen_text(app)
        assert "NOT SAVED" in text and "Traceback" not in text
        assert not names_a_condition(text)
        assert app.screen._value("#choice") == "A"
        await pilot.press("ctrl+q")
    assert app.failure is not None


# ---- ids that look the same ---------------------------------------------------------------------------

def test_one_id_typed_in_two_unicode_forms_is_one_lock(debate_folder: Path, capsys: Any) -> None:
    folder = RunFolder.open(debate_folder)
    nfc, nfd = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    assert nfc != nfd and lock_path(folder, nfc) == lock_path(folder, nfd)
    with judge_lock(folder, nfc):
        assert main(["judge", str(debate_folder), "--human", "--judge-id", nfd]) == 2
        assert "already judging this run" in capsys.readouterr().err


def test_ids_that_differ_only_in_case_are_one_person(debate_folder: Path, capsys: Any) -> None:
    folder = RunFolder.open(debate_folder)
    with judge_lock(folder, "ann"):
        assert main(["judge", str(debate_folder), "--human", "--judge-id", "Ann"]) == 2
        assert "already judging this run" in capsys.readouterr().err


def test_an_id_that_differs_from_a_judge_on_file_only_in_case_is_refused(debate_folder: Path, capsys: Any) -> None:
    session = JudgeSession.open(RunFolder.open(debate_folder), "ann")
    unit = session.next_unit()
    assert unit is not None
    from oversight.protocol.contract import JudgeResponse
    session.record(unit, JudgeResponse(choice=0, probability=0.7), 1.0)
    assert main(["judge", str(debate_folder), "--human", "--judge-id", "ANN "]) == 2
    err = capsys.readouterr().err
    assert "'ann'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_session_killed_with_sigkill_leaves_a_lock_the_next_one_takes_over(debate_folder: Path) -> None:
    code = ("import os, signal, sys; from oversight.log.runfolder import RunFolder; "
            "from oversight.tui.judgelock import judge_lock; "
            "f = RunFolder.open(__import__('pathlib').Path(sys.argv[1]))\n"
            "with judge_lock(f, 'ann'):\n    os.kill(os.getpid(), signal.SIGKILL)")
    proc = subprocess.run([sys.executable, "-c", code, str(debate_folder)], env={**os.environ}, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    folder = RunFolder.open(debate_folder, warn=(warnings := []).append)
    assert lock_path(folder, "ann").exists()
    with judge_lock(folder, "ann"):
        pass
    assert any("gone" in w for w in warnings) and not lock_path(folder, "ann").exists()


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2]", '{"pid": "x"}'])
def test_an_unreadable_judge_lock_nobody_holds_is_taken_over_with_a_warning(debate_folder: Path, content: str) -> None:
    """An empty or damaged lock (a crash as it was taken, an edit by hand) held by no live process
    does not lock the judge out for good."""
    warnings: list[str] = []
    folder = RunFolder.open(debate_folder, warn=warnings.append)
    lock_path(folder, "ann").write_text(content)
    with judge_lock(folder, "ann"):
        assert json.loads(lock_path(folder, "ann").read_text())["pid"] == os.getpid()
    assert warnings and not lock_path(folder, "ann").exists()


@settings(max_examples=300, deadline=None)
@given(first=st.integers(1, 25), added=st.integers(1, 15), n=st.integers(2, 5), rank=st.integers(0, 6))
def test_items_added_on_resume_keep_each_judge_balanced(first: int, added: int, n: int, rank: int) -> None:
    """A judge who judged `first` items comes back after `added` more were run: what they saw
    stays, and their conditions are still each seen equally often (+-1)."""
    from oversight.tui.assign import item_order

    conditions = [f"c{k}" for k in range(n)]
    everything = [f"i{k}" for k in range(first + added)]
    before = [i for i in item_order("run", everything) if i in set(everything[:first])]
    seen = assign(before, conditions, rank)
    after = assign(item_order("run", everything), conditions, rank, seen=seen)
    assert all(after[i] == c for i, c in seen.items())
    assert spread(Counter(after.values()), conditions) <= 1, Counter(after.values())


def test_the_command_exits_1_when_the_ui_ended_with_an_unsaved_answer(
        debate_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    def run(self: JudgeApp) -> None:
        self.failure = "your last answer was not saved (the run folder could not be written)"

    monkeypatch.setattr(JudgeApp, "run", run)
    assert main(["judge", str(debate_folder), "--human", "--judge-id", "ann"]) == 1
    err = capsys.readouterr().err
    assert "your last answer was not saved" in err and "errors.log" not in err and "Traceback" not in err


def test_judges_starting_at_the_same_moment_without_a_list_get_different_ranks(debate_folder: Path) -> None:
    """No --judges list, nobody has confirmed anything yet: live sessions' ranks are claimed in
    their locks, so n judges open at once cover all n ranks (they each see every condition of an
    item once between them)."""
    from contextlib import ExitStack

    from oversight.tui.judgelock import claim_rank

    folder = RunFolder.open(debate_folder)
    names = ["ann", "bob", "cho", "dee"]  # 4 conditions
    ranks = []
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(judge_lock(folder, name))
        for name in names:  # every one is live before any plans: the moment they all start
            ranks.append(claim_rank(folder, name, lambda busy, name=name: JudgeSession.open(folder, name, busy=busy)).rank)
    assert sorted(ranks) == [0, 1, 2, 3]


def test_a_solo_researcher_sees_the_plan_and_may_cover_every_condition(debate_folder: Path) -> None:
    """One person gets each item once by default (the plan says how many judges cover the rest);
    with every_condition, each item in each condition, each judgment saying what came first."""
    transcripts = [t for t in RunFolder.open(debate_folder).transcripts() if t.get("error") is None]
    alone = JudgeSession.open(RunFolder.open(debate_folder), "solo")
    items = {t["item_id"] for t in transcripts}
    seen: dict[str, set[str]] = {}
    for u in alone.units:
        t = alone.transcripts[u.transcript_id]
        seen.setdefault(t["item_id"], set()).add(t["condition"])
    assert set(seen) == items and all(len(conditions) == 1 for conditions in seen.values())
    summary = alone.plan_summary()
    assert f"{len(alone.conditions)} judges" in summary and "--every-condition" in summary
    every = JudgeSession.open(RunFolder.open(debate_folder), "solo2", every_condition=True)
    covered = {(every.transcripts[u.transcript_id]["item_id"], every.transcripts[u.transcript_id]["condition"])
               for u in every.units}
    assert covered == {(t["item_id"], t["condition"]) for t in transcripts}
    firsts = [u for u in every.units if not u.assignment["seen_before"]]
    assert len({every.transcripts[u.transcript_id]["item_id"] for u in firsts}) == len(items)
    assert "not blind" in every.plan_summary()


def test_coming_back_under_another_plan_is_refused_not_dealt_again(debate_folder: Path) -> None:
    """A person who judged with --every-condition and comes back without it (or the other way)
    is told so, and nothing they judged is dealt again under the other rule; an undone judgment
    leaves nothing to hold them to."""
    from oversight.core.errors import UserError
    from oversight.protocol.contract import JudgeResponse

    folder = RunFolder.open(debate_folder)
    every = JudgeSession.open(folder, "solo", every_condition=True)
    every.record(every.units[0], JudgeResponse(choice=0, probability=0.7), 1.0)
    with pytest.raises(UserError, match="with --every-condition; add it again"):
        JudgeSession.open(folder, "solo")
    assert len(JudgeSession.open(folder, "solo", every_condition=True).pending()) == len(every.units) - 1
    one = JudgeSession.open(folder, "ana")
    one.record(one.units[0], JudgeResponse(choice=1, probability=0.6), 1.0)
    with pytest.raises(UserError, match="one condition per item; go on without --every-condition"):
        JudgeSession.open(folder, "ana", every_condition=True)
    assert one.undo() is not None
    assert JudgeSession.open(folder, "ana", every_condition=True).units  # nothing standing: a fresh start
