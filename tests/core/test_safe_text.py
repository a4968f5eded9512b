"""Text that is not ours never drives the terminal and is never read as Rich markup: model answers,
task text, judge ids, paths and config values in the review and judging UIs (Pilot, asserting on
the screen and on the exact bytes Textual would write), the report's tables and the CLI's lines."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, strategies as st

from oversight.cli import main as cli

from oversight.cli import judge as cli_judge
from oversight.cli import console as cli_console
from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.log.runfolder import RunFolder
from oversight.core.safe_text import SafeConsole, clean, clean_deep, line, markup, text
from oversight.tui.judge_app import JudgeApp, JudgeScreen
from oversight.tui.records import human_judgment
from oversight.tui.review import ReviewApp
from oversight.tui.session import JudgeSession
from tests.helpers.tui_runs import ROOT, screen_text

# A model (or a task file, or a person's id) trying to set the title, clear the screen, colour
# text, draw a hyperlink (OSC 8), move the cursor with a one-byte C1 CSI, and open Rich markup.
EVIL = ("\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\x9b2J\x08\rX \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ "
        "[link=http://evil.example]x[/link] [/oops] [bold]bold[/bold]")
FOREIGN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OURS = re.compile(r"\x1b\[[0-9;:]*[mH]")
"""What Textual itself writes: colours (SGR) and cursor positions."""


def terminal_bytes(app: Any) -> str:
    """The exact sequence Textual writes to the terminal for a full redraw of the screen now."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return update.render_segments(app.console)


def assert_inert(app: Any) -> str:
    """No control character reaches the terminal except Textual's own colours and moves; the
    injected text is on screen, shown literally. Returns the screen text."""
    raw = terminal_bytes(app)
    for payload in ("\x1b]0;PWNED", "\x1b[2J", "\x1b[31mred", "\x9b", "\x1b]8;", "\x07", "\x08"):
        assert payload not in raw
    assert not FOREIGN.findall(OURS.sub("", raw))
    return screen_text(app)


# ---- the helper ---------------------------------------------------------------------------


def test_clean_shows_each_control_as_one_visible_character() -> None:
    assert clean("a\x1b[2Jb\x07\x9b\rc\x7f") == "a␛[2Jb␇\ufffd␍c␡"
    assert clean("line one\n\tline two") == "line one\n\tline two"
    assert clean("one\nline\t!", one_line=True) == "one␊line␉!"
    assert clean("left \u202eright\u2066") == "left \ufffdright\ufffd"  # direction overrides reorder text
    assert clean(42) == "42"
    plain = "Debater A: “the story says” — naïve café 中文 🙂"
    assert clean(plain) == plain and clean(plain, one_line=True) == plain


@given(st.text())
def test_clean_is_total_length_preserving_and_idempotent(s: str) -> None:
    for one_line in (False, True):
        out = clean(s, one_line=one_line)
        assert len(out) == len(s)  # quote spans into a cleaned story still hold
        assert not FOREIGN.search(out.replace("\n", "").replace("\t", "") if not one_line else out)
        assert clean(out, one_line=one_line) == out
        changed = FOREIGN.pattern[:-1] + "\u202a-\u202e\u2066-\u2069" + ("\n\t]" if one_line else "]")
        assert all(a == b for a, b in zip(s, out) if not re.match(changed, a))  # the rest is untouched


def test_clean_deep_cleans_keys_and_values_and_keeps_the_rest() -> None:
    data = {"id\x1b": ["a\x1b", {"n": 1, "f": 0.5, "b": True, "z": None}], "t": ("x\x07",)}
    assert clean_deep(data) == {"id␛": ["a␛", {"n": 1, "f": 0.5, "b": True, "z": None}], "t": ("x␇",)}


def rendered(renderable: Any) -> str:
    console = SafeConsole(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=200)
    console.print(renderable, highlight=False)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_text_line_and_markup_never_interpret_foreign_markup() -> None:
    for shown in (rendered(text(EVIL)), rendered(line(("error:", "red"), " ", EVIL)),
                  rendered(f"[bold]{markup(EVIL)}[/bold]")):
        assert "\x1b]8;" not in shown and "[link=http://evil.example]x[/link]" in shown and "[/oops]" in shown
        assert "\x1b]0;PWNED" not in shown and "␛]0;PWNED" in shown
        assert not FOREIGN.findall(OURS.sub("", shown).replace("\n", ""))


def test_safe_console_cleans_plain_strings_too() -> None:
    shown = rendered("\x1b]0;PWNED\x07 plain")
    assert "\x1b]0;" not in shown and "␛]0;PWNED␇ plain" in shown


# ---- runs with foreign text everywhere ------------------------------------------------------


