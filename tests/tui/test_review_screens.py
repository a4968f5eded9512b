"""What a researcher meets in `oversight review` at 80x24: footers that fit, a verdict filter
that agrees with the headline accuracy, marks that say whose they are, search over the story,
every call's prompt in full, and a metrics page without Python reprs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oversight.log.runfolder import RunFolder
from oversight.models.types import Message
from oversight.tui.records import human_judgment
from oversight.tui.review import ListScreen, ReviewApp
from oversight.tui.screens import PageScreen, TranscriptScreen
from tests.helpers.tui_runs import debate_run, rated_folder, screen_text  # noqa: F401 (fixture)
from tests.tui.test_review import SIZE, full_text, open_transcript, shown_ids



def length_judge(messages: list[Message]) -> str:
    """Always "A" (position bias, as small models show), surer when A is the longer answer: its
    two answer orders disagree, while their average still leans one way, never a tie."""
    prompt = messages[-1].content
    a = re.search(r"^A: (.*)$", prompt, re.M)
    b = re.search(r"^B: (.*)$", prompt, re.M)
    longer = a is not None and b is not None and len(a.group(1)) >= len(b.group(1))
    return "A, 90%" if longer else "A, 60%"


@pytest.fixture
def biased_folder(tmp_path: Path) -> Path:
    return debate_run(tmp_path, limit=4, rounds=1, judge=length_judge)


async def test_footers_fit_80_columns(biased_folder: Path) -> None:
    app = ReviewApp(RunFolder.open(biased_folder))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        for key in ("q quit", "? help", "v verdict", "/ search", "m metrics"):
            assert key in footer, footer
        await open_transcript(app, pilot, shown_ids(app)[0])
        footer = screen_text(app).splitlines()[-1]
        for key in ("esc back", "1 view", "3 calls", "s text", "o quotes", "i i/o"):
            assert key in footer, footer
        await pilot.press("question_mark")
        assert "n / p: next / previous" in screen_text(app)


async def test_verdict_filter_counts_what_the_headline_counts(biased_folder: Path) -> None:
    """The oracle is metrics.json: per condition, the transcripts `correct` shows are the
    accuracy's k (order-averaged verdicts), although each shows one ✓ and one ✗."""
    metrics = json.loads((biased_folder / "metrics.json").read_text())
    app = ReviewApp(RunFolder.open(biased_folder))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        marks = {e["id"]: app.screen.index.marks(e) for e in app.screen.index.entries}  # type: ignore[attr-defined]
        assert all(sorted(m[:2]) == ["✓", "✗"] for m in marks.values())  # every transcript: the orders disagree
        await pilot.press("v")
        correct = shown_ids(app)
        await pilot.press("v")
        incorrect = shown_ids(app)
    assert not set(correct) & set(incorrect) and len(correct) + len(incorrect) == len(marks)
    # the score after "=" is what the filter read, so the list says why a row is in or out
    assert {t for t, m in marks.items() if m.endswith("=✓")} == set(correct)
    assert {t for t, m in marks.items() if m.endswith("=✗")} == set(incorrect)
    for condition, by_judge in metrics["conditions"].items():
        [acc] = [judge["accuracy"] for judge in by_judge.values()]
        assert all(judge["ties"] == 0 for judge in by_judge.values())
        shown = [t for t in correct if t.endswith(f":{condition}")]
        assert len(shown) == acc["k"], (condition, shown, acc)
    assert 0 < len(correct) < len(marks)  # the design splits the run both ways


