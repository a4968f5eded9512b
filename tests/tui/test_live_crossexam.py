"""Cross-examination in a live debate at 80x24: the exchange appears on the person's screen in
place, under our labels, before the asker's speech; the answer is built from the answerer's
earlier call alone; the person's question and verdict still work; and the screen stays blind."""

from __future__ import annotations

import re
from pathlib import Path

from oversight.log.texts import MemoryTexts
from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.protocols.debate import DebateParams, DebateProtocol
from oversight.protocol.recorder import Recorder
from oversight.tui.live_app import LiveApp
from tests.helpers.harness import context
from tests.protocols.debate.test_cross_examination import debater
from tests.protocols.debate.test_live_judge import item
from tests.tui.test_live_app import SIZE, blind, drawn, form_open, sitting, typed, until


def labels(app: LiveApp) -> list[str]:
    """Our turn labels drawn so far, cross-examination's included (each a line of its own)."""
    return [line.strip() for line in app.lines
            if re.fullmatch(r" ?(Debater [AB]|Judge)( asks Debater [AB])? \(.*\)( answers)? ?", line)]


async def test_a_cross_examination_reaches_the_live_screen_in_place_and_the_person_judges(tmp_path: Path) -> None:
    scripted.register("xl-a", debater("A", {2: "ROUND 1: Which line says the soup did not tremble?"}))
    scripted.register("xl-b", debater("B", "NONE", "It is in the second sentence (B answering)."))
    pool = ModelPool(cache=None)
    proto = DebateProtocol()
    models = {"debater_a": pool.get("scripted:xl-a"), "debater_b": pool.get("scripted:xl-b"),
              "consultant": pool.get("scripted:xl-a"), "judge": pool.get("scripted:xl-a")}
    params = DebateParams(conditions=["debate"], rounds=2, judge_questions=1, judge_kind="model", judge_format="text",
                          cross_examination=True, swap=True, turns="sequential")
    [unit] = proto.units([item()], params, 0)
    run = context(proto, models, texts=MemoryTexts())
    recs: list[Recorder] = []
    app = LiveApp(proto, "ana", lambda who, tb: None, sitting(proto, run, unit, params, tmp_path, recs))
    seen: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app, seen, form_open)  # after round 1: nothing cross-examined yet
        assert labels(app) == ["Debater A (round 1)", "Debater B (round 1)"]
        await pilot.press(*typed("Why the soup"), "tab", "b", "ctrl+s")  # the typed letter is no addressee
        await until(pilot, app, seen, lambda s: "question 1: choose" in s)
        await pilot.press("enter", "down", "down", "enter", "ctrl+s")  # B, from the list
        screen = await until(pilot, app, seen, lambda s: "your verdict" in s)
        shown = labels(app)
        asked = shown.index("Debater A asks Debater B (as of round 1)")
        assert shown.index("Judge (question to Debater B, after round 1)") < asked
        assert asked < shown.index("Debater B (as of round 1) answers") < shown.index("Debater A (round 2)")
        assert "Which line says the soup did not tremble?" in drawn(app)
        assert "It is in the second sentence (B answering)." in drawn(app)
        await pilot.press("a", "tab", "7", "0", "ctrl+e")
        for _ in range(250):
            if app.result is not None:
                break
            await pilot.pause(0.02)
    outcome = app.return_value
    assert outcome is not None and [x["of_round"] for x in outcome["cross_examinations"]] == [1]
    events = [e for e in recs[-1].events if e.type == "model"]
    [answer] = [e for e in events if e.step.startswith("debater_b (as of round 1) answers")]
    [speech] = [e for e in events if e.step == "debater_b round 1"]
    assert answer.input[: len(speech.input)] == speech.input  # the fork continues B's round-1 call
    sent = "\n".join(m["content"] for m in answer.input)
    assert "SPOKE-A2" not in sent and "Why the soup" not in sent  # nor the judge's question after round 1
    [b2] = [e for e in events if e.step == "debater_b round 2"]
    later = b2.input[-1]["content"]  # a later speech sees the judge's question and the exchange, in place
    assert later.index("Why the soup") < later.index("Debater A asks Debater B (as of round 1):") < later.index(
        "Debater B (as of round 1) answers:") < later.index("Debater A (round 2):")
    [judgment] = [j.to_record() for j in recs[-1].judgments]
    assert judgment["answer_index"] == 0 and judgment["judge"] == {"kind": "human", "id": "ana"}
    blind(seen)
