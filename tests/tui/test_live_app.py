"""The live judge's form at 80x24, driven by Textual's Pilot over a real pause of a scripted
debate: the person asks B a question, the answer arrives in B's next speech, the verdict is a
human judgment; the screens are blind; bad lines are explained and nothing is answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oversight.protocols.debate import DebateProtocol
from oversight.tui.live_app import LiveApp
from tests.helpers.tui_runs import screen_text
from tests.protocols.debate.test_live_judge import CALLS, session, setup
from tests.tui.test_judge_app import CONDITIONS

SIZE = (80, 24)


async def answer_with(payload: dict[str, Any], keys: list[str], texts: list[str]) -> Any:
    """Type `keys` into a LiveApp on `payload`; what the screen showed goes to `texts`."""
    errors: list[str] = []
    app = LiveApp(payload, DebateProtocol(), "ana", lambda who, tb: errors.append(tb))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        texts.append(screen_text(app))
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        texts.append(screen_text(app))
    assert not errors
    return app.return_value


def typed(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


async def test_ask_then_verdict_at_80x24(tmp_path: Path) -> None:
    proto, run, (unit, params) = setup()
    _, first, _ = await session(proto, run, unit, params, tmp_path, [])
    texts: list[str] = []
    asked = await answer_with(first.paused, ["B", "tab", *typed("Which line did you quote"), "ctrl+s"], texts)
    assert asked == {"action": "ask", "questions": [{"to": "B", "text": "Which line did you quote"}]}
    assert "ctrl+q" in texts[0].replace("^q", "ctrl+q") and "quit" in texts[0]  # footer keys fit
    _, second, _ = await session(proto, run, unit, params, tmp_path, [asked])
    assert second.paused["round"] == 2
    assert "Which line did you quote" in second.paused["view"]["variables"]["transcript"]
    nxt = await answer_with(second.paused, ["ctrl+s"], texts)  # nothing asked: the next round
    rec, done, _ = await session(proto, run, unit, params, tmp_path, [nxt])
    verdict_keys = ["tab", "tab", "tab", "tab", "B", "tab", "8", "0", "tab", *typed("B quoted it"), "ctrl+e"]
    verdict = await answer_with(done.paused, verdict_keys, texts)
    assert verdict == {"action": "end", "choice": 1, "probability": 0.8, "comment": "B quoted it"}
    rec, final, _ = await session(proto, run, unit, params, tmp_path, [verdict])
    assert final.outcome is not None and CALLS["judge"] == 0
    [judgment] = [j.to_record() for j in rec.judgments]
    assert judgment["judge"] == {"kind": "human", "id": "ana"} and judgment["answer_index"] == 1
    seen = "\n".join(texts)
    assert not CONDITIONS.search(seen), CONDITIONS.search(seen)
    assert "scripted" not in seen and "correct" not in seen.lower()


async def test_bad_lines_are_explained_and_nothing_answered(tmp_path: Path) -> None:
    proto, run, (unit, params) = setup()
    _, first, _ = await session(proto, run, unit, params, tmp_path, [])
    texts: list[str] = []
    nobody = await answer_with(first.paused, ["tab", *typed("why"), "ctrl+s", "ctrl+q"], texts)
    assert nobody is None and "question 1: say whom it is for (A, B, both)" in texts[-1]
    low = await answer_with(first.paused, ["tab", "tab", "tab", "tab", "A", "tab", "3", "0", "ctrl+e", "ctrl+q"],
                            texts)
    assert low is None and "from 50 to 100" in texts[-1]
