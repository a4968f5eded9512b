"""Agreement between judges compares the labels a protocol gives each judgment (its
`agreement_labels` hook): the statistics never read a protocol's fields themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oversight.models.providers import scripted
from oversight.protocol.reporting import choice_labels
from tests.helpers.broken_protocol import BrokenProtocol, cli, error_line
from tests.helpers.broken_protocol import register, run  # noqa: F401 (fixtures)


def _judge_twice(run: Path, capsys: Any) -> dict[str, Any]:
    scripted.register("yes", lambda messages: "Right -- it is 4.")
    calls: list[int] = []  # moody says right once, then wrong: it agrees with `yes` on one view of two

    def moody(messages: Any) -> str:
        calls.append(1)
        return "right" if len(calls) == 1 else "Wrong, sorry"

    scripted.register("moody", moody)
    for model in ("yes", "moody"):
        code, err = cli(capsys, "judge", str(run), "--model", f"scripted:{model}", "--no-cache")
        assert code == 0, err
    return json.loads((run / "metrics.json").read_text())


def test_the_default_compares_nothing_a_judgment_does_not_pick(run: Path, capsys: Any) -> None:
    [row] = [r for r in _judge_twice(run, capsys)["agreement"] if "yes" in r["judge A"] + r["judge B"]
             and "moody" in r["judge A"] + r["judge B"]]
    assert (row["pairs"], row["unscored"], row["items"]) == (2, 2, 0)


def test_a_protocols_labels_are_what_agreement_compares(run: Path, capsys: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "agreement_labels",
                        lambda self, j: None if "says_right" not in j else {"": "right" if j["says_right"] else "wrong"})
    [row] = [r for r in _judge_twice(run, capsys)["agreement"] if "yes" in r["judge A"] + r["judge B"]
             and "moody" in r["judge A"] + r["judge B"]]
    assert (row["pairs"], row["unscored"], row["items"], row["agreement"]) == (2, 0, 2, 0.5)


def test_a_failed_judgment_is_never_compared_whatever_the_labels(run: Path, capsys: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "agreement_labels", lambda self, j: {"": "right"})
    monkeypatch.setattr(BrokenProtocol, "judge_verdict", None)  # every verdict of the second judge fails
    scripted.register("yes", lambda messages: "Right.")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:yes", "--no-cache")
    assert code == 1 and "judge_verdict" in err
    [row] = json.loads((run / "metrics.json").read_text())["agreement"]
    assert (row["pairs"], row["unscored"], row["items"]) == (2, 2, 0)


def test_labels_of_the_wrong_type_are_one_line(run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "agreement_labels", lambda self, j: ["right"])
    scripted.register("yes", lambda messages: "right")
    cli(capsys, "judge", str(run), "--model", "scripted:yes")
    code, err = cli(capsys, "report", str(run))
    assert code == 2
    assert error_line(err) == ("error: protocol 'broken': its agreement_labels hook returned ['right'], "
                               "not None or a dict of sub-item to label")


@pytest.mark.parametrize("judgment, labels", [
    ({"choice": 1, "invalid": False}, {"": "1"}),
    ({"choice": None, "invalid": True}, {"": "invalid"}),
    ({"choice": 0, "invalid": True}, {"": "invalid"}),
    ({"choice": 0, "failed": True}, None),
    ({"rating": 5}, None),
])
def test_choice_labels(judgment: dict[str, Any], labels: dict[str, str] | None) -> None:
    assert choice_labels(judgment) == labels