def evil_debate(tmp_path: Path, *, status: int = 1) -> Path:
    """A debate run whose task (title, story, question, answers, id), debaters and judge all carry
    EVIL, and whose consultant fails with an error quoting it."""
    record = json.loads((ROOT / "tasks" / "debate_stories.jsonl").read_text().splitlines()[0])
    record.update(id="salt" + EVIL[:12], title=f"Title {EVIL}", question=f"{record['question']} {EVIL}",
                  story=f"{EVIL}\n{record['story']}")
    record["answers"] = [f"{a} {EVIL}" for a in record["answers"]]
    (tmp_path / "stories.jsonl").write_text(json.dumps(record) + "\n")
    exp = yaml.safe_load((ROOT / "protocols" / "debate.yaml").read_text())
    exp["task"] = {"path": "stories.jsonl"}
    exp.update(limit=1, cache=False)
    exp["params"].update(rounds=1, judge_kind="model")
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    scripted.register("evil_debater", lambda m: f"I argue this. <quote>Ines Arrow</quote> {EVIL}")
    scripted.register("evil_judge", lambda m: f"Answer: A, 70% {EVIL}")
    scripted.register("evil_consultant", [ProviderError(f"HTTP 500: {EVIL}", retryable=False)])
    args = ["run", str(tmp_path / "exp.yaml"), "--runs-dir", str(tmp_path / "runs"),
            "--model", "debater_a=scripted:evil_debater", "--model", "debater_b=scripted:evil_debater",
            "--model", "consultant=scripted:evil_consultant", "--model", "judge=scripted:evil_judge"]
    assert main(args) == status
    [run] = list((tmp_path / "runs").iterdir())
    return run


@pytest.fixture
def evil_run(tmp_path: Path) -> Path:
    return evil_debate(tmp_path)


async def test_review_shows_foreign_text_literally_on_every_tab(evil_run: Path) -> None:
    folder = RunFolder.open(evil_run)
    for t in folder.transcripts():
        folder.append_judgment(human_judgment(t["id"], EVIL, {"choice": 0, "probability": 0.7, "correct": True,
                                                              "invalid": False, "raw": EVIL}))
    app = ReviewApp(RunFolder.open(evil_run))
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        assert "␛" in assert_inert(app)  # the ids in the list
        await pilot.press("J")  # filter by a judge: its id is in the filter line
        await pilot.pause()
        assert "human/␛]0;PWNED␇" in assert_inert(app)
        await pilot.press("c")
        await pilot.pause()
        while True:  # open each transcript, every tab
            await pilot.press("enter")
            await pilot.pause()
            seen = assert_inert(app)
            assert "Title" in seen or "Question" in seen
            for tab in ("2", "3"):
                await pilot.press(tab)
                await pilot.pause()
                seen = assert_inert(app)
                if tab == "2":
                    assert "␛]0;PWNED␇" in seen and "[/oops]" in seen and "[link=http://evil.example]x[/link]" in seen
            await pilot.press("i")
            await pilot.pause()
            assert "␛[2J" in assert_inert(app)
            await pilot.press("escape")
            await pilot.press("s")
            await pilot.pause()
            assert "␛]0;PWNED" in assert_inert(app)  # the story
            await pilot.press("escape", "escape")
            await pilot.pause()
            break
        await pilot.press("m")
        await pilot.pause()
        assert_inert(app)


async def test_a_failed_call_quoting_foreign_text_shows_it_inert_in_calls(evil_run: Path) -> None:
    folder = RunFolder.open(evil_run)
    failed = [i for i, t in enumerate(folder.transcript_index()) if t.get("error")]
    assert failed
    app = ReviewApp(RunFolder.open(evil_run))
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        await pilot.press(*["down"] * failed[0], "enter", "3")
        await pilot.pause()
        seen = assert_inert(app)
        assert "unit failed" in seen and "HTTP 500: ␛]0;PWNED␇" in seen


