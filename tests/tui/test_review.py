"""`oversight review`: the lazy index, list navigation and filters, each protocol's view, verdicts,
calls, quotes into the story, metrics and help, driven with Textual's Pilot at 80x24."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from oversight.cli.main import main
from oversight.log.runfolder import RunFolder
from oversight.tui.review import ListScreen, ReviewApp
from oversight.tui.rowlist import RowList
from oversight.tui.screens import PageScreen, QuotesScreen, SourceScreen, TranscriptScreen
from textual.widgets import TextArea
from tests.helpers.tui_runs import CRITIQUE, FAKE_QUOTE, REAL_QUOTE, ROOT, debate_run, screen_text
from tests.helpers.tui_runs import critique_folder, debate_folder, rated_folder  # noqa: F401 (fixtures)

SIZE = (80, 24)


def shown_ids(app: ReviewApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, ListScreen)
    return [e["id"] for e in screen.query_one(RowList).rows]


async def full_text(app: Any, pilot: Any) -> str:
    """Everything the current screen would show on a very tall terminal (whitespace and line
    wraps folded to single spaces), then back to 80x24."""
    await pilot.resize_terminal(80, 400)
    await pilot.pause()
    text = screen_text(app)
    await pilot.resize_terminal(*SIZE)
    await pilot.pause()
    return " ".join(text.split())


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_index_reads_light_fields_and_the_newest_line_of_a_retried_unit(tmp_path: Path) -> None:
    run = debate_run(tmp_path, limit=1, rounds=1)
    folder = RunFolder.open(run)
    lines = (run / "transcripts.jsonl").read_text().splitlines()
    retried = json.loads(lines[0])
    failed = {**retried, "error": "HTTP 500 after retries", "attempt": "f" * 12}
    folder.append_transcript(failed)
    index = folder.transcript_index()
    # A failed line never displaces a finished one of the same unit (whatever the line order)
    assert len(index) == len(lines) and index[0]["id"] == retried["id"] and index[0]["error"] is None
    retried["created_at"] = "2099-01-01T00:00:00+00:00"  # a newer finished attempt
    folder.append_transcript(retried)
    index = folder.transcript_index()
    assert len(index) == len(lines) and index[-1]["id"] == retried["id"]  # the newer line moved last
    assert index[-1]["created_at"] == retried["created_at"]
    full = {t["id"]: t for t in folder.transcripts()}
    for entry in index:
        assert folder.read_transcript_at(entry["offset"]) == full[entry["id"]]
        assert {k: entry[k] for k in ("item_id", "condition", "protocol", "attempt")} == \
            {k: full[entry["id"]][k] for k in ("item_id", "condition", "protocol", "attempt")}


async def test_list_navigation_and_filters(debate_folder: Path) -> None:
    run = debate_folder
    judged = records(run / "judgments.jsonl")
    transcripts = {t["id"]: t for t in records(run / "transcripts.jsonl")}
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert sorted(shown_ids(app)) == sorted(transcripts)
        await pilot.press("c")  # the first condition in sorted order: blind
        assert shown_ids(app) and all(transcripts[t]["condition"] == "blind" for t in shown_ids(app))
        assert "cond:blind" in screen_text(app)
        await pilot.press("c", "c", "c", "c")  # consultancy, debate, expert, back to all
        assert len(shown_ids(app)) == len(transcripts)
        await pilot.press("v")  # correct: every order-averaged verdict right (this judge ties each: none)
        expected = {tid for tid in transcripts
                    if all(j["correct"] for j in judged if j["transcript_id"] == tid)}
        assert set(shown_ids(app)) == expected
        await pilot.press("v")  # incorrect
        assert set(shown_ids(app)) == set(transcripts) - expected
        await pilot.press("f")
        assert shown_ids(app) == []  # nothing failed in this run
        await pilot.press("x", "slash")
        await pilot.press(*"Violin", "enter")
        assert shown_ids(app) and all(t.startswith("borrowed-violin") for t in shown_ids(app))
        await pilot.press("x", "home", "down", "down", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TranscriptScreen)
        assert screen.position == 2 and shown_ids_of(screen)[2] in screen_text(app)
        await pilot.press("n")
        assert screen.position == 3 and shown_ids_of(screen)[3] in screen_text(app)
        await pilot.press("p", "p")
        assert shown_ids_of(screen)[1] in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, ListScreen)
        await pilot.press("question_mark")
        assert "cycle the condition filter" in screen_text(app)
        await pilot.press("escape", "m")
        assert isinstance(app.screen, PageScreen)
        assert "accuracy" in await full_text(app, pilot)


def shown_ids_of(screen: TranscriptScreen) -> list[str]:
    return [e["id"] for e in screen.rows]


async def open_transcript(app: ReviewApp, pilot: Any, transcript_id: str) -> TranscriptScreen:
    await pilot.pause()
    position = shown_ids(app).index(transcript_id)
    await pilot.press(*["down"] * position, "enter")
    await pilot.pause()
    assert isinstance(app.screen, TranscriptScreen)
    return app.screen


async def test_debate_view_verdicts_calls_and_quotes_into_the_story(debate_folder: Path) -> None:
    run = debate_folder
    folder = RunFolder.open(run)
    transcript = next(t for t in folder.transcripts() if t["id"] == "salt-clock:debate")
    story = folder.get_text(transcript["outcome"]["story_ref"])
    app = ReviewApp(folder)
    async with app.run_test(size=SIZE) as pilot:
        await open_transcript(app, pilot, "salt-clock:debate")
        view = await full_text(app, pilot)
        assert "Round 1" in view and "Round 2" in view and "Debater B (for B" in view
        assert f"[q1 ✓]" in view and "✗ unverified, fuzzy" in view
        await pilot.press("2")
        verdicts = await full_text(app, pilot)
        assert verdicts.count("model/model:scripted:judge") == 2
        assert "order original" in verdicts and "order swapped" in verdicts and "Answer: A, 70%" in verdicts
        await pilot.press("3")
        calls = await full_text(app, pilot)
        assert "debater_a round 2" in calls and "judge swapped" in calls and "debater_a / debater_a" not in calls
        assert "scripted:debater" in calls and "total" in calls
        await pilot.press("o")
        assert isinstance(app.screen, QuotesScreen)
        await pilot.press("enter")  # q1: a verified quote, its exact span
        assert isinstance(app.screen, SourceScreen)
        area = app.screen.query_one(TextArea)
        assert area.selected_text.lower() == REAL_QUOTE
        await pilot.press("escape", "down", "enter")  # q2: unverified, its closest span
        unverified = transcript["outcome"]["speeches"][0]["quotes"][1]
        assert unverified["text"] == FAKE_QUOTE and not unverified["verified"]
        assert app.screen.query_one(TextArea).selected_text == unverified["closest"]
        assert f"fuzzy {unverified['fuzzy']}" in screen_text(app)
        await pilot.press("escape", "escape", "s")
        assert isinstance(app.screen, SourceScreen)
        assert app.screen.query_one(TextArea).text == story


async def test_critique_view_shows_tree_and_grader_matches(critique_folder: Path) -> None:
    run = critique_folder
    folder = RunFolder.open(run)
    assisted = next(t for t in folder.transcripts() if t["condition"] == "assisted")
    app = ReviewApp(folder)
    async with app.run_test(size=SIZE) as pilot:
        await open_transcript(app, pilot, assisted["id"])
        text = await full_text(app, pilot)
        outcome = assisted["outcome"]
        assert " ".join(outcome["judge_view"]["context"].split())[:60] in text
        assert CRITIQUE in text and "This point is right: the passage gives 1902." in text
        assert "c1.m1 (level 1)" in text  # the meta-critique hangs under its critique
        for match in outcome["report_matches"]:
            assert match["reason"] in text
        gold_hits = [m for m in outcome["report_matches"] if m["gold_index"] is not None]
        assert gold_hits and f"→ gold {gold_hits[0]['gold_index'] + 1}" in text
        assert "→ unconfirmed" in text or all(m["confirmed"] for m in outcome["report_matches"])
        await pilot.press("2")
        verdicts = await full_text(app, pilot)
        assert "Reported flaws" in verdicts and "The year is wrong." in verdicts


async def test_generic_view_for_a_protocol_without_one(rated_folder: Path) -> None:
    run = rated_folder
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=SIZE) as pilot:
        await open_transcript(app, pilot, shown_ids(app)[0])
        text = await full_text(app, pilot)
        assert "Outcome" in text and "'answer': '4'" in text


@pytest.fixture
def failed_folder(tmp_path: Path) -> Path:
    """A debate run whose consultancy units all fail on the judge's call (the run exits 1)."""
    from oversight.models.providers.base import ProviderError

    def judge(messages: Any) -> Any:
        if "consultant" in messages[-1].content.lower():
            return ProviderError("HTTP 400: context too long", retryable=False, status=400)
        return "A, 70%"

    return debate_run(tmp_path, judge=judge, status=1)


