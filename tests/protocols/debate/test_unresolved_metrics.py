"""`unresolved_references`: letters the swapped view left as written, per transcript, in the
metrics and the debate table, the same for any order of the judgment lines."""

from __future__ import annotations

import random
from typing import Any

from oversight.protocols.debate.metrics import compute

JUDGE = {"kind": "model", "id": "model:x"}


def record(tid: str, order: str, unresolved: int | None, judge: dict[str, str] = JUDGE) -> dict[str, Any]:
    rec: dict[str, Any] = {"transcript_id": tid, "judge": judge, "condition": "debate", "order": order,
                           "shown_order": [0, 1] if order == "original" else [1, 0], "answer_index": 0,
                           "correct": True, "p_correct": 0.8, "invalid": False, "winner": "debater_a",
                           "attempt": "a1"}
    if order == "swapped" and unresolved is not None:
        rec["unresolved_references"] = unresolved
        rec["swap_relabel"] = {"relabelled": 2, "unresolved": unresolved, "unresolved_snippets": ["x"] * unresolved}
    return rec


def transcripts(n: int) -> list[dict[str, Any]]:
    return [{"id": f"i{i}:debate", "item_id": f"i{i}", "condition": "debate", "attempt": "a1", "error": None}
            for i in range(n)]


def test_counts_are_per_transcript_summed_and_shown_in_the_table() -> None:
    counts = [0, 3, 0, 1]
    js = [r for i, c in enumerate(counts) for r in (record(f"i{i}:debate", "original", None),
                                                    record(f"i{i}:debate", "swapped", c))]
    result = compute(transcripts(4), js, {"n_boot": 200})
    m = result["conditions"]["debate"]["model:x"]
    assert m["unresolved_references"] == {"total": 4, "transcripts": 2, "of": 4}
    [row] = [r for r in result["table"] if r.get("condition") == "debate"]
    assert row["unres"] == "4 in 2/4"
    for seed in range(5):  # any order of the lines
        shuffled = js[:]
        random.Random(seed).shuffle(shuffled)
        again = compute(transcripts(4), shuffled, {"n_boot": 200})["conditions"]["debate"]["model:x"]
        assert again["unresolved_references"] == m["unresolved_references"]


def test_older_records_report_through_swap_relabel_and_unswapped_runs_have_no_column() -> None:
    old = record("i0:debate", "swapped", 2)
    del old["unresolved_references"]
    result = compute(transcripts(1), [record("i0:debate", "original", None), old], {"n_boot": 200})
    assert result["conditions"]["debate"]["model:x"]["unresolved_references"]["total"] == 2
    plain = compute(transcripts(1), [record("i0:debate", "original", None)], {"n_boot": 200})
    assert "unresolved_references" not in plain["conditions"]["debate"]["model:x"]
    assert all("unres" not in r for r in plain["table"])