async def test_judging_ui_shows_speeches_inert_and_takes_a_markup_judge_id(evil_run: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(40):  # an id whose unit is the debate (its speeches), not a judge-only baseline
        judge_id = f"[/oops] [link=http://evil.example]x[/link] {n}"
        session = JudgeSession.open(RunFolder.open(evil_run), judge_id)
        if "transcript" in session.units[0].view.variables:
            break
    app = JudgeApp(session)
    async with app.run_test(size=(100, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JudgeScreen)
        await pilot.resize_terminal(100, 300)
        await pilot.pause()
        seen = assert_inert(app)
        assert judge_id in seen
        assert "I argue this" in seen and "␛[2J" in seen and "Why did the harbour clock stop? ␛]0;PWNED␇" in seen
        await pilot.press("A", "enter", *"70", "enter", *"x", "ctrl+s")
        await pilot.pause()
        assert "All done" in assert_inert(app)
        await pilot.press("ctrl+q")
    # then `report` shows the person's id literally, no hyperlink, no traceback
    out, _ = capture(monkeypatch)
    assert main(["report", str(evil_run)]) == 0
    shown = out.getvalue()
    assert judge_id in shown and "\x1b]8;" not in shown
    assert not FOREIGN.findall(OURS.sub("", shown).replace("\n", ""))


def capture(monkeypatch: pytest.MonkeyPatch) -> tuple[io.StringIO, io.StringIO]:
    """The CLI's consoles on a colour terminal, so a hyperlink or an escape would show in the bytes."""
    out, err = io.StringIO(), io.StringIO()
    for module in (cli, cli_console, *cli.COMMANDS.values()):  # each command module holds its consoles by name
        for name, file in (("console", out), ("err_console", err)):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, SafeConsole(file=file, force_terminal=True, color_system="truecolor", width=300))
    return out, err


def test_judge_human_cli_prints_a_markup_judge_id_on_quit(evil_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = capture(monkeypatch)
    monkeypatch.setattr(JudgeApp, "run", lambda self: None)  # the person quits at once
    assert main(["judge", str(evil_run), "--human", "--judge-id", "[/oops]"]) == 0
    assert "[/oops]: 0 of" in out.getvalue()


def test_report_table_shows_judge_ids_literally(evil_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = RunFolder.open(evil_run)
    for jid in ("[/oops]", "[link=http://evil.example]x[/link]", "id\x1b]0;PWNED\x07"):
        for t in folder.transcripts():
            folder.append_judgment(human_judgment(t["id"], jid, {"choice": 0, "probability": 0.7, "correct": True,
                                                                 "invalid": False}))
    out, err = capture(monkeypatch)
    assert main(["report", str(evil_run)]) == 0
    shown = out.getvalue()
    assert "human/[/oops]" in shown and "human/[link=http://evil.example]x[/link]" in shown
    assert "human/id␛]0;PWNED␇" in shown
    assert "\x1b]8;" not in shown and "\x1b]0;" not in shown
    assert not FOREIGN.findall(OURS.sub("", shown).replace("\n", ""))
    for fmt in ("markdown", "csv", "json"):
        out.truncate(0)
        assert main(["report", str(evil_run), "--format", fmt]) == 0
        assert "\x1b]0;" not in out.getvalue() and "\x1b]8;" not in out.getvalue()


def test_validate_a_path_with_markup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "exp["
    folder.mkdir()
    exp = yaml.safe_load((ROOT / "protocols" / "debate.yaml").read_text())
    exp["task"] = {"path": str(ROOT / "tasks" / "debate_stories.jsonl")}
    exp["models"] = {k: "scripted:echo" for k in exp["models"]}
    (folder / "x].yaml").write_text(yaml.safe_dump(exp))
    out, err = capture(monkeypatch)
    assert main(["validate", str(folder / "x].yaml")]) == 0
    assert f"ok: {folder / 'x].yaml'}" in out.getvalue()
    assert main(["validate", str(tmp_path / "[/x]" / "y[/b].yaml")]) == 2  # a missing file: one line
    assert "[/x]/y[/b].yaml" in err.getvalue() and "Traceback" not in err.getvalue()


def test_set_values_with_markup_and_escapes_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = capture(monkeypatch)
    debate = str(ROOT / "protocols" / "debate.yaml")
    assert main(["validate", debate, "--set", "name=bad[/b]"]) == 2
    assert main(["validate", debate, "--set", "nam\x1b]0;T\x07e[/x]=1"]) == 2
    assert main(["run", debate, "--set", "name=bad[/b]", "--dry-run"]) == 2
    shown = err.getvalue()
    assert "bad[/b]" in shown and "nam␛]0;T␇e[/x]" in shown
    assert "\x1b]0;" not in shown and len(shown.strip().splitlines()) == 3


def test_progress_takes_a_name_with_markup() -> None:
    """The progress bar's description is a markup template: a name from the YAML is escaped."""
    from oversight.cli.progress import RichProgress

    console = SafeConsole(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=200)
    progress = RichProgress(console)
    progress.started("\x1b]0;T\x07[/x][link=http://e]y[/link]", 1)  # the bar shows its first 18 cells
    progress.finished()
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "␛]0;T␇[/x][link=h…" in shown and "\x1b]8;" not in shown and "\x1b]0;" not in shown


def test_a_judge_id_with_control_characters_is_refused_at_the_door(evil_run: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = capture(monkeypatch)
    for flags in (["--human"], ["--model", "scripted:evil_judge"]):
        assert main(["judge", str(evil_run), *flags, "--judge-id", "me\x1b]0;PWNED\x07"]) == 2
    shown = err.getvalue()
    assert shown.count("--judge-id 'me␛]0;PWNED␇'") == 2 and "\x1b]0;" not in shown
    ids = {json.loads(x)["judge"]["id"] for x in (evil_run / "judgments.jsonl").read_text().splitlines()}
    assert not any(i.startswith("me") for i in ids)


async def test_markup_in_a_transcripts_fields_is_shown_literally_in_calls(evil_run: Path) -> None:
    """A transcript is data (a shared or edited run folder): its step names, models and usage
    cells are never read as markup either."""
    path = evil_run / "transcripts.jsonl"
    records = [json.loads(x) for x in path.read_text().splitlines()]
    for record in records:
        for event in record["events"]:
            if event.get("type") == "model":
                event.update(step="[link=http://evil.example]s[/link] [/oops]", model="[/x] m")
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    app = ReviewApp(RunFolder.open(evil_run))
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "3")
        await pilot.pause()
        seen = assert_inert(app)
        assert "[link=http://evil.example]s[/link] [/oops]" in seen and "models: [/x] m" in seen
        await pilot.press("i")
        await pilot.pause()
        assert "[/x] m" in assert_inert(app)