def test_three_people_and_a_tied_run_judge(tmp_path: Path) -> None:
    """Three people judge a debate run whose own scripted judge says "A, 70%" in both answer
    orders: its order-averaged verdict is a tie on every transcript, so with every judge shown no
    transcript has every judge right (0 of 3, though all three people got one right); the marks
    show the tie ("=½"), and one person's filter shows that person's right ones."""
    from oversight.protocol.contract import JudgeResponse
    from oversight.tui.index import Filters, RunIndex
    from oversight.tui.session import JudgeSession

    from oversight.cli.main import main
    from oversight.models.providers import scripted
    from tests.helpers.tui_runs import ROOT, debater

    scripted.register("debater", debater)
    scripted.register("judge", lambda messages: "Answer: A, 70%")
    args = ["run", str(ROOT / "protocols" / "debate.yaml"), "--runs-dir", str(tmp_path), "--limit", "3",
            "--set", "params.judge_kind=model", "--set", "params.rounds=1", "--set", "cache=false",
            "--set", "params.conditions=[debate]", "--model", "judge=scripted:judge"]
    for role in ("debater_a", "debater_b"):
        args += ["--model", f"{role}=scripted:debater"]
    assert main(args) == 0
    [run] = list(tmp_path.iterdir())
    rights = {json.loads(x)["answers"][json.loads(x)["correct_index"]]
              for x in (ROOT / "tasks" / "debate_stories.jsonl").read_text().splitlines()}
    right_by: dict[str, set[str]] = {}
    for n, name in enumerate(["ana", "bo", "cy"]):  # ana right on all three
        session = JudgeSession.open(RunFolder.open(run), name)
        for unit in session.pending():
            right = next(i for i, c in enumerate(unit.view.choices) if c.strip() in rights)
            wrong = unit.transcript_id == sorted(session.transcripts)[n]  # each person wrong on another one
            pick = 1 - right if wrong and name != "ana" else right
            session.record(unit, JudgeResponse(choice=pick, probability=0.8), 2.0)
            if pick == right:
                right_by.setdefault(f"human/{name}", set()).add(unit.transcript_id)
    index = RunIndex.open(RunFolder.open(run))
    debate = [e for e in index.entries if e["condition"] == "debate"]
    every = Filters(verdict="correct", condition="debate")
    assert len(debate) == 3 and index.select(every) == []
    run_judge = "model/model:scripted:judge"
    assert all(index.marks(e).endswith("=½") and index.marks(e, run_judge).endswith("=½") for e in debate)
    everyone_right = {e["id"] for e in debate if all(e["id"] in right_by[j] for j in right_by)}
    assert everyone_right  # some transcripts every person got right: only the run's judge keeps them out
    for person, ids in right_by.items():
        shown = {e["id"] for e in index.select(Filters(verdict="correct", judge=person))}
        assert shown == ids, person


async def test_marks_come_in_one_group_per_judge(biased_folder: Path) -> None:
    folder = RunFolder.open(biased_folder)
    first = folder.transcripts()[0]["id"]
    folder.append_judgment(human_judgment(first, "me", {"answer_index": 0, "correct": True, "order": "original"}))
    app = ReviewApp(RunFolder.open(biased_folder))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ListScreen)
        rows = {e["id"]: screen.index.marks(e) for e in screen.index.entries}
        judges = screen.index.judges()
        assert judges == ["human/me", "model/model:scripted:judge"]
        model_marks = {e["id"]: screen.index.marks(e, "model/model:scripted:judge") for e in screen.index.entries}
        assert rows[first] == f"✓ {model_marks[first]}"
        assert all(m == f"· {model_marks[t]}" for t, m in rows.items() if t != first)
        text = screen_text(app)
        assert "marks by judge: 1) human/me  2) model/model:scripted:judge" in text and "· ✓✗" in text
        await pilot.press("J")  # one judge: its marks alone, no legend
        assert "marks by judge" not in screen_text(app)
        assert shown_ids(app) == [first] and screen.filters.judge == "human/me"
        assert f"{first.split(':')[0]}" in screen_text(app) and "✓ ✓" not in screen_text(app)


async def test_search_covers_the_story(biased_folder: Path) -> None:
    """A word of one story that no transcript line holds (stories are stored once, in texts.jsonl)."""
    folder = RunFolder.open(biased_folder)
    transcripts = folder.transcripts()
    lines = (biased_folder / "transcripts.jsonl").read_text().lower()
    stories = {t["id"]: folder.get_text(t["outcome"]["story_ref"]).lower() for t in transcripts}
    word = next(w for w in sorted(set(re.findall(r"[a-z]{6,}", " ".join(stories.values()))))
                if w not in lines and 0 < sum(w in s for s in set(stories.values())) < len(set(stories.values())))
    with_word = {t for t, story in stories.items() if word in story}
    app = ReviewApp(folder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *word.upper(), "enter")
        assert set(shown_ids(app)) == with_word


