"""Debate metrics on hand-made judgment records where every number is known."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from oversight.protocols.debate.metrics import compute
from oversight.stats.estimates import paired_difference, wilson

JUDGE = {"kind": "model", "id": "model:x"}


def r4(pair: tuple[float, float]) -> list[float]:
    return [round(pair[0], 4), round(pair[1], 4)]


def verdict(tid: str, condition: str, *, order: str = "original", chose: int | None = 0, correct_index: int = 0,
            p: float | None = None, judge: dict[str, str] = JUDGE, **extra: Any) -> dict[str, Any]:
    """A judgment record as verdict_record writes it (original answer order)."""
    shown = [0, 1] if order == "original" else [1, 0]
    rec: dict[str, Any] = {
        "transcript_id": tid, "judge": judge, "condition": condition, "order": order, "shown_order": shown,
        "answer_index": chose, "correct": None if chose is None else chose == correct_index,
        "p_correct": p, "invalid": chose is None, "attempt": "a1" if judge is JUDGE else None, **extra,
    }
    if condition == "debate" and chose is not None:
        rec["winner"] = ("debater_a", "debater_b")[chose]
    return rec


def transcripts(condition: str, n: int, *, prefix: str = "i", failed: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i}:{condition}", "item_id": f"{prefix}{i}", "condition": condition,
             "attempt": "a1", "error": "HTTP 500" if i in failed else None} for i in range(n)]


def metrics(ts: list[dict[str, Any]], js: list[dict[str, Any]], params: Any = None) -> dict[str, Any]:
    result = compute(ts, js, params if params is not None else {"n_boot": 400})
    json.dumps(result, allow_nan=False)  # metrics.json must be strict JSON
    return result


def test_single_verdict_accuracy_is_wilson_over_transcripts_with_invalid_counted() -> None:
    ts = transcripts("debate", 10)
    outcomes = [(0, 0.9)] * 7 + [(1, 0.4), (1, None), (None, None)]  # 7 right, 2 wrong, 1 invalid
    js = [verdict(f"i{i}:debate", "debate", chose=c, p=p) for i, (c, p) in enumerate(outcomes)]
    d = metrics(ts, js)["conditions"]["debate"]["model:x"]
    assert d["accuracy"]["estimate"] == 0.7 and d["accuracy"]["k"] == 7 and d["accuracy"]["n"] == 10
    assert d["accuracy"]["ci"] == r4(wilson(7, 10)) == [0.3968, 0.8922] and d["accuracy"]["ci_method"] == "wilson"
    assert d["accuracy_kind"] == "single verdict" and d["invalid"] == 1 and d["verdicts"] == 10
    assert d["accuracy_valid"]["estimate"] == round(7 / 9, 4) and d["accuracy_valid"]["n"] == 9
    assert d["mean_p_correct"]["estimate"] == round((7 * 0.9 + 0.4) / 8, 4) and d["mean_p_correct"]["n"] == 8
    assert d["win_rate"]["debater_a"]["estimate"] == round(7 / 9, 4)
    assert "order_consistency" not in d and d["ties"] == 0


def test_order_averaged_verdict_is_the_headline_when_both_orders_are_judged() -> None:
    ts = transcripts("blind", 5)
    js = [
        # p(correct) 0.9 and 0.3 -> mean 0.6 -> correct, though the orders disagree
        verdict("i0:blind", "blind", chose=0, p=0.9), verdict("i0:blind", "blind", order="swapped", chose=1, p=0.3),
        # 0.55 and 0.2 -> 0.375 -> wrong
        verdict("i1:blind", "blind", chose=0, p=0.55), verdict("i1:blind", "blind", order="swapped", chose=1, p=0.2),
        # invalid in one order counts p = 0: 0.9 and 0 -> 0.45 -> wrong
        verdict("i2:blind", "blind", chose=0, p=0.9), verdict("i2:blind", "blind", order="swapped", chose=None),
        # no probabilities, one right one wrong -> a tie, counted 1/2
        verdict("i3:blind", "blind", chose=0), verdict("i3:blind", "blind", order="swapped", chose=1),
        # both right
        verdict("i4:blind", "blind", chose=0, p=0.7), verdict("i4:blind", "blind", order="swapped", chose=0, p=0.8),
    ]
    b = metrics(ts, js)["conditions"]["blind"]["model:x"]
    acc = b["accuracy"]
    assert b["accuracy_kind"] == "order-averaged" and b["ties"] == 1
    assert acc["k"] == 2.5 and acc["n"] == 5 and acc["estimate"] == 0.5 and acc["ci"] == r4(wilson(2.5, 5))
    assert b["accuracy_by_order"]["original"]["estimate"] == 1.0 and b["accuracy_by_order"]["swapped"]["invalid"] == 1
    assert b["accuracy_pooled"]["k"] == 6 and b["accuracy_pooled"]["n"] == 10
    assert b["order_consistency"]["pairs"] == 5 and b["order_consistency"]["n"] == 4


def test_a_judge_that_always_picks_the_first_answer_gets_honest_intervals() -> None:
    # make demo's judge: right in one order, wrong in the other, on every transcript.
    ts = transcripts("debate", 4)
    js = [verdict(f"i{i}:debate", "debate", order=o, chose=c, p=p)
          for i in range(4) for o, c, p in (("original", 0, 0.6), ("swapped", 1, 0.4))]
    d = metrics(ts, js)["conditions"]["debate"]["model:x"]
    assert d["accuracy"]["estimate"] == 0.5 and d["ties"] == 4
    lo, hi = d["accuracy"]["ci"]
    assert [lo, hi] == r4(wilson(2, 4)) and hi - lo > 0.5
    first = d["chose_first_shown"]
    assert first["estimate"] == 1.0 and first["ci_method"] == "wilson-cluster"
    assert first["ci"] == [round(wilson(4, 4)[0], 4), 1.0]  # Wilson over the 4 transcripts, not [1, 1]
    assert d["accuracy_by_order"]["original"]["ci"] == [round(wilson(4, 4)[0], 4), 1.0]
    assert d["accuracy_by_order"]["swapped"]["ci"] == [0.0, round(wilson(0, 4)[1], 4)]
    assert d["order_consistency"]["estimate"] == 0.0


def test_pooled_accuracy_equals_wilson_over_transcripts_when_orders_agree() -> None:
    ts = transcripts("expert", 6)
    js = [verdict(f"i{i}:expert", "expert", order=o, chose=0 if i < 4 else 1, p=None)
          for i in range(6) for o in ("original", "swapped")]
    e = metrics(ts, js)["conditions"]["expert"]["model:x"]
    assert e["accuracy_pooled"]["ci"] == e["accuracy"]["ci"] == r4(wilson(4, 6))
    assert e["accuracy_pooled"]["clusters"] == 6


def test_comparisons_are_paired_by_item_on_items_finished_in_both() -> None:
    ts = transcripts("debate", 8) + transcripts("consultancy", 8, failed=(7,)) + transcripts("blind", 8)
    debate_right = [1, 1, 1, 1, 1, 1, 0, 1]
    cons_right = [1, 1, 0, 0, 1, 0, 0, 1]
    js = [verdict(f"i{i}:debate", "debate", chose=1 - r) for i, r in enumerate(debate_right)]
    js += [verdict(f"i{i}:consultancy", "consultancy", chose=1 - r) for i, r in enumerate(cons_right) if i != 7]
    js += [verdict(f"i{i}:blind", "blind", chose=1) for i in range(8)]
    m = metrics(ts, js)
    c = m["comparisons"]["model:x"]["debate - consultancy"]
    shared = {f"i{i}": (debate_right[i], 1, cons_right[i], 1) for i in range(7)}
    assert c["n"] == 7 and c["items_excluded"] == 1 and c["paired"]
    assert c["ci"] == paired_difference(shared).ci and c["ci_method"] == "newcombe-paired"
    assert c["estimate"] == round(6 / 7 - 3 / 7, 4)  # on the shared items, not 7/8 - 3/7
    blind = m["comparisons"]["model:x"]["debate - blind"]
    assert blind["n"] == 8 and blind["estimate"] == 0.875 and blind["ci"][0] > 0
    assert m["failed_transcripts"] == {"consultancy": 1} and m["conditions"]["consultancy"]["model:x"][
        "failed_transcripts"] == 1
    rows = {r["condition"]: r for r in m["table"]}
    assert rows["consultancy"]["units failed"] == 1 and rows["consultancy"]["failed"] == "0/7" and rows["consultancy"]["n"] == 7
    assert rows["debate - consultancy"]["n"] == 7 and rows["debate - consultancy"]["method"] == "newcombe-paired"
    assert list(rows)[:3] == ["debate", "consultancy", "blind"]


def test_conditions_without_shared_items_are_compared_unpaired() -> None:
    ts = transcripts("debate", 3, prefix="a") + transcripts("blind", 4, prefix="b")
    js = [verdict(t["id"], "debate") for t in ts[:3]] + [verdict(t["id"], "blind", chose=1) for t in ts[3:]]
    c = metrics(ts, js)["comparisons"]["model:x"]["debate - blind"]
    assert not c["paired"] and c["ci_method"] == "newcombe" and c["n"] == 7 and c["estimate"] == 1.0


def test_each_judge_has_its_own_rows_built_in_judge_first() -> None:
    ts = transcripts("consultancy", 4)
    js = []
    for i, (honest, sided) in enumerate([(True, True), (True, True), (False, True), (False, False)]):
        right = sided if honest else not sided
        js.append(verdict(f"i{i}:consultancy", "consultancy", chose=0 if right else 1, judge={"kind": "model", "id": "zz"},
                          attempt="a1", consultant_correct=honest, sided_with_consultant=sided))
    js.append(verdict("i0:consultancy", "consultancy", judge={"kind": "human", "id": "ann"}))
    js.append(verdict("i1:consultancy", "consultancy", chose=1, judge={"kind": "model", "id": "aa-rejudge"}))
    m = metrics(ts, js)
    assert m["judges"] == ["zz", "aa-rejudge", "human/ann", "all model judges (pooled)"]
    assert [r["judge"] for r in m["table"]] == m["judges"]
    pooled = m["conditions"]["consultancy"]["all model judges (pooled)"]
    assert pooled["verdicts"] == 5 and pooled["transcripts"] == 4
    c = m["conditions"]["consultancy"]["zz"]
    assert c["consultant_win_rate"]["estimate"] == 0.75
    assert c["accuracy_consultant_honest"]["estimate"] == 1.0 and c["accuracy_consultant_dishonest"]["estimate"] == 0.5
    assert m["conditions"]["consultancy"]["human/ann"]["accuracy"]["n"] == 1  # not pooled with the model


def test_extremes_all_invalid_all_right_and_n_of_one() -> None:
    ts = transcripts("debate", 5)
    d = metrics(ts, [verdict(t["id"], "debate", chose=None) for t in ts])["conditions"]["debate"]["model:x"]
    assert d["invalid"] == 5 and d["accuracy"]["estimate"] == 0.0 and d["accuracy"]["ci"] == [0.0, r4(wilson(0, 5))[1]]
    assert d["accuracy_valid"]["estimate"] is None and "chose_first_shown" not in d
    assert d["mean_p_correct"]["estimate"] is None and d["mean_p_correct"]["ci"] == [None, None]
    right = metrics(ts, [verdict(t["id"], "debate") for t in ts])["conditions"]["debate"]["model:x"]["accuracy"]
    assert right["estimate"] == 1.0 and right["ci"] == [round(wilson(5, 5)[0], 4), 1.0]
    one = metrics(ts[:1], [verdict("i0:debate", "debate", p=0.8)])["conditions"]["debate"]["model:x"]
    assert one["accuracy"]["ci"] == r4(wilson(1, 1)) and one["mean_p_correct"]["ci"] is None
    assert one["mean_p_correct"]["ci_reason"].startswith("n too small")  # never [0.8, 0.8]


def test_empty_and_failed_only_runs_do_not_crash() -> None:
    empty = metrics([], [])
    assert empty["table"] == [] and empty["conditions"] == {} and empty["comparisons"] == {}
    ts = transcripts("debate", 2, failed=(0, 1)) + transcripts("blind", 1, failed=(0,))
    failed = metrics(ts, [])
    assert failed["table"] == [{"condition": "debate", "n": 0, "units failed": 2}, {"condition": "blind", "n": 0, "units failed": 1}]
    assert failed["counts"]["failed"] == 3


def test_judgments_of_unknown_failed_or_stale_transcripts_are_counted_not_used() -> None:
    ts = transcripts("debate", 2, failed=(1,))
    js = [verdict("i0:debate", "debate"), verdict("i1:debate", "debate"), verdict("nope", "debate"),
          verdict("i0:debate", "debate", attempt="old")]
    m = metrics(ts, js)
    assert m["counts"]["judgments_unmatched"] == 3 and m["counts"]["judgments"] == 1


def test_bootstrap_settings_come_from_params_and_are_written() -> None:
    class Params:
        n_boot, bootstrap_seed = 300, 7

    ts = transcripts("debate", 12)
    js = [verdict(t["id"], "debate", p=0.4 + i / 20) for i, t in enumerate(ts)]
    a = compute(ts, js, Params())
    assert a["bootstrap"] == {"resamples": 300, "seed": 7}
    assert compute(ts, js, None)["bootstrap"] == {"resamples": 2000, "seed": 0}
    other = compute(ts, js, {"n_boot": 300, "bootstrap_seed": 8})["conditions"]["debate"]["model:x"]["mean_p_correct"]
    mine = a["conditions"]["debate"]["model:x"]["mean_p_correct"]
    assert mine["ci_method"] == "bayesian-bootstrap" and mine["ci"] != other["ci"]


def random_run(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ts, js = [], []
    for condition in ("debate", "consultancy", "blind"):
        ts += transcripts(condition, rng.randint(1, 9), failed=(rng.randint(0, 9),))
    for t in ts:
        if t["error"]:
            continue
        for order in ("original", "swapped")[: rng.randint(1, 2)]:
            chose = rng.choice([0, 1, 1, None])
            p = rng.choice([None, round(rng.random(), 3)])
            js.append(verdict(t["id"], t["condition"], order=order, chose=chose, p=p))
    return ts, js


@pytest.mark.parametrize("seed", range(12))
def test_point_estimates_lie_inside_their_intervals(seed: int) -> None:
    m = metrics(*random_run(random.Random(seed)))
    records = [g[k] for by_j in m["conditions"].values() for g in by_j.values()
               for k in ("accuracy", "accuracy_pooled", "accuracy_valid", "chose_first_shown") if k in g]
    records += [c for comps in m["comparisons"].values() for c in comps.values()]
    for rec in records:
        if rec["estimate"] is not None:
            lo, hi = rec["ci"]
            assert lo <= rec["estimate"] <= hi and hi > lo, rec


@pytest.mark.parametrize("seed", range(4))
def test_shuffling_transcripts_and_judgments_leaves_metrics_identical(seed: int) -> None:
    ts, js = random_run(random.Random(seed))
    before = json.dumps(metrics(ts, js), sort_keys=False)
    rng = random.Random(seed + 100)
    rng.shuffle(ts)
    rng.shuffle(js)
    assert json.dumps(metrics(ts, js), sort_keys=False) == before


def test_several_people_are_reported_each_and_pooled_per_kind() -> None:
    ts = transcripts("debate", 3)
    ann, bob = {"kind": "human", "id": "ann"}, {"kind": "human", "id": "bob"}
    js = [verdict("i0:debate", "debate", judge=ann), verdict("i1:debate", "debate", judge=ann),
          verdict("i1:debate", "debate", chose=1, judge=bob), verdict("i2:debate", "debate", chose=1, judge=bob)]
    m = metrics(ts, js)
    assert m["judges"] == ["human/ann", "human/bob", "all human judges (pooled)"]
    debate = m["conditions"]["debate"]
    assert debate["human/ann"]["accuracy"]["estimate"] == 1.0 and debate["human/bob"]["accuracy"]["estimate"] == 0.0
    pooled = debate["all human judges (pooled)"]
    assert pooled["verdicts"] == 4 and pooled["transcripts"] == 3
    assert pooled["accuracy_pooled"]["k"] == 2 and pooled["accuracy_pooled"]["n"] == 4


def test_comparison_rows_print_items_used_and_left_out_and_say_unpaired() -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep

    # The model judged 6 items in debate and 4 of them in consultancy: paired on 4, 2 left out.
    ts = transcripts("debate", 6) + transcripts("consultancy", 4)
    js = [verdict(t["id"], "debate", chose=0 if i % 3 else 1) for i, t in enumerate(ts[:6])]
    js += [verdict(t["id"], "consultancy", chose=1 if i % 2 else 0) for i, t in enumerate(ts[6:])]
    # A person saw debate on items p0-p2 and consultancy on p3-p5: nothing to pair.
    person = {"kind": "human", "id": "ann"}
    ts += [{"id": f"p{i}:{c}", "item_id": f"p{i}", "condition": c, "attempt": "a1", "error": None}
           for i, c in [(0, "debate"), (1, "debate"), (2, "debate"), (3, "consultancy"), (4, "consultancy"),
                        (5, "consultancy")]]
    js += [verdict(f"p{i}:debate", "debate", chose=0, judge=person) for i in range(3)]
    js += [verdict(f"p{i}:consultancy", "consultancy", chose=0 if i == 3 else 1, judge=person) for i in (3, 4, 5)]
    m = metrics(ts, js)
    model = m["comparisons"]["model:x"]["debate - consultancy"]
    assert model["paired"] and model["n"] == 4 and model["items_excluded"] == 2
    ann = m["comparisons"]["human/ann"]["debate - consultancy"]
    assert not ann["paired"] and ann["ci_method"] == "newcombe" and ann["items_excluded"] == 0
    low, high = confint_proportions_2indep(3, 3, 1, 3, method="newcomb", compare="diff")
    assert ann["ci"] == pytest.approx([low, high], abs=1e-4)
    rows = {(r.get("judge"), r["condition"]): r for r in m["table"]}
    assert rows[("model:x", "debate - consultancy")]["left out"] == 2
    assert rows[("model:x", "debate - consultancy")]["n"] == 4
    assert rows[("human/ann", "debate - consultancy (unpaired)")]["n"] == 6
