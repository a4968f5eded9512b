"""`oversight judge RUN --model SPEC` on a protocol whose verdict hook raises: the person sees
one line naming the protocol, the hook and the exception, once for all the views it failed; each
view is a failed judgment with that reason (counted, never scored)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import oversight
from oversight.models.providers import scripted
from oversight.protocol.contract import Protocol
from tests.helpers.broken_protocol import BrokenProtocol, cli
from tests.helpers.broken_protocol import register, run  # noqa: F401 (fixtures)


def _failing_verdict(self: Any, view: Any, transcript: dict[str, Any], response: Any, params: Any) -> dict[str, Any]:
    if not response.text:  # the record of a failed view reads an empty answer: that works
        return {"says_right": None}
    return {"says_right": {"right": True, "wrong": False}[response.text.split()[0].strip(",.").lower()]}


def _model_records(run: Path) -> list[dict[str, Any]]:
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    return [r for r in records if r["judge"]["id"] != "exact-match"]


@pytest.fixture()
def default_judge_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The protocol keeps the contract's judge_verdict: its own `verdict` is what fails."""
    monkeypatch.setattr(BrokenProtocol, "judge_verdict", Protocol.judge_verdict)
    monkeypatch.setattr(BrokenProtocol, "verdict", _failing_verdict)


def test_a_raising_verdict_is_named_once_and_its_views_recorded_failed(run: Path, capsys: Any,
                                                                        default_judge_verdict: None) -> None:
    scripted.register("hedging", lambda messages: "Probably right, though I am unsure.")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:hedging", "--no-cache")
    assert code == 1
    said = " ".join(err.split())
    named = "protocol 'broken': its verdict hook failed (KeyError: 'probably')"
    assert said.count(named) == 1
    assert f"{named}, on 2 views: recorded as failed judgments with this reason (counted in 'fail', never scored)" \
        in said
    assert "2 judge calls failed now" in said
    records = _model_records(run)
    assert len(records) == 2 and all(r["failed"] and r["invalid"] for r in records)
    assert {r["reason"] for r in records} == {named}
    assert {r["raw"] for r in records} == {"Probably right, though I am unsure."}
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["table"][0]["n"] == 2  # the run's own two exact-match grades only: nothing scored from these


def test_distinct_failures_each_get_their_line(run: Path, capsys: Any, default_judge_verdict: None) -> None:
    replies = iter(["Maybe right", "Unsure, sorry"])
    scripted.register("two-ways", lambda messages: next(replies))
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:two-ways", "--no-cache", "--concurrency", "1")
    assert code == 1
    said = " ".join(err.split())
    for word in ("maybe", "unsure"):
        assert said.count(f"its verdict hook failed (KeyError: '{word}'), on 1 view: recorded") == 1


def test_a_verdict_that_works_names_no_hook(run: Path, capsys: Any, default_judge_verdict: None) -> None:
    scripted.register("plain", lambda messages: "Right.")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:plain", "--no-cache")
    assert code == 0 and "hook failed" not in err
    assert all(r["says_right"] is True and not r.get("failed") for r in _model_records(run))


def test_the_python_api_warns_once_naming_the_hook(run: Path, default_judge_verdict: None) -> None:
    scripted.register("hedging", lambda messages: "Probably right.")
    with pytest.warns(UserWarning) as caught:
        oversight.judge(run, model="scripted:hedging", cache=False, progress=False)
    said = [str(w.message) for w in caught if "hook failed" in str(w.message)]
    assert said == ["protocol 'broken': its verdict hook failed (KeyError: 'probably'), on 2 views: recorded as "
                    "failed judgments with this reason (counted in 'fail', never scored)"]
