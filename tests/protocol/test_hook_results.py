"""A protocol's hooks that return the wrong thing (a dict for a view, a string for verdict
fields) reach the person as one line naming protocol and hook, never a traceback; and the
generic judging form and legends a newcomer's protocol inherits use no other protocol's words."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from oversight.core.errors import UserError
from oversight.models.providers import scripted
from oversight.protocol import JudgeView, Protocol
from oversight.protocol.hooks import call_views
from oversight.report.summary import agreement_section
from oversight.tui.judge_app import JudgeScreen
from tests.helpers.broken_protocol import BrokenProtocol, cli, error_line, register, run  # noqa: F401 (fixtures)
from tests.helpers.qa_protocol import QAProtocol


def _text(renderable: Any) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("returned", [[{"key": "x", "template": "answer"}], None, "a view", [None]])
def test_judge_views_returning_no_views_is_one_line(returned: Any, register: Any) -> None:
    proto = BrokenProtocol()
    proto.judge_views = lambda *a: returned  # type: ignore[method-assign]
    with pytest.raises(UserError) as err:
        call_views(proto, {"id": "t", "outcome": {}}, None, None)
    line = str(err.value)
    assert line.startswith("protocol 'broken': its judge_views hook returned ") and "not a list of JudgeView" in line
    assert "\n" not in line


def test_judge_model_with_judge_views_returning_dicts_is_one_line_exit_2(run: Path, capsys: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "judge_views", lambda self, *a: [{"key": "judge"}])
    scripted.register("verdict", lambda messages: "right")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict")
    assert code == 2
    assert error_line(err) == ("error: protocol 'broken': its judge_views hook returned {'key': 'judge'}, "
                               "not a list of JudgeView (oversight.protocol.JudgeView)")


def test_verdict_hooks_returning_a_string_are_failed_judgments_naming_the_hook(
        run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def judge_verdict(self: Any, *a: Any) -> Any:
        return "right"
    monkeypatch.setattr(BrokenProtocol, "judge_verdict", judge_verdict)
    monkeypatch.setattr(BrokenProtocol, "verdict", lambda self, *a: "right")  # the failed record's fields too
    scripted.register("verdict", lambda messages: "Right - it's 4.")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict")
    assert code in (0, 1), err
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    failed = [r for r in records if str(r.get("judge", {}).get("id")).startswith("model:scripted:verdict")]
    assert len(failed) == 2 and all(r["failed"] and r["invalid"] for r in failed)
    assert {r["reason"] for r in failed} == {
        "protocol 'broken': its judge_verdict hook returned a str, not a dict of verdict fields"}


class ThreeWay(QAProtocol):
    """A preference view whose variables never spell out what each letter picks."""
    name = "threeway"


def test_the_default_form_lists_a_choice_views_answers_by_letter() -> None:
    view = JudgeView(key="ab", template="answer", answer_kind="choice",
                     choices=("response 1 is better", "response 2 is better", "a tie"),
                     variables={"question": "Which reply to 'Say hi' is better?", "left": "Hi!", "right": "hello"})
    shown = _text(ThreeWay().form_body(view))
    assert "A: response 1 is better" in shown and "B: response 2 is better" in shown and "C: a tie" in shown
    assert shown.index("Hi!") < shown.index("C: a tie")
    rating = _text(ThreeWay().form_body(JudgeView(key="r", template="answer", answer_kind="rating", variables={"question": "q"})))
    assert "Answers" not in rating


def test_generic_legends_and_help_name_no_protocols_words() -> None:
    rows = [{"judge A": "a", "judge B": "b", "shared": 2, "transcripts": 2, "pairs": 2, "items": 2, "agreement": 1.0,
             "agreement_ci": [0.3, 1.0], "kappa": None, "kappa_ci": None, "unscored": 0, "method": "agreement: Wilson"}]
    section = agreement_section("r", {"agreement": rows})
    assert section is not None
    legend = " ".join(section.legend)
    assert "flaw" not in legend and "one per pick" in legend
    assert "Two answers" not in JudgeScreen.HELP_TEXT and "A, B, ..." in JudgeScreen.HELP_TEXT


def test_judge_views_giving_one_key_twice_is_one_line(run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two views under one key would stand as one judgment (the latest): a wrong count, silently."""
    def views(self: Any, transcript: dict[str, Any], params: Any, texts: Any) -> list[JudgeView]:
        pick = JudgeView(key="pair", template="answer", answer_kind="choice", choices=("1", "2", "tie"),
                         variables={"question": "Which is better?"})
        return [pick, JudgeView(key="pair", template="answer", answer_kind="rating", variables={"question": "Rate it"})]
    monkeypatch.setattr(BrokenProtocol, "judge_views", views)
    scripted.register("verdict", lambda messages: "right")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict")
    assert code == 2
    assert error_line(err) == ("error: protocol 'broken': its judge_views hook gave view key 'pair' twice for "
                               "transcript 'q1:plain'; give each view of a transcript its own key")
