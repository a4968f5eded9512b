"""A protocol outside oversight brings its own review body and human judging form through the
contract's review hooks alone: the toy protocol from its source tree (declared by a bare
dist-info folder, nothing installed into the venv) is run, then browsed in `review` and judged
in `judge --human`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from oversight.log.runfolder import RunFolder
import oversight.protocol.registry as registry
from oversight.tui import views
from oversight.tui.judge_app import JudgeApp, JudgeScreen
from oversight.tui.review import ListScreen, ReviewApp
from oversight.tui.screens import HelpScreen, TranscriptScreen
from oversight.tui.session import JudgeSession
from tests.helpers.tui_runs import screen_text

ROOT = Path(__file__).resolve().parents[2]
TOY_SRC = ROOT / "tests" / "fixtures" / "toy_protocol" / "src"
SIZE = (80, 24)


def _toy_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reply: str) -> Iterator[Path]:
    """A finished toy run whose answerer always says `reply`; the toy protocol is findable in
    this process while the test runs."""
    site = tmp_path / "site"
    info = site / "toy_protocol_review-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-protocol-review\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[oversight.protocols]\ntoy = toy_protocol:ToyProtocol\n")
    (tmp_path / "items.jsonl").write_text(
        json.dumps({"id": "q1", "question": "Is the sky blue on a clear day?  \n", "reference": "Yes"}) + "\n"
        + json.dumps({"id": "q2", "question": "Say no, please.", "reference": "no"}) + "\n")
    (tmp_path / "toy.yaml").write_text(yaml.safe_dump({
        "name": "toy-review", "protocol": "toy", "task": {"path": "items.jsonl"},
        "models": {"answerer": f"scripted:const={reply}"}, "cache": False}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TOY_SRC), str(site)])}
    out = subprocess.run([sys.executable, "-m", "oversight.cli.main", "run", str(tmp_path / "toy.yaml"),
                          "--runs-dir", str(tmp_path / "runs")], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    [run] = list((tmp_path / "runs").iterdir())
    monkeypatch.syspath_prepend(str(TOY_SRC))
    known = registry._entry_points()
    toy = metadata.EntryPoint(name="toy", value="toy_protocol:ToyProtocol", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: {**known, "toy": toy})
    views.forget_protocols()
    yield run
    views.forget_protocols()


@pytest.fixture()
def toy_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from _toy_run(tmp_path, monkeypatch, " yes ")


MESSY = "[bold red]Yes[/bold red] \u2014 obviously <b>yes</b>,\x1b[2J as I said: yes"
"""A reply with Rich markup, HTML and a terminal escape (clear screen), as a model might write it."""


@pytest.fixture()
def messy_toy_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from _toy_run(tmp_path, monkeypatch, MESSY)


async def test_review_shows_the_toys_own_body_marks_and_help(toy_run: Path) -> None:
    app = ReviewApp(RunFolder.open(toy_run))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ListScreen)
        listing = screen_text(app)
        assert "q1:plain" in listing and "q2:plain" in listing
        assert "✓" in listing and "✗" in listing  # exact-match judgments, marked by the contract's default
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen)
        shown = screen_text(app)
        assert "Toy question" in shown and "Is the sky blue on a clear day?" in shown
        assert "Reply: yes" in shown and "Reference: Yes" in shown and "Grade: exact match" in shown
        assert "Outcome" not in shown  # not the generic view
        await pilot.press("n")
        await pilot.pause()
        shown = screen_text(app)
        assert "Say no, please." in shown and "Grade: no exact match" in shown
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "the toy's question, reply and reference" in screen_text(app)


async def test_judge_human_shows_the_toys_form_and_records_its_verdict(toy_run: Path) -> None:
    app = JudgeApp(JudgeSession.open(RunFolder.open(toy_run), "ann"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, JudgeScreen)
        shown = screen_text(app)
        assert "Reply to check (toy)" in shown and "Question" in shown
        assert "Reference" not in shown and "exact match" not in shown  # the grade is not for the judge to see
        unit = app.screen.unit
        assert unit is not None
        item = app.screen.session.transcripts[unit.transcript_id]["item_id"]
        await pilot.press("B", "enter", "8", "0", "enter", "enter")
        await pilot.pause()
    records = [json.loads(x) for x in (toy_run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    [mine] = [r for r in records if (r.get("judge") or {}).get("id") == "ann"]
    assert mine["says_right"] is False and mine["probability"] == 0.8
    # the scripted reply is "yes": right for q1, wrong for q2, so calling it wrong is correct only on q2
    assert mine["correct"] is (item == "q2")


async def test_judge_human_draws_the_form_body_the_toy_returns(messy_toy_run: Path) -> None:
    app = JudgeApp(JudgeSession.open(RunFolder.open(messy_toy_run), "bo"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, JudgeScreen)
        shown = screen_text(app)
        assert "Toy form: does the reply below answer the question?" in shown  # the toy's own form body
        assert "Which answer is right? Pick one below." not in shown  # not the contract's default
        # the reply as written, markup shown as text, between the toy's own marks
        assert "\u00bb [bold red]Yes[/bold red] \u2014 obviously <b>yes</b>," in shown
        assert "as I said: yes \u00ab" in shown
        assert "\x1b" not in shown and "[2J" in shown  # cleaned before the toy draws it: shown, inert


def test_the_inspect_export_scores_judgments_as_the_toy_says(toy_run: Path) -> None:
    log_api = pytest.importorskip("inspect_ai.log", reason="the inspect extra is not installed")
    from oversight.exports import export

    [path] = export(toy_run, "inspect", toy_run / "exports")
    samples = {s.id: s for s in log_api.read_eval_log(str(path)).samples}
    scores = {sid: [(score.value, score.answer) for score in s.scores.values()] for sid, s in samples.items()}
    # the scripted reply is " yes ": an exact match of q1's "Yes", not of q2's "no"
    assert scores == {"q1:plain": [(1.0, "yes")], "q2:plain": [(0.0, "yes")]}
    assert samples["q1:plain"].target == ""  # the toy gives no reference answer to the contract