async def test_failed_units_filter_and_their_errors(failed_folder: Path) -> None:
    run = failed_folder
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        failed = shown_ids(app)
        assert failed and all(t.endswith(":consultancy") for t in failed) and "FAILED" in screen_text(app)
        await pilot.press("enter", "3")
        assert "context too long" in await full_text(app, pilot)


def test_synthetic_run_index_matches_the_file(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("tui_open", ROOT / "benchmarks" / "tui_open.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder = bench.build(tmp_path, 400)
    from oversight.tui.index import Filters, RunIndex

    index = RunIndex.open(folder)
    assert len(index.entries) == 400
    assert len(index.select(Filters(condition="expert"))) == 100
    assert index.select(Filters(search="Question 123?"))[0]["id"] == "item00030:expert"
    right = index.select(Filters(verdict="correct"))
    assert right and all(all(j["correct"] for j in index.judgments[e["id"]]) for e in right)
    wrong = index.select(Filters(verdict="incorrect"))
    assert {e["id"] for e in wrong} == {e["id"] for e in index.entries} - {e["id"] for e in right}


def test_review_of_a_missing_folder_is_a_one_line_error(tmp_path: Path, capsys: Any) -> None:
    assert main(["review", str(tmp_path / "nope")]) == 2
    assert "no such run folder" in capsys.readouterr().err



def test_a_page_opened_as_the_app_quits_mounts_without_its_widgets() -> None:
    """`q` then `m` typed at once (the next shell command begun) mounts a page that never
    composed: it must not raise (it printed a traceback on the terminal; seen in tmux)."""
    PageScreen("metrics", "x").on_mount()
    SourceScreen("a stored text", (0, 1), "note").on_mount()
