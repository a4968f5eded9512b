"""Reading ratings and coherence flags from messy judge text; verdicts and metrics from records."""

from __future__ import annotations

from typing import Any

import pytest

from oversight.protocol.contract import JudgeResponse, JudgeView
from oversight.protocols.summarize.judging import parse_confusions, parse_ratings, split_sentences, verdict
from oversight.protocols.summarize.metrics import compute, mean_ci
from oversight.protocols.summarize.params import SummarizeParams
from oversight.stats.estimates import wilson


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 5\nCoverage: 4", {"faithfulness": 5, "coverage": 4}),
        ("**6**\n**Coverage:** 3/7 because it leaves out the storm", {"faithfulness": 6, "coverage": 3}),
        ("\nFaithfulness: 7\nCoverage - 2\nFaithfulness: 7", {"faithfulness": 7, "coverage": 2}),
        (" 3 would be too harsh; I'd give 6.\nCoverage: 5", {"faithfulness": 6, "coverage": 5}),
        ("I would rate faithfulness a 4 and the coverage is 5 out of 7.", {"faithfulness": 4, "coverage": 5}),
        ("6. Coverage: 6. The summary is fine.", {"faithfulness": 6, "coverage": 6}),
    ],
)
def test_ratings_are_read_from_realistic_answers(text: str, expected: dict[str, int]) -> None:
    ratings, problems = parse_ratings(text)
    assert ratings == expected and problems == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # gemma-3-270m echoing the answer format of the template
        (" <a number from 1 to 7>\nCoverage: <a number from 1 to 7>\nThe writer's task:", "no faithfulness rating"),
        ("9\nCoverage: 4", "faithfulness 9 is not a whole number from 1 to 7"),
        ("5\nCoverage: 0", "coverage 0 is not a whole number from 1 to 7"),
        ("4.5\nCoverage: 4", "faithfulness 4.5 is not a whole number"),
        ("The summary is about a lighthouse keeper who rows out at dusk and the gulls.", "no faithfulness rating"),
        ("1. The keeper rows out.\n2. The gulls are loud.", "no faithfulness rating"),
        ("5\nThe summary mentions the keeper and the sea and", "no coverage rating"),
        ("Faithfulness 1-7: good\nCoverage 1 to 7: good", "no faithfulness rating"),
        # two answers for one scale, another scale, a hedge: never the first number seen
        ("\nFaithfulness: 7\nCoverage - 2\nFaithfulness: 1", "different faithfulness ratings given (1, 7)"),
        (" 7/10\nCoverage: 5", "faithfulness 7/10 is on a 1-10 scale"),
        (" 6 or 7\nCoverage: 5", "faithfulness is hedged between 6 and 7"),
    ],
)
def test_unusable_ratings_are_invalid_with_a_reason(text: str, problem: str) -> None:
    ratings, problems = parse_ratings(text)
    assert any(p.startswith(problem) for p in problems), problems
    assert None in ratings.values()


def test_confusions_from_messy_lists() -> None:
    text = ("2: causal omission - why did she row out?\n- Sentence 4 (entity omission): who is Bram?\n"
            "4: duplication\n9: salience\n3. The gulls were loud.\nThe reader then")
    flagged, out_of_range, usable = parse_confusions(text.splitlines(), count=5)
    assert flagged == [{"sentence": 2, "kind": "causal omission"}, {"sentence": 4, "kind": "entity omission"}]
    assert (out_of_range, usable) == (1, True)
    assert parse_confusions(["None.", "2: salience"], 3)[2] is True
    assert parse_confusions(["  None of the sentences confuse me."], 3)[:2] == ([], 0)
    # an echo of the template's own format line and of the summary is not an answer
    echo = ['"<sentence number>: <kind of confusion>"', "1. The keeper rowed out at dusk.", "- entity omission: a person"]
    assert parse_confusions(echo, 3) == ([], 0, False)


def test_split_sentences() -> None:
    assert split_sentences("Mara rowed out. Why? She saw a light!  It was “late.” ") == [
        "Mara rowed out.", "Why?", "She saw a light!", "It was “late.”"]
    assert split_sentences("  ") == []


