"""The usage a run reports is the whole run's: every attempt of every session, not only the
transcripts that stand after `--resume --retry-failed`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.core.jsonl import append_line
from oversight.log.runfolder import TRANSCRIPTS
from tests.helpers.report_runs import debate_run


def _retried(tmp_path: Path) -> Path:
    """Two units: q2 failed in the first session after spending tokens, and was retried in a
    second one whose calls the response cache answered (nothing spent)."""
    run = debate_run(tmp_path, "r1", verdicts={"q1:debate": [("original", 0.8)]}, correct={"q1": 0, "q2": 0},
                     failed=("q2:debate",))
    line = json.loads((run / TRANSCRIPTS).read_text().splitlines()[-1])
    assert line["id"] == "q2:debate" and line["error"]
    append_line(run / TRANSCRIPTS, {**line, "error": None, "attempt": "a2", "created_at": "2026-11-30T13:00:00+00:00",
                                    "usage": {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0},
                                    "usage_by_role": {"judge": {"input_tokens": 0, "output_tokens": 0,
                                                                "cost_usd": 0.0}}})
    return run


def test_usage_counts_every_attempt_of_every_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _retried(tmp_path)
    assert main(["report", str(run), "--format", "json"]) == 0
    usage = json.loads(capsys.readouterr().out)["runs"][0]["metrics"]["run"]["usage_by_role"]
    # q1 (100 in per role) and q2's failed attempt (100 more per role); the retry spent nothing
    assert usage["debater_a"]["input_tokens"] == 200
    assert usage["judge"]["input_tokens"] == 200 and usage["judge"]["output_tokens"] == 40
    assert usage["judge"]["cost_usd"] == pytest.approx(0.001)
