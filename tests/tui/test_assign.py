"""Which condition of each item a person judges: balanced within each judge and across the
listed judges, the same whoever starts first (properties over item counts, condition counts
and judge lists), and end to end on a 12-story, 4-condition debate run."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from oversight.cli.main import main
from oversight.core.errors import UserError
from oversight.protocol.contract import JudgeResponse
from oversight.log.runfolder import RunFolder
from oversight.tui.assign import assign, item_order, rank_of
from oversight.tui.session import JudgeSession
from tests.helpers.tui_runs import debate_run

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ .[]/", min_size=1, max_size=12)


def spread_ok(counts: Counter[str], keys: list[str], total: int) -> bool:
    """Each key floor(total/k) or ceil(total/k) times."""
    low, high = total // len(keys), -(-total // len(keys))
    return all(low <= counts.get(k, 0) <= high for k in keys)


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, unique=True, max_size=60), st.integers(1, 6), st.integers(0, 20), st.text(max_size=8))
def test_each_judge_gets_every_condition_equally_often_within_one(items: list[str], n: int, rank: int, run: str) -> None:
    conditions = [f"c{i}" for i in range(n)]
    plan = assign(item_order(run, items), conditions, rank)
    assert set(plan) == set(items) and set(plan.values()) <= set(conditions)
    assert spread_ok(Counter(plan.values()), conditions, len(items))


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, unique=True, min_size=1, max_size=30), st.integers(1, 6),
       st.lists(ids, unique=True, min_size=1, max_size=12), st.text(max_size=8))
def test_listed_judges_spread_over_each_items_conditions(items: list[str], n: int, roster: list[str], run: str) -> None:
    conditions = [f"c{i}" for i in range(n)]
    order = item_order(run, items)
    plans = {j: assign(order, conditions, rank_of(j, roster)) for j in roster}
    for item in items:
        assert spread_ok(Counter(p[item] for p in plans.values()), conditions, len(roster))
    # Two judges of different ranks below n never share an item's condition: no collision.
    for a in roster[:n]:
        for b in roster[:n]:
            if a != b:
                assert all(plans[a][i] != plans[b][i] for i in items)


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, unique=True, max_size=30), st.integers(1, 5), st.integers(0, 8), st.randoms(use_true_random=False))
def test_the_plan_is_a_function_of_the_set_of_items(items: list[str], n: int, rank: int, rnd: random.Random) -> None:
    conditions = [f"c{i}" for i in range(n)]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert assign(item_order("run", items), conditions, rank) == assign(item_order("run", shuffled), conditions, rank)


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, unique=True, max_size=30), st.integers(2, 5), st.integers(0, 8), st.data())
def test_missing_transcripts_and_items_already_seen(items: list[str], n: int, rank: int, data: st.DataObject) -> None:
    conditions = [f"c{i}" for i in range(n)]
    available = {i: data.draw(st.sets(st.sampled_from(conditions)), label=f"available {i}") for i in items}
    seen = {i: data.draw(st.sampled_from(conditions)) for i in items if data.draw(st.booleans())}
    plan = assign(item_order("run", items), conditions, rank, available=available, seen=seen)
    for item, condition in plan.items():
        assert condition in available[item]  # only finished transcripts are shown
        assert item not in seen or seen[item] == condition  # never a second condition of a seen item
    for item in items:
        if available[item] and item not in seen:
            assert item in plan
    complete = {i: set(conditions) for i in items}
    assert spread_ok(Counter(assign(item_order("run", items), conditions, rank, available=complete).values()),
                     conditions, len(items))


# ---- end to end on a run folder -----------------------------------------------------------------

@pytest.fixture(scope="module")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 stories x 4 conditions (debate, consultancy, blind, expert)."""
    return debate_run(tmp_path_factory.mktemp("balance"), limit=12, rounds=1)


def conditions_of(session: JudgeSession) -> dict[str, str]:
    return {session.transcripts[u.transcript_id]["item_id"]: session.transcripts[u.transcript_id]["condition"]
            for u in session.units}


def test_four_judges_starting_at_once_split_3_3_3_3_and_never_collide(big_run: Path) -> None:
    folder = RunFolder.open(big_run)
    roster = ["ann", "bob", "cara", "dan"]
    plans = {j: conditions_of(JudgeSession.open(folder, j, roster)) for j in roster}  # none has judged yet
    for plan in plans.values():
        assert len(plan) == 12 and sorted(Counter(plan.values()).values()) == [3, 3, 3, 3]
    for item in plans["ann"]:
        assert len({plan[item] for plan in plans.values()}) == 4


def test_rank_and_list_are_recorded_and_kept_on_resume(tmp_path: Path, big_run: Path) -> None:
    import shutil
    run = tmp_path / "run"
    shutil.copytree(big_run, run)
    folder = RunFolder.open(run)
    first = JudgeSession.open(folder, "bob", ["ann", "bob", "cara"])
    plan = conditions_of(first)
    unit = first.units[0]
    record = first.record(unit, JudgeResponse(choice=0, probability=0.6), 3.0)
    assert record["assignment"]["rank"] == 1 and record["assignment"]["roster"] == ["ann", "bob", "cara"]
    again = JudgeSession.open(folder, "bob")  # no --judges: the recorded list stands
    assert (again.roster, again.rank) == (["ann", "bob", "cara"], 1) and conditions_of(again) == plan
    assert JudgeSession.open(folder, "cara").rank == 2  # a listed judge coming later needs no list either
    dan = JudgeSession.open(folder, "dan", ["ann", "bob", "cara", "dan"])  # appended at the end: allowed
    assert dan.rank == 3
    with pytest.raises(UserError, match="judge 'bob' judged this run with --judges ann,bob,cara"):
        JudgeSession.open(folder, "eve", ["bob", "ann", "cara", "eve"])
    with pytest.raises(UserError, match="your id 'zed' is not listed"):
        JudgeSession.open(folder, "zed", ["ann", "bob"])


def test_cli_checks_the_judge_list(big_run: Path, capsys: Any) -> None:
    assert main(["judge", str(big_run), "--human", "--judge-id", "ann", "--judges", "ann,bob,ann"]) == 2
    err = capsys.readouterr().err
    assert "--judges ann,bob,ann: list each judge id once" in err and "Traceback" not in err