def transcript() -> dict[str, Any]:
    node = {"type": "node", "id": "L0.0", "strategy": "hierarchical", "kind": "leaf", "level": 0, "index": 0,
            "chunk": [0, 10], "span": [0, 10], "children": [], "budget": 20, "output": "A. B.", "words": 2,
            "input_words": 10, "part": 1, "parts": 2}
    return {"id": "t:hierarchical", "condition": "hierarchical", "events": [
        node, {**node, "id": "L0.1", "index": 1, "chunk": [10, 20], "span": [10, 20], "part": 2},
        {**node, "id": "L1.0", "kind": "merge", "level": 1, "chunk": None, "span": [0, 20], "children": ["L0.0", "L0.1"],
         "output": "One. Two. Three.", "words": 3, "input_words": 4}]}


def test_verdicts_for_model_and_person_have_the_same_fields() -> None:
    params = SummarizeParams()
    view = JudgeView(key="node:L1.0", template="judge_node", variables={}, answer_kind="rating")
    model = verdict(view, transcript(), JudgeResponse(text="6\nCoverage: 5"), params)
    person = verdict(view, transcript(), JudgeResponse(ratings={"faithfulness": 6, "coverage": 5}, comment="ok"), params)
    assert {k: v for k, v in model.items() if k not in ("raw", "comment", "judge_format")} == \
        {k: v for k, v in person.items() if k not in ("raw", "comment", "judge_format")}
    assert (model["judge_format"], person["judge_format"]) == ("text", "human")
    assert (model["stage"], model["faithfulness"], model["invalid"]) == ("root", 6, False)
    bad = verdict(view, transcript(), JudgeResponse(ratings={"faithfulness": 8, "coverage": 5}), params)
    assert bad["invalid"] and bad["faithfulness"] is None and bad["coverage"] == 5
    check = JudgeView(key="coherence:L1.0", template="judge_coherence", variables={"count": 3}, answer_kind="flaws")
    flagged = verdict(check, transcript(), JudgeResponse(flaws=["2: discontinuity"]), params)
    assert flagged["coherence"] == pytest.approx(2 / 3) and flagged["confusions"] == [{"sentence": 2, "kind": "discontinuity"}]
    echo = verdict(check, transcript(), JudgeResponse(text="1. One.\n2. Two."), params)
    assert echo["invalid"] and echo["coherence"] is None


def test_metrics_count_invalid_and_give_no_interval_for_one_value() -> None:
    t = {**transcript(), "outcome": {"depth": 2, "width": 2, "nodes": 3, "chunks": 2, "level_sizes": [2, 1]},
         "usage": {"input_tokens": 100, "output_tokens": 10, "cost_usd": None}}
    t["events"] = t["events"] + [{"type": "model", "cached": False}] * 3
    judge = {"kind": "model", "id": "m"}
    js = [{"transcript_id": t["id"], "judge": judge, "answer_kind": "rating", "stage": "level 0", "faithfulness": f,
           "coverage": c} for f, c in [(5, 4), (7, None)]]
    js.append({"transcript_id": t["id"], "judge": judge, "answer_kind": "rating", "stage": "root", "faithfulness": 3, "coverage": 3})
    js.append({"transcript_id": t["id"], "judge": judge, "answer_kind": "flaws", "coherence": 0.5,
               "confusions": [{"sentence": 1, "kind": "salience"}]})
    m = compute([t], js, SummarizeParams())
    s = m["strategies"]["hierarchical"]
    assert s["stages"]["level 0"] == {"nodes": 2, "input_words": 20, "output_words": 4, "compression": 5.0}
    level0 = s["judges"]["m"]["ratings"]["level 0"]
    assert level0["faithfulness"]["estimate"] == 6.0 and level0["faithfulness"]["ci"] is not None
    assert level0["faithfulness"]["ci_method"] == "wilson-bounded over rated nodes"
    # One rating of 4 on 1-7: Wilson for 0.5 of 1, mapped back to the scale; never zero width.
    lo, hi = wilson(0.5, 1)
    coverage = level0["coverage"]
    assert (coverage["n"], coverage["estimate"], coverage["invalid"]) == (1, 4.0, 1)
    assert coverage["ci"] == pytest.approx([1 + 6 * lo, 1 + 6 * hi], abs=2e-4)
    top = mean_ci({"a": 7.0, "b": 7.0}, "x", 1.0, 7.0)
    assert top["estimate"] == 7.0 and top["ci"][0] < 7.0 and top["ci"][1] == 7.0
    assert s["calls"] == 3 and s["depth"] == 2 and s["cost_usd"] is None
    root_row = [r for r in m["table"] if r["stage"] == "root"][0]
    assert (root_row["faithfulness"], root_row["coherence"], root_row["depth"]) == (3.0, 0.5, 2)
    assert mean_ci({}, "x")["estimate"] is None
