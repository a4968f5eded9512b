"""metrics.json of messy debate and critique runs is byte-identical to what the metrics code
wrote before it was made faster (see golden_metrics_runs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.golden_metrics_runs import golden

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = golden()


@pytest.mark.parametrize("name", sorted(CASES))
def test_metrics_json_is_byte_identical_to_the_pinned_output(name: str) -> None:
    expected = (FIXTURES / name).read_text(encoding="utf-8")
    assert CASES[name] + "\n" == expected


def test_the_pinned_runs_exercise_the_awkward_cases() -> None:
    debate = (FIXTURES / "golden_debate_1.json").read_text(encoding="utf-8")
    for key in ("human/p", "ties", "order_consistency", "consultant_win_rate", "accuracy_consultant_dishonest",
                "win_rate", "judgments_unmatched", "wilson-cluster", "newcombe-paired"):
        assert key in debate, key
