"""The toy protocol (another package) is judged again by a model as its own `checker` role, not
as a role named `judge`: `oversight judge RUN --model SPEC` needs nothing of it but the contract's
hooks (`judge_role`, `judge_views`, `verdict`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oversight.models.providers import scripted
from tests.helpers.broken_protocol import cli, error_line
from tests.protocol.test_review_hooks import _toy_run


@pytest.fixture()
def toy_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from _toy_run(tmp_path, monkeypatch, " yes ")


def _checked(run: Path) -> list[dict[str, Any]]:
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    return [r for r in records if r["judge"]["id"] != "exact-match"]


def test_the_toy_is_rejudged_by_its_checker(toy_run: Path, capsys: Any) -> None:
    seen: list[str] = []

    def checker(messages: Any) -> str:
        seen.append(messages[-1].content)
        return "Right. The reply says yes." if "sky" in messages[-1].content else "**Wrong** -- it should say no."

    scripted.register("checker", checker)
    code, err = cli(capsys, "judge", str(toy_run), "--model", "scripted:checker", "--no-cache")
    assert code == 0, err
    assert len(seen) == 2 and all("Start with \"right\" or \"wrong\"" in text and "Reply: yes" in text for text in seen)
    by_t = {r["transcript_id"]: r for r in _checked(toy_run)}
    assert by_t["q1:plain"]["says_right"] is True and by_t["q1:plain"]["correct"] is True  # the reply "yes" was right
    assert by_t["q2:plain"]["says_right"] is False and by_t["q2:plain"]["correct"] is True  # and wrong for "say no"
    assert all(r["view_key"] == "reply" and r["usage"]["input_tokens"] > 0 for r in by_t.values())


def test_a_checker_answer_it_cannot_read_is_invalid(toy_run: Path, capsys: Any) -> None:
    scripted.register("mumbling", lambda messages: "Hmm, hard to say.")
    code, err = cli(capsys, "judge", str(toy_run), "--model", "scripted:mumbling", "--no-cache")
    assert code == 0, err
    assert all(r["invalid"] is True and r["correct"] is None for r in _checked(toy_run))


def test_bind_names_the_checker_as_the_role_model_answers(toy_run: Path, capsys: Any) -> None:
    code, err = cli(capsys, "judge", str(toy_run), "--model", "scripted:x", "--bind", "checker=scripted:y")
    assert code == 2
    assert error_line(err) == "error: oversight judge: --bind checker: checker is the role --model SPEC judges as; give the model there"