async def test_call_details_show_the_story_in_every_prompt(biased_folder: Path) -> None:
    folder = RunFolder.open(biased_folder)
    debate = next(t for t in folder.transcripts() if t["condition"] == "debate")
    story = folder.get_text(debate["outcome"]["story_ref"])
    app = ReviewApp(folder)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_transcript(app, pilot, debate["id"])
        assert isinstance(screen, TranscriptScreen)
        await pilot.press("i")
        assert isinstance(app.screen, PageScreen)
        shown = await full_text(app, pilot)
    debater_calls = [e for e in debate["events"] if e.get("type") == "model" and e["role"].startswith("debater")]
    opening = " ".join(story.split()[:40])
    assert shown.count(opening) >= len(debater_calls) >= 2


async def test_metrics_page_reads_as_data_not_python(biased_folder: Path) -> None:
    app = ReviewApp(RunFolder.open(biased_folder))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        shown = await full_text(app, pilot)
    assert "accuracy" in shown and "ci_method: wilson" in shown
    for repr_only in ("None", "': ", "{'", "True,", "False,"):
        assert repr_only not in shown, repr_only


async def test_story_and_quote_keys_only_where_the_transcript_has_them(rated_folder: Path) -> None:
    app = ReviewApp(RunFolder.open(rated_folder))
    async with app.run_test(size=SIZE) as pilot:
        await open_transcript(app, pilot, shown_ids(app)[0])
        footer = screen_text(app).splitlines()[-1]
        assert "s text" not in footer and "o quotes" not in footer and "i i/o" in footer


def test_help_lines_wrap_under_their_key_and_keep_every_word() -> None:
    from hypothesis import given, strategies as st

    from oversight.tui.screens import hang

    words = st.text(alphabet="abcdefghij/+", min_size=1, max_size=12)

    @given(st.lists(st.tuples(st.sampled_from(["", "  "]), st.sampled_from(["s", "tab / shift+tab", "ctrl+q"]),
                              st.lists(words, min_size=1, max_size=30)), min_size=1, max_size=6))
    def check(lines: list[tuple[str, str, list[str]]]) -> None:
        page = "\n".join(f"{lead}{key}: {' '.join(ws)}" for lead, key, ws in lines)
        shown = hang(page, 40).splitlines()
        assert all(len(ln) <= 40 for ln in shown)
        assert " ".join(page.split()) == " ".join(" ".join(shown).split())  # no word lost or split
        for ln in shown:  # a continuation starts under the text after its key, never at the margin
            if not any(ln.startswith(f"{lead}{key}: ") for lead, key, _ in lines):
                assert ln.startswith("   ")

    check()


@pytest.fixture
def tied_folder(tmp_path: Path) -> Path:
    """The same confidence for the first-shown answer in both orders: every transcript's
    order-averaged verdict is 0.5, a tie, which metrics.json counts in `ties`."""
    return debate_run(tmp_path, limit=2, rounds=1, judge=lambda messages: "A, 70%")


async def test_a_tie_is_listed_as_incorrect_as_the_help_page_says(tied_folder: Path) -> None:
    folder = tied_folder
    metrics = json.loads((folder / "metrics.json").read_text())
    ties = sum(j["ties"] for by_judge in metrics["conditions"].values() for j in by_judge.values())
    app = ReviewApp(RunFolder.open(folder))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        everyone = shown_ids(app)
        assert all(app.screen.index.marks(e).endswith("=½") for e in app.screen.index.entries)  # type: ignore[attr-defined]
        await pilot.press("v")
        correct = shown_ids(app)
        await pilot.press("v")
        incorrect = shown_ids(app)
        await pilot.press("question_mark")
        await pilot.pause()
        help_page = " ".join((await full_text(app, pilot)).replace("│", " ").split())
    assert ties == len(everyone) > 0 and correct == [] and incorrect == everyone
    assert "tie at 0.5" in help_page and "listed as incorrect" in help_page and "neither list" not in help_page
