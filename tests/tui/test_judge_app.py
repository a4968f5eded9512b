"""`oversight judge RUN_DIR --human`: full sessions written to judgments.jsonl, blinding over
every screen, resume, undo, two judges, validation, rating views (Pilot at 80x24)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from textual.widgets import Input, TextArea

from oversight.cli.main import main
from oversight.log.runfolder import RunFolder
from oversight.tui.judge_app import JudgeApp, JudgeScreen
from oversight.tui.records import effective_judgments
from oversight.protocol.contract import JudgeResponse
from oversight.tui.session import JudgeSession
from tests.helpers.tui_runs import CRITIQUE, screen_text
from tests.helpers.tui_runs import critique_folder, debate_folder, rated_folder  # noqa: F401 (fixtures)

SIZE = (80, 24)
CONDITIONS = re.compile(r"\b(debate|consultancy|blind|expert|assisted|unassisted|plain|hint)\b", re.I)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def human(run: Path, judge_id: str | None = None) -> list[dict[str, Any]]:
    return [r for r in lines(run / "judgments.jsonl")
            if r["judge"]["kind"] == "human" and (judge_id is None or r["judge"]["id"] == judge_id)]


async def every_screen(app: Any, pilot: Any) -> str:
    """What the person can read now: the 80x24 screen and the whole page on a tall terminal."""
    small = screen_text(app)
    await pilot.resize_terminal(80, 400)
    await pilot.pause()
    tall = screen_text(app)
    await pilot.resize_terminal(*SIZE)
    await pilot.pause()
    return small + "\n" + tall


async def answer(pilot: Any, screen: JudgeScreen, choice: str = "A", probability: str = "70",
                 flaws: str = "The year is wrong.") -> None:
    kind = screen.unit.view.answer_kind if screen.unit else None
    if kind == "choice":
        await pilot.press(*choice, "enter", *probability, "enter")
        await pilot.press(*"because", "ctrl+s")
    elif kind == "flaws":
        await pilot.press(*flaws, "ctrl+s")
    else:
        await pilot.press("5", "enter", "6", "enter", *"ok", "ctrl+s")
    await pilot.pause()


async def judge_all(run: Path, judge_id: str, *, stop_after: int | None = None, texts: list[str] | None = None,
                    units: list[Any] | None = None) -> JudgeSession:
    session = JudgeSession.open(RunFolder.open(run), judge_id)
    app = JudgeApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JudgeScreen)
        done = 0
        while screen.unit is not None and (stop_after is None or done < stop_after):
            if texts is not None:
                texts.append(await every_screen(app, pilot))
            if units is not None:
                units.append(screen.unit)
            await answer(pilot, screen)
            done += 1
        if texts is not None:
            await pilot.press("f1")
            texts.append(screen_text(app))
            await pilot.press("escape")
            texts.append(await every_screen(app, pilot))
    return session


async def test_full_debate_session_is_written_and_blind(debate_folder: Path) -> None:
    run = debate_folder
    folder = RunFolder.open(run)
    transcripts = {t["id"]: t for t in folder.transcripts()}
    before = lines(run / "judgments.jsonl")
    texts: list[str] = []
    units: list[Any] = []
    await judge_all(run, "ann", texts=texts, units=units)
    records = human(run, "ann")
    assert lines(run / "judgments.jsonl")[: len(before)] == before  # appended, nothing edited
    assert len(records) == len(units) == 2  # two stories, one condition each
    assert len({transcripts[r["transcript_id"]]["item_id"] for r in records}) == 2
    for record, unit in zip(records, units):
        t = transcripts[record["transcript_id"]]
        assert record["judge"] == {"kind": "human", "id": "ann"} and record["attempt"] is None
        assert record["view_key"] == unit.view.key in ("original", "swapped")
        assert record["answer_index"] == record["shown_order"][0]  # typed A: the answer shown first
        assert record["correct"] == (record["answer_index"] == t["outcome"]["correct_index"])
        assert record["p_chosen"] == 0.7 and record["raw"]["comment"] == "because"
        assert record["seconds"] >= 0 and record["id"] and record["assignment"]["rank"] in (0, 1, 2, 3)
    seen = "\n".join(texts)
    model_verdicts = [j["raw"] for j in before]
    for unit in units:
        t = transcripts[unit.transcript_id]
        story = folder.get_text(t["outcome"]["story_ref"])
        first_line = story.splitlines()[0][:60]
        assert (first_line in " ".join(seen.split())) == (t["condition"] == "expert")
        assert t["id"] not in seen
    assert not CONDITIONS.search(seen), CONDITIONS.search(seen)
    assert "correct" not in seen.lower() and "scripted" not in seen and "model" not in seen.lower()
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", seen)  # no timestamps
    assert not any(raw in seen for raw in model_verdicts)


async def test_critique_units_hide_critiques_when_unassisted(critique_folder: Path) -> None:
    run = critique_folder
    transcripts = {t["id"]: t for t in RunFolder.open(run).transcripts()}
    shown: dict[str, str] = {}
    for judge_id in ("ann", "bob"):
        texts: list[str] = []
        units: list[Any] = []
        await judge_all(run, judge_id, texts=texts, units=units)
        for unit, text in zip(units, texts):
            shown[f"{judge_id}/{unit.transcript_id}"] = " ".join(text.split())
        assert not CONDITIONS.search("\n".join(texts))
    for key, text in shown.items():
        condition = transcripts[key.split("/", 1)[1]]["condition"]
        assert (CRITIQUE in text) == (condition == "assisted"), key
    ann, bob = human(run, "ann"), human(run, "bob")
    assert len(ann) == len(bob) == 2
    # two people spread over the conditions: each item seen once assisted, once unassisted
    by_item: dict[str, set[str]] = {}
    for r in ann + bob:
        by_item.setdefault(transcripts[r["transcript_id"]]["item_id"], set()).add(r["condition"])
    assert all(conds == {"assisted", "unassisted"} for conds in by_item.values())
    assert all(r["flaws_reported"] == ["The year is wrong."] and r["graded"] for r in ann + bob), [(r["flaws_reported"], r["graded"]) for r in ann + bob]


async def test_resume_after_quitting_midway(debate_folder: Path) -> None:
    run = debate_folder
    first: list[Any] = []
    await judge_all(run, "cat", stop_after=1, units=first)
    assert len(human(run, "cat")) == 1
    session = JudgeSession.open(RunFolder.open(run), "cat")
    assert [(u.transcript_id, u.view.key) for u in session.units][0] == (first[0].transcript_id, first[0].view.key)
    rest: list[Any] = []
    await judge_all(run, "cat", units=rest)
    assert [u.transcript_id for u in rest] == [u.transcript_id for u in session.units[1:]]
    assert len({r["transcript_id"] for r in human(run, "cat")}) == len(session.units) == len(human(run, "cat"))


async def test_undo_supersedes_and_shows_the_unit_again(debate_folder: Path) -> None:
    run = debate_folder
    session = JudgeSession.open(RunFolder.open(run), "dan")
    app = JudgeApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JudgeScreen)
        await answer(pilot, screen, choice="A")
        assert "saved; ctrl+b undoes it" in screen_text(app)  # on the status line, not a toast over it
        second = screen.unit
        assert second is not None
        await answer(pilot, screen, choice="B")
        assert screen.unit is None and "All done" in screen_text(app)
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert screen.unit is not None and screen.unit.transcript_id == second.transcript_id
        assert "withdrawn" in screen_text(app) and "your answer is back in the form" in screen_text(app)
        # the answer as confirmed, to change one detail: the letter, keeping the rest
        assert [screen.query_one(f"#{b}", Input).value for b in ("choice", "probability", "comment")] == ["B", "70", "because"]
        await pilot.press("backspace", "A", "ctrl+s")
        await pilot.pause()
    records = human(run, "dan")
    assert records[3]["raw"]["comment"] == "because" and records[3]["raw"]["probability"] == 0.7
    assert len(records) == 4
    undone, retraction = records[1], records[2]
    assert retraction["retracted"] is True and retraction["supersedes"] == undone["id"]
    assert undone["shown_order"][1] == undone["answer_index"]  # the B that was undone, kept as written
    standing = effective_judgments(lines(run / "judgments.jsonl"))
    mine = [r for r in standing if r["judge"]["id"] == "dan"]
    assert [r["id"] for r in mine] == [records[0]["id"], records[3]["id"]]
    assert all(r["answer_index"] == r["shown_order"][0] for r in mine)


async def test_bad_input_is_explained_and_writes_nothing(debate_folder: Path) -> None:
    run = debate_folder
    app = JudgeApp(JudgeSession.open(RunFolder.open(run), "eve"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("C", "ctrl+s")
        assert "type the letter of your answer (A or B)" in screen_text(app)
        await pilot.press("backspace", "A", "enter", "3", "0", "ctrl+s")
        assert "goes from 50 to 100" in screen_text(app)
    assert human(run, "eve") == []


async def test_rating_views_take_each_scale(rated_folder: Path) -> None:
    run = rated_folder
    units: list[Any] = []
    texts: list[str] = []
    await judge_all(run, "fay", units=units, texts=texts)
    records = human(run, "fay")
    assert len(records) == 3 and all(r["faithfulness"] == 5 and r["coverage"] == 6 for r in records)
    assert all(r["comment"] == "ok" and r["view_key"] == "node:0" for r in records)
    assert all(f"QUESTION-{u.transcript_id.split(':')[0]}" in t for u, t in zip(units, texts))


def test_cli_needs_a_judge_id_and_a_judge_kind(debate_folder: Path, capsys: Any) -> None:
    assert main(["judge", str(debate_folder), "--human"]) == 2
    assert "--judge-id NAME" in capsys.readouterr().err
    assert main(["judge", str(debate_folder)]) == 2
    err = capsys.readouterr().err
    assert "--model SPEC" in err and "--human --judge-id NAME" in err


async def test_an_empty_flaw_list_needs_a_second_confirmation(critique_folder: Path) -> None:
    run = critique_folder
    app = JudgeApp(JudgeSession.open(RunFolder.open(run), "gus"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert "ctrl+s again if you found none" in screen_text(app) and human(run, "gus") == []
        await pilot.press("ctrl+s")
        await pilot.pause()
    [record] = human(run, "gus")
    assert record["flaws_reported"] == [] and record["recall"] == 0.0


def test_a_person_never_gets_a_second_condition_of_an_item_as_more_transcripts_finish(debate_folder: Path) -> None:
    folder = RunFolder.open(debate_folder)
    everything = [t for t in folder.transcripts() if not t.get("error")]
    first = JudgeSession.open(folder, "alice")
    for item in sorted({t["item_id"] for t in everything}):
        # Alice starts while one item's transcripts (or one expert unit) are not finished yet.
        partial = [t for t in everything if t["item_id"] != item]
        early = JudgeSession(folder, f"alice-{item}", first.protocol, first.params, partial)
        seen: dict[str, set[str]] = {}
        for unit in early.units:
            early.record(unit, JudgeResponse(choice=0, probability=0.7), 1.0)
            t = early.transcripts[unit.transcript_id]
            seen.setdefault(t["item_id"], set()).add(t["condition"])
        later = JudgeSession(folder, f"alice-{item}", first.protocol, first.params, everything)
        for unit in later.pending():
            t = later.transcripts[unit.transcript_id]
            assert t["item_id"] not in seen, (t["item_id"], t["condition"], seen[t["item_id"]])


async def test_labels_stay_and_a_fixed_mistake_clears_its_message(debate_folder: Path) -> None:
    """Typing replaces a placeholder, never the label beside the box; a message about what to fix
    goes once the person types again."""
    from oversight.log.runfolder import RunFolder
    from oversight.tui.judge_app import JudgeApp
    from oversight.tui.session import JudgeSession
    from tests.helpers.tui_runs import screen_text

    app = JudgeApp(JudgeSession.open(RunFolder.open(debate_folder), "ann"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause(0.3)
        assert "judging plan" in screen_text(app)  # how many judges cover the design, before the first answer
        await pilot.press("X", "ctrl+s")
        await pilot.pause()
        assert "type the letter of your answer" in screen_text(app)
        await pilot.press("backspace", "A")
        await pilot.pause()
        shown = screen_text(app)
        assert "type the letter of your answer" not in shown
        await pilot.press("enter", *"70")
        await pilot.pause()
        shown = screen_text(app)
        assert "answer A/B" in shown and "sure, %" in shown and "why" in shown


async def test_quitting_with_a_typed_answer_asks_once(debate_folder: Path) -> None:
    """ctrl+q with an answer typed but not confirmed warns and stays; a second ctrl+q quits and
    nothing is written; with an empty form one ctrl+q quits."""
    app = JudgeApp(JudgeSession.open(RunFolder.open(debate_folder), "ann"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("B", "enter", *"65", "ctrl+q")
        await pilot.pause()
        assert app.is_running
        assert "not confirmed" in screen_text(app)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running and app.failure is None
    assert human(debate_folder) == []

    app = JudgeApp(JudgeSession.open(RunFolder.open(debate_folder), "ann"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("A", "ctrl+q")
        await pilot.pause()
        assert app.is_running
        await pilot.press("backspace", "ctrl+q")  # typing after the warning: the form is empty again
        await pilot.pause()
    assert not app.is_running


def test_the_plan_from_view_keys_is_the_plan_from_built_views(debate_folder: Path, monkeypatch: Any) -> None:
    """Units are planned from the protocol's view keys and their views built when shown: the
    same units, the same drawn answer order and the same views as building every view upfront."""
    from oversight.protocols.debate import DebateProtocol

    lazy = JudgeSession.open(RunFolder.open(debate_folder), "ann")
    monkeypatch.setattr(DebateProtocol, "view_keys", lambda self, t, p: None)
    eager = JudgeSession.open(RunFolder.open(debate_folder), "ann")
    key = [(u.transcript_id, u.part, u.view_key) for u in lazy.units]
    assert key == [(u.transcript_id, u.part, u.view_key) for u in eager.units]
    assert [u.view for u in lazy.units] == [u.view for u in eager.units]


def test_view_keys_that_name_a_view_not_built_is_one_line(debate_folder: Path, monkeypatch: Any) -> None:
    from oversight.core.errors import UserError
    from oversight.protocols.debate import DebateProtocol

    monkeypatch.setattr(DebateProtocol, "view_keys", lambda self, t, p: ["sideways"])
    session = JudgeSession.open(RunFolder.open(debate_folder), "ann")
    try:
        session.units[0].view
    except UserError as exc:
        assert "view_keys" in str(exc) and "sideways" in str(exc) and "\n" not in str(exc)
    else:
        raise AssertionError("a view key with no view was accepted")


async def test_an_undone_list_of_flaws_or_ratings_comes_back_in_the_form(critique_folder: Path, rated_folder: Path) -> None:
    for run, expected in ((critique_folder, "flaws"), (rated_folder, "ratings")):
        app = JudgeApp(JudgeSession.open(RunFolder.open(run), "fay"))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, JudgeScreen)
            await answer(pilot, screen, flaws="The year is wrong.")
            await pilot.press("ctrl+b")
            await pilot.pause()
            if expected == "flaws":
                assert screen.query_one("#flaws", TextArea).text == "The year is wrong."
            else:
                boxes = [b.value for b in screen.query("#form Input").results(Input)]
                assert boxes[:2] == ["5", "6"] and boxes[-1] == "ok"
