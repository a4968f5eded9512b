"""Model replies and task files with JSON that Python's parser refuses outright: a number past
its 4,300-digit limit, nesting past the recursion limit. A reply is an invalid answer, a task
file a one-line error; neither a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from oversight.core.errors import UserError
from oversight.protocols.critique.views import structured_flaws
from oversight.protocols.shared.verdicts import read_structured
from oversight.protocols.summarize.ratings import read_structured_ratings
from oversight.config.tasks import read_json_records as load_records

HUGE = '{"reasoning": "The clock stopped, so B.", "answer": "B", "confidence": 7' + "0" * 5000 + "}"
DEEP = '{"reasoning": ' + "[" * 100_000 + "]" * 100_000 + ', "answer": "A"}'


@pytest.mark.parametrize("reply", [HUGE, DEEP], ids=["huge number", "deep"])
def test_a_structured_reply_json_refuses_is_an_invalid_answer(reply: str) -> None:
    verdict = read_structured(reply)
    assert verdict.invalid
    ratings, problems = read_structured_ratings(reply)
    assert all(v is None for v in ratings.values()) and problems
    flaws, problem = structured_flaws(reply, 5)
    assert flaws == [] and problem


@pytest.mark.parametrize("body", ['{"id": "a", "n": 1' + "0" * 5000 + "}\n", "[" + '{"n": 1' + "0" * 5000 + "}]"],
                         ids=["jsonl", "array"])
def test_a_task_file_with_a_huge_number_is_one_line(tmp_path: Path, body: str) -> None:
    path = tmp_path / "task.jsonl"
    path.write_text(body)
    with pytest.raises(UserError, match="4,300 digits") as info:
        load_records(path)
    assert "task.jsonl" in str(info.value) and "\n" not in str(info.value)
