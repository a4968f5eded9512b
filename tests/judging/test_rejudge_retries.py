"""Re-judging with failures, probed with a scripted judge: an interrupted retry, a retry that
recovers only some calls, and retries in a row; failures are never scored and the table agrees
with metrics.json at every step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from tests.judging.test_rejudge_failures import CORRECT, run, shown  # noqa: F401  (the six-debate fixture)


def judge_row(folder: Path, judge: str) -> tuple[dict[str, Any], dict[str, Any]]:
    m = json.loads((folder / "metrics.json").read_text())
    return m["conditions"]["debate"][judge], next(r for r in m["table"] if r.get("judge") == judge)


class Judge:
    """Right on every view it answers; fails (503, every retry) on the views in `failing`, and
    raises KeyboardInterrupt on its `interrupt_after`-th call."""

    def __init__(self) -> None:
        self.failing: set[tuple[str, str]] = set()
        self.calls: list[tuple[str, str]] = []
        self.interrupt_after: int | None = None

    def __call__(self, messages: list[Any]) -> Any:
        view = shown(messages[-1].content)
        self.calls.append(view)
        if self.interrupt_after is not None and len(self.calls) >= self.interrupt_after:
            self.interrupt_after = None
            raise KeyboardInterrupt
        if view in self.failing:
            return ProviderError("HTTP 503: overloaded", retryable=True, status=503)
        question, a = view
        return "Final answer: A, 80%" if a == CORRECT[question] else "Final answer: B, 80%"


def consistent(folder: Path, judge: str, answered: int, failed: int) -> None:
    m, row = judge_row(folder, judge)
    assert (m["verdicts"], m["failed_calls"], m["calls"]) == (answered, failed, answered + failed)
    assert row["failed"] == f"{failed}/{answered + failed}" and row["invalid"] == f"0/{answered}"
    if answered:
        assert m["accuracy"]["estimate"] == 1.0  # every answer given was right: failures never count as wrong


def test_partial_recovery_interrupted_retry_and_retries_in_a_row(run: Path) -> None:  # noqa: F811
    judge = Judge()
    scripted.register("rj", judge)
    cmd = ["judge", str(run), "--model", "scripted:rj", "--judge-id", "rj", "--no-cache"]
    # A first judge learns the 12 views; then this one fails on 6 of them.
    scripted.register("probe", lambda m: judge.calls.append(shown(m[-1].content)) or "A, 50%")
    assert main(["judge", str(run), "--model", "scripted:probe", "--judge-id", "probe", "--no-cache"]) == 0
    views = sorted(set(judge.calls))
    assert len(views) == 12
    judge.calls.clear()
    judge.failing = set(views[:6])
    assert main(cmd) == 1
    consistent(run, "rj", 6, 6)

    # A retry interrupted after its second call: what it wrote stands, nothing else changes.
    judge.failing = set(views[:3])  # three of the six recover
    judge.interrupt_after = 2
    judge.calls.clear()
    code = main([*cmd, "--retry-failed"])
    assert code != 0
    assert main(["report", str(run), "--format", "json"]) == 0
    m, _ = judge_row(run, "rj")
    assert m["verdicts"] + m["failed_calls"] == 12 and m["verdicts"] >= 6

    # Retry: exactly the views still failed are asked again; three fail again.
    judge.calls.clear()
    still_failed = 12 - m["verdicts"]
    main([*cmd, "--retry-failed"])
    asked = set(judge.calls)
    assert asked <= set(views[:6]) and len(asked) == still_failed
    consistent(run, "rj", 9, 3)

    # Again: exactly the three; then the endpoint recovers fully.
    judge.calls.clear()
    assert main([*cmd, "--retry-failed"]) == 1
    assert set(judge.calls) == set(views[:3])
    consistent(run, "rj", 9, 3)
    judge.failing = set()
    judge.calls.clear()
    assert main([*cmd, "--retry-failed"]) == 0
    assert sorted(set(judge.calls)) == views[:3] and len(judge.calls) == 3
    consistent(run, "rj", 12, 0)
    judge.calls.clear()
    assert main([*cmd, "--retry-failed"]) == 0 and judge.calls == []
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    mine = [r for r in records if r["judge"]["id"] == "rj"]
    assert len({r["id"] for r in mine}) == len(mine)


def test_a_retried_unit_stands_whatever_the_line_order_of_its_two_transcript_lines(run: Path) -> None:  # noqa: F811
    """A unit that failed and then finished under --retry-failed has two lines with one id; the
    finished one stands (as resuming treats it), not whichever line happens to be last."""
    assert main(["report", str(run), "--format", "json"]) == 0
    expected = json.loads((run / "metrics.json").read_text())["conditions"]
    path = run / "transcripts.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    first = json.loads(lines[0])
    failed = {**first, "error": "ProviderError: HTTP 503 after 3 attempts", "attempt": "0000failed00",
              "outcome": None, "created_at": "2026-01-01T00:00:00+00:00"}
    for order in (lines + [json.dumps(failed) + "\n"], [json.dumps(failed) + "\n"] + lines):
        path.write_text("".join(order))
        assert main(["report", str(run), "--format", "json"]) == 0
        assert json.loads((run / "metrics.json").read_text())["conditions"] == expected
