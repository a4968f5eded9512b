"""Live units' journal files: one per exact unit id (two ids that clean to the same name used to
share a file, and the second unit would have been handed the first one's speeches), and a
journal left under the old name is taken over when that name was its unit's alone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from oversight.protocol.journal import UnitJournal
from oversight.protocol.unit import Unit
from oversight.runs.live import JOURNALS, journal_path


def unit(uid: str) -> Unit[Any]:
    return Unit(id=uid, item_id=uid.split(":")[0], condition="debate", item=None)


def folder(tmp_path: Path) -> Any:
    return SimpleNamespace(path=tmp_path)


def test_two_ids_that_clean_alike_get_their_own_journals(tmp_path: Path) -> None:
    slash, query = unit("story/7:debate"), unit("story?7:debate")  # both "story_7_debate" once cleaned
    run = folder(tmp_path)
    first, second = journal_path(run, slash, [slash, query]), journal_path(run, query, [slash, query])
    assert first != second and first.parent == second.parent == tmp_path / JOURNALS
    assert first.name.startswith("story_7_debate-") and first.suffix == ".jsonl"
    UnitJournal(first, "att-slash").claim_event({"type": "quote_check", "role": "debater_a", "round": 1})
    other = UnitJournal(second, "att-query")
    assert other.attempt == "att-query" and other.events == []  # nothing of the other unit's
    assert journal_path(run, slash, [slash, query]) == first  # the same id, the same file, every time
    long = unit("x" * 500 + ":debate")
    assert len(journal_path(run, long).name) < 120


def test_a_journal_under_the_old_name_is_taken_over_when_it_was_its_units_alone(tmp_path: Path) -> None:
    run = folder(tmp_path)
    mine, other = unit("lighthouse:consultancy"), unit("story/7:debate")
    old = tmp_path / JOURNALS / "lighthouse_consultancy.jsonl"
    UnitJournal(old, "att-old").claim_event({"type": "quote_check", "role": "consultant", "round": 1})
    path = journal_path(run, mine, [mine, other])
    assert not old.exists() and UnitJournal(path, "new").attempt == "att-old"


def test_an_old_name_two_units_shared_is_left_alone(tmp_path: Path) -> None:
    run = folder(tmp_path)
    slash, query = unit("story/7:debate"), unit("story?7:debate")
    old = tmp_path / JOURNALS / "story_7_debate.jsonl"
    UnitJournal(old, "att-shared")
    path = journal_path(run, slash, [slash, query])
    assert old.exists() and not path.exists()  # whose it was cannot be told: the unit starts again
