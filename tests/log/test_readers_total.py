"""Readers never crash: valid JSON of the wrong shape, and nesting far too deep, in every file a
command reads. Each bad line is skipped with a warning naming the file and line; bad input
elsewhere (a config, --set, a task file, an import) is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.log.runfolder import RunFolder
from oversight.tui.judge_app import JudgeApp
from oversight.tui.review import ReviewApp
from oversight.tui.screens import TranscriptScreen
from oversight.tui.session import JudgeSession
from tests.judging.test_rejudge import debate_run
from tests.helpers.tui_runs import screen_text

REPO = Path(__file__).resolve().parents[2]
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def transcript(run: Path) -> dict[str, Any]:
    return json.loads((run / "transcripts.jsonl").read_text().splitlines()[0])


def judgment(run: Path) -> dict[str, Any]:
    return json.loads((run / "judgments.jsonl").read_text().splitlines()[0])


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


BAD_TRANSCRIPTS = {
    "integer id": lambda t: {**t, "id": 7},
    "events a string": lambda t: {**t, "id": "bad", "events": "none"},
    "outcome a list": lambda t: {**t, "id": "bad", "outcome": [1, 2]},
    "bare id": lambda t: {"id": "bad"},
    "event a string": lambda t: {**t, "id": "bad", "events": ["hello"]},
    "content a number": lambda t: {**t, "id": "bad", "events": [{**t["events"][0], "content": 3}]},
    "input a string": lambda t: {**t, "id": "bad", "events": [{**t["events"][0], "input": "hi"}]},
    "usage tokens a string": lambda t: {**t, "id": "bad", "usage": {"input_tokens": "9", "output_tokens": 1}},
    "outcome nested 900 deep": lambda t: {**t, "id": "bad", "outcome": {"x": nested(900)}},
    "error a list": lambda t: {**t, "id": "bad", "error": ["x"]},
}
BAD_JUDGMENTS = {
    "integer transcript_id": lambda j: {**j, "transcript_id": 3},
    "judge a string": lambda j: {**j, "judge": "alice"},
    "judge kind unknown": lambda j: {**j, "judge": {"kind": "robot", "id": "x"}},
    "answer_index a string": lambda j: {**j, "answer_index": "1"},
    "p_correct a list": lambda j: {**j, "p_correct": [0.5]},
    "bare transcript_id": lambda j: {"transcript_id": j["transcript_id"]},
    "nested 900 deep": lambda j: {**j, "notes": nested(900)},
}
COMMANDS = [["report"], ["report", "--format", "json"], ["report", "--format", "csv"],
            ["report", "--format", "markdown"], ["export", "--format", "csv"], ["export", "--format", "jsonl"],
            ["export", "--format", "inspect"], ["judge", "--model", "scripted:newjudge", "--dry-run"],
            ["judge", "--model", "scripted:newjudge"], ["run", "--resume"]]


def argv(command: list[str], run: Path) -> list[str]:
    """The command on `run` (`run --resume RUN_DIR` takes it after the flag)."""
    return [*command, str(run)] if command[-1] == "--resume" else [command[0], str(run), *command[1:]]


def run_every_command(run: Path, capsys: pytest.CaptureFixture[str], file: str, line: int) -> None:
    scripted.register("newjudge", ["Final answer: B (60%)"])
    for command in COMMANDS:
        capsys.readouterr()
        code = main(argv(command, run))
        err = capsys.readouterr().err
        assert code == 0, (command, err)
        assert "Traceback" not in err and "RecursionError" not in err, (command, err)
        assert f"{run / file}: skipping line {line}" in " ".join(err.split()), (command, err)


@pytest.mark.parametrize("bad", sorted(BAD_TRANSCRIPTS))
def test_a_transcript_of_the_wrong_shape_is_skipped_by_every_command(tmp_path: Path, capsys, bad: str) -> None:  # type: ignore[no-untyped-def]
    run = debate_run(tmp_path)
    record = BAD_TRANSCRIPTS[bad](transcript(run))
    with open(run / "transcripts.jsonl", "a") as fh:
        fh.write(json.dumps(record) + "\n")
    line = len((run / "transcripts.jsonl").read_text().splitlines())
    run_every_command(run, capsys, "transcripts.jsonl", line)


@pytest.mark.parametrize("bad", sorted(BAD_JUDGMENTS))
def test_a_judgment_of_the_wrong_shape_is_skipped_by_every_command(tmp_path: Path, capsys, bad: str) -> None:  # type: ignore[no-untyped-def]
    run = debate_run(tmp_path)
    with open(run / "judgments.jsonl", "a") as fh:
        fh.write(json.dumps(BAD_JUDGMENTS[bad](judgment(run))) + "\n")
    line = len((run / "judgments.jsonl").read_text().splitlines())
    run_every_command(run, capsys, "judgments.jsonl", line)


@pytest.mark.parametrize("file", ["transcripts.jsonl", "judgments.jsonl"])
def test_a_line_nested_100000_deep_is_skipped_by_every_command(tmp_path: Path, capsys, file: str) -> None:  # type: ignore[no-untyped-def]
    run = debate_run(tmp_path)
    with open(run / file, "a") as fh:
        fh.write('{"id": "deep", "transcript_id": "deep", "x": ' + DEEP_JSON + "}\n")
    line = len((run / file).read_text().splitlines())
    scripted.register("newjudge", ["Final answer: B (60%)"])
    for command in COMMANDS:
        capsys.readouterr()
        assert main(argv(command, run)) == 0, command
        err = " ".join(capsys.readouterr().err.split())
        assert f"{run / file}: skipping unreadable line {line}" in err and "Traceback" not in err, (command, err)


# ---- the terminal UIs (Pilot) ---------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return debate_run(tmp_path)


def spoil(run: Path) -> None:
    """One bad line of each kind in both files."""
    t, j = transcript(run), judgment(run)
    with open(run / "transcripts.jsonl", "a") as fh:
        for make in BAD_TRANSCRIPTS.values():
            fh.write(json.dumps(make(t)) + "\n")
        fh.write('{"id": "deep", "x": ' + DEEP_JSON + "}\n")
    with open(run / "judgments.jsonl", "a") as fh:
        for make in BAD_JUDGMENTS.values():
            fh.write(json.dumps(make(j)) + "\n")


async def test_review_browses_a_spoiled_run_and_every_transcript(run: Path) -> None:
    spoil(run)
    warnings: list[str] = []
    app = ReviewApp(RunFolder.open(run, warn=warnings.append))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(len(app.index.entries)):
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TranscriptScreen)
            for pane in ("2", "3", "1"):
                await pilot.press(pane)
            await pilot.press("escape", "down")
            await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert "Metrics" in screen_text(app)
    assert app.return_code in (None, 0)
    # The index reads only small fields: a line whose events are bad is listed, and shown as FAILED.
    assert {e["id"] for e in app.index.entries} <= {json.loads(x)["id"] for x in
                                                    (run / "transcripts.jsonl").read_text().splitlines()[:4]} | {"bad"}
    assert any("transcripts.jsonl: skipping line" in w for w in warnings)
    assert any("judgments.jsonl: skipping line" in w for w in warnings)


async def test_review_shows_a_line_that_turns_out_bad_as_a_message(run: Path) -> None:
    t = transcript(run)
    # Small fields fine (the index takes it), events wrong: found only when the line is read whole.
    with open(run / "transcripts.jsonl", "a") as fh:
        fh.write(json.dumps({**t, "id": "late", "events": [{"type": "model", "content": {"a": 1}}]}) + "\n")
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        rows = app.screen.query_one("RowList").rows  # type: ignore[attr-defined]
        await pilot.press(*["down"] * [e["id"] for e in rows].index("late"), "enter")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert isinstance(app.screen, TranscriptScreen) and "FAILED" in text
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("content", ['{"protocol": "debate", "table": [{"judge"', "[1, 2]", "", DEEP_JSON])
async def test_review_metrics_key_on_a_broken_metrics_json_says_so(run: Path, content: str) -> None:
    (run / "metrics.json").write_text(content)
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause(0.3)
        [note] = list(app._notifications)
        assert note.title == "metrics.json" and str(run / "metrics.json") in note.message
        assert "oversight report RUN_DIR writes it again" in note.message
        await pilot.press("down", "enter")  # still browsing
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen)
    assert app.return_code in (None, 0)


async def test_judge_human_on_a_spoiled_run_judges_the_good_units(run: Path) -> None:
    spoil(run)
    warnings: list[str] = []
    session = JudgeSession.open(RunFolder.open(run, warn=warnings.append), "alice")
    app = JudgeApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.unit is not None  # type: ignore[attr-defined]
        await pilot.press("A", "enter", *"70", "enter", *"because", "ctrl+s")
        await pilot.pause()
    assert app.return_code in (None, 0)
    mine = [r for r in map(json.loads, (run / "judgments.jsonl").read_text().splitlines())
            if r.get("judge") == {"kind": "human", "id": "alice"}]
    assert len(mine) == 1 and mine[0]["transcript_id"] in {json.loads(x)["id"] for x in
                                                          (run / "transcripts.jsonl").read_text().splitlines()[:4]}
    assert any("skipping line" in w for w in warnings)


# ---- deep nesting in the inputs of a run ------------------------------------------------------


def one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "RecursionError" not in err
    errors = err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error:"), err
    return errors[0]


def test_yaml_nested_5000_levels_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    deep = "".join("  " * i + f"k{i}:\n" for i in range(5000)) + "  " * 5000 + "v\n"
    path = tmp_path / "deep.yaml"
    path.write_text(deep)
    assert len(deep.encode()) > 10_000
    for command in (["validate", str(path)], ["run", str(path), "--runs-dir", str(tmp_path / "runs")],
                    ["run", str(path), "--dry-run"]):
        assert "nested too deeply" in one_line_exit_2(capsys, command)
    flow = tmp_path / "flow.yaml"
    flow.write_text("name: x\nparams: " + "[" * 5000 + "]" * 5000 + "\n")
    assert str(flow) in one_line_exit_2(capsys, ["validate", str(flow)])
    assert not (tmp_path / "runs").exists()


def test_yaml_nested_past_the_config_limit_but_loadable_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = yaml.safe_load((REPO / "protocols" / "debate.yaml").read_text())
    config["params"]["extra"] = nested(120)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    assert "nested more than 50 levels" in one_line_exit_2(capsys, ["validate", str(path)])


@pytest.mark.parametrize("value", ["[" * 1000 + "]" * 1000, "{a: " * 1000 + "1" + "}" * 1000, "[" * 80 + "]" * 80])
def test_a_set_value_nested_deep_is_one_line(tmp_path: Path, capsys, value: str) -> None:  # type: ignore[no-untyped-def]
    exp = str(REPO / "protocols" / "debate.yaml")
    for command in (["validate", exp, "--set", f"params.rounds={value}"],
                    ["run", exp, "--dry-run", "--set", f"params.x={value}"]):
        assert "--set params." in one_line_exit_2(capsys, command)
    run = debate_run(tmp_path)
    line = one_line_exit_2(capsys, ["judge", str(run), "--model", "scripted:j", "--set", f"max_tokens={value}"])
    assert "--set max_tokens" in line
    line = one_line_exit_2(capsys, ["run", "--resume", str(run), "--set", f"max_cost_usd={value}"])
    assert "max_cost_usd" in line


@pytest.mark.parametrize("layout", ["jsonl", "array"])
def test_a_task_file_nested_100000_levels_is_one_line(tmp_path: Path, capsys, layout: str) -> None:  # type: ignore[no-untyped-def]
    good = json.loads((REPO / "tasks" / "debate_stories.jsonl").read_text().splitlines()[0])
    text = json.dumps(good)[:-1] + ', "extra": ' + DEEP_JSON + "}"
    task = tmp_path / ("tasks.jsonl" if layout == "jsonl" else "tasks.json")
    task.write_text(text + "\n" if layout == "jsonl" else "[" + text + "]")
    config = yaml.safe_load((REPO / "protocols" / "debate.yaml").read_text())
    config["task"] = {"path": str(task), "format": "native"}
    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump(config))
    for command in (["validate", str(exp)], ["run", str(exp), "--dry-run"]):
        line = one_line_exit_2(capsys, command)
        assert str(task) in line and "nested too deeply" in line


def test_an_import_nested_100000_levels_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = REPO / "tests" / "fixtures" / "nyu_debate_small.jsonl"
    first = source.read_text().splitlines()[0]
    bad = tmp_path / "nyu.jsonl"
    bad.write_text(first[:-1] + ', "extra": ' + DEEP_JSON + "}\n")
    line = one_line_exit_2(capsys, ["import", "nyu-debate", str(bad), "--runs-dir", str(tmp_path / "runs")])
    assert f"{bad}:1" in line and "nested too deeply" in line


# ---- what the framework itself writes always passes the checks ----------------------------------


def all_problems(run: Path) -> list[str]:
    from oversight.core.shapes import judgment_problem, transcript_problem
    from oversight.protocol.shapes import run_shapes

    shapes = run_shapes(RunFolder.open(run))  # the run's protocol's field types too
    found = []
    for name, check in (("transcripts.jsonl", transcript_problem), ("judgments.jsonl", judgment_problem)):
        path = run / name
        for number, raw in enumerate(path.read_text().splitlines() if path.exists() else [], start=1):
            problem = check(json.loads(raw), shapes)
            if problem:
                found.append(f"{name}:{number}: {problem}")
    return found


def test_every_protocol_run_and_rejudge_passes_the_shape_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import tui_runs
    from tests.judging.test_rejudge import critique_run

    for sub in ("d", "c", "s", "c2"):
        (tmp_path / sub).mkdir()
    runs = [tui_runs.debate_run(tmp_path / "d"), tui_runs.critique_run(tmp_path / "c"),
            tui_runs.summarize_run(tmp_path / "s"), tui_runs.rated_run(tmp_path, monkeypatch),
            critique_run(tmp_path / "c2", grader="model")]
    scripted.register("newjudge", ["Final answer: B (60%)", "1. The start year is wrong."])
    assert main(["judge", str(runs[0]), "--model", "scripted:newjudge"]) in (0, 1)
    assert main(["import", "nyu-debate", str(REPO / "tests" / "fixtures" / "nyu_debate_small.jsonl"),
                 "--runs-dir", str(tmp_path / "i")]) == 0
    runs += list((tmp_path / "i").iterdir())
    for run in runs:
        assert all_problems(run) == [], run


async def test_a_person_s_judgments_pass_the_shape_checks(run: Path) -> None:
    session = JudgeSession.open(RunFolder.open(run), "bob")
    app = JudgeApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(2):
            await pilot.press("B", "enter", *"55", "enter", *"the clock", "ctrl+s")
            await pilot.pause()
        await pilot.press("ctrl+b")  # an undo writes a retraction
        await pilot.pause()
    mine = [r for r in map(json.loads, (run / "judgments.jsonl").read_text().splitlines())
            if r.get("judge", {}).get("id") == "bob"]
    assert len(mine) >= 2 and all_problems(run) == []
