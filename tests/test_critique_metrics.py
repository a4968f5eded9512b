"""Critique metrics on hand-made transcripts and judgments where every number is known."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oversight.protocols.critique import CritiqueParams, CritiqueProtocol

PROTOCOL = CritiqueProtocol()
PARAMS = CritiqueParams(n_boot=500)


def gold(*severities: int | None) -> list[dict[str, Any]]:
    return [{"description": f"flaw {i} about topic{i} detail{i}", "severity": s, "category": None}
            for i, s in enumerate(severities)]


def transcript(item: str, condition: str, gold_flaws: list[dict[str, Any]] | None, *,
               critique_hits: list[int | None] | None = None, answer: str = "an answer",
               source: str = "task", error: str | None = None) -> dict[str, Any]:
    outcome: dict[str, Any] = {"condition": condition, "gold_flaws": gold_flaws, "answer": answer,
                               "answer_source": source}
    if condition == "assisted":
        outcome["critique_matches"] = [
            {"text": f"critique {i}", "gold_index": g, "confirmed": g is not None}
            for i, g in enumerate(critique_hits or [])
        ]
    return {"id": f"{item}:{condition}", "item_id": item, "condition": condition, "outcome": outcome, "error": error}


def judgment(item: str, condition: str, hits: list[int | None], texts: list[str] | None = None,
             confirmed: list[bool] | None = None) -> dict[str, Any]:
    texts = texts or [f"report {i}" for i in range(len(hits))]
    confirmed = confirmed or [h is not None for h in hits]
    return {
        "transcript_id": f"{item}:{condition}", "judge": {"kind": "model", "id": "m"}, "condition": condition,
        "flaws_reported": texts,
        "matches": [{"index": i, "text": t, "gold_index": h, "confirmed": c}
                    for i, (t, h, c) in enumerate(zip(texts, hits, confirmed))],
    }


def metrics(transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: Any = PARAMS) -> dict[str, Any]:
    result = PROTOCOL.metrics(transcripts, judgments, params)
    json.dumps(result, allow_nan=False)  # metrics.json must be strict JSON
    return result


def test_uplift_is_exact_when_every_item_gains_the_same() -> None:
    ts, js = [], []
    for i in range(4):
        ts += [transcript(f"i{i}", "unassisted", gold(2, 3)), transcript(f"i{i}", "assisted", gold(2, 3),
                                                                         critique_hits=[0, None])]
        js += [judgment(f"i{i}", "unassisted", [0, None]), judgment(f"i{i}", "assisted", [0, 1])]
    m = metrics(ts, js)
    assert m["recall"]["assisted"]["value"] == 1.0 and m["recall"]["unassisted"]["value"] == 0.5
    up = m["uplift"]
    assert up["difference"] == 0.5 and up["difference_ci_95"] == [0.5, 0.5]
    assert up["ratio"] == 2.0 and up["ratio_ci_95"] == [2.0, 2.0]
    assert up["n_items"] == 4 and "paired" in up["method"] and "500 resamples" in up["method"]
    assert m["flaws_caught"]["assisted"]["successes"] == 8 and m["flaws_caught"]["unassisted"]["value"] == 0.5
    assert m["precision"]["unassisted"]["value"] == 0.5 and m["precision"]["assisted"]["value"] == 1.0
    assert m["critique_validity"]["value"] == 0.5 and m["critique_coverage"]["value"] == 0.5
    assert m["gold"] == "gold" and m["counts"]["items_paired"] == 4 and m["warnings"] == []
    row = next(r for r in m["table"] if r["metric"] == "uplift (difference)" and r["severity"] == "all")
    assert row["value"] == 0.5 and row["ci_95"] == [0.5, 0.5] and row["n"] == 4


def test_pairing_removes_between_item_variation() -> None:
    # Items differ a lot in difficulty, but critiques add exactly one of four flaws everywhere.
    ts, js = [], []
    for i, base in enumerate([0, 1, 2, 3]):
        ts += [transcript(f"i{i}", c, gold(None, None, None, None)) for c in ("unassisted", "assisted")]
        js += [judgment(f"i{i}", "unassisted", list(range(base)) or [None]),
               judgment(f"i{i}", "assisted", list(range(base + 1)))]
    m = metrics(ts, js)
    lo, hi = m["recall"]["unassisted"]["ci_95"]
    assert hi - lo > 0.3  # per-condition intervals are wide...
    # ...the paired one is not
    assert m["uplift"]["difference"] == 0.25 and m["uplift"]["difference_ci_95"] == [0.25, 0.25]
    assert m["by_severity"] == {}  # no severities in this data


def test_bootstrap_interval_brackets_a_mixed_uplift() -> None:
    ts, js = [], []
    for i in range(10):
        ts += [transcript(f"i{i}", c, gold(1)) for c in ("unassisted", "assisted")]
        js += [judgment(f"i{i}", "unassisted", [None]), judgment(f"i{i}", "assisted", [0] if i < 4 else [None])]
    up = metrics(ts, js)["uplift"]
    assert up["difference"] == 0.4 and up["ratio"] is None  # unassisted recall 0: no ratio
    lo, hi = up["difference_ci_95"]
    assert 0.0 <= lo < 0.4 < hi <= 0.8


def test_per_severity_breakdown() -> None:
    ts, js = [], []
    for i in range(3):
        ts += [transcript(f"i{i}", c, gold(1, 3), critique_hits=[0]) for c in ("unassisted", "assisted")]
        js += [judgment(f"i{i}", "unassisted", [1]), judgment(f"i{i}", "assisted", [0, 1])]
    m = metrics(ts, js)
    sev = m["by_severity"]
    assert set(sev) == {"1", "3"}
    assert sev["1"]["uplift"]["difference"] == 1.0 and sev["1"]["uplift"]["difference_ci_95"] == [1.0, 1.0]
    assert sev["3"]["uplift"]["difference"] == 0.0
    assert sev["1"]["n_flaws"] == 3 and sev["1"]["critique_coverage"]["value"] == 1.0
    assert sev["3"]["critique_coverage"]["value"] == 0.0
    assert {r["severity"] for r in m["table"]} == {"all", "1", "3"}


def test_unknown_gold_uses_the_union_of_confirmed_flaws() -> None:
    ts = [transcript("g", c, None, source="answerer", critique_hits=[None]) for c in ("unassisted", "assisted")]
    js = [
        judgment("g", "unassisted", [None], texts=["The keeper started in 1902, not 1912."], confirmed=[True]),
        judgment("g", "assisted", [None, None, None],
                 texts=["Start year should be 1902 rather than 1912.", "Automation came in 1961 after retirement.",
                        "Too short."],
                 confirmed=[True, True, False]),
    ]
    m = metrics(ts, js)
    assert m["gold"] == "confirmed_union"
    assert m["recall"]["unassisted"]["value"] == 0.5 and m["recall"]["assisted"]["value"] == 1.0
    assert m["uplift"]["difference"] == 0.5
    assert m["precision"]["assisted"]["value"] == pytest.approx(0.6667)
    assert m["critique_coverage"]["n"] == 0 and m["critique_validity"]["value"] == 0.0


def test_human_judgments_without_matches_are_graded_lexically() -> None:
    ts = [transcript("h", c, [{"description": "Gives 1912 as the start year; the passage says 1902.", "severity": 2}])
          for c in ("unassisted", "assisted")]
    js = [
        {"transcript_id": "h:unassisted", "judge": {"kind": "human", "id": "ann"}, "flaws_reported": ["Looks fine"]},
        {"transcript_id": "h:assisted", "judge": {"kind": "human", "id": "bob"},
         "flaws_reported": ["She started in 1902, not 1912"]},
    ]
    m = metrics(ts, js)
    assert m["counts"]["lexically_graded_judgments"] == 2
    assert m["uplift"]["difference"] == 1.0
    union = [transcript("u", "unassisted", None, source="answerer")]
    m = metrics(union, [{"transcript_id": "u:unassisted", "judge": {"kind": "human", "id": "ann"},
                         "flaws_reported": ["x y"]}])
    assert m["counts"]["ungraded_judgments"] == 1 and m["recall"] == {}


def test_edge_cases_single_condition_failures_and_answer_mismatch() -> None:
    ts = [
        transcript("a", "unassisted", gold(2)),
        transcript("b", "unassisted", gold(2), error="model call failed"),
        transcript("c", "unassisted", []),
        transcript("d", "unassisted", None, source="answerer", answer="one"),
        transcript("d", "assisted", None, source="answerer", answer="two"),
    ]
    js = [judgment("a", "unassisted", [0]), judgment("b", "unassisted", [0]), judgment("c", "unassisted", [None]),
          judgment("zzz", "unassisted", [0])]
    m = metrics(ts, js, CritiqueParams(n_boot=200))
    assert m["counts"]["failed"] == 1 and m["counts"]["judgments"] == 2
    assert m["counts"]["items_without_flaws"] == 1
    assert m["recall"]["unassisted"]["n_items"] == 1 and m["uplift"] is None
    assert m["precision"]["unassisted"]["n"] == 2
    assert m["warnings"] == ["item 'd': the conditions judged different generated answers"]
    assert not any(r["metric"].startswith("uplift") for r in m["table"])
    assert metrics([], [])["table"] == []
