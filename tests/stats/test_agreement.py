"""Agreement between judges: Cohen's kappa against values worked by hand, and which records pair up."""

from __future__ import annotations

from typing import Any

import pytest

from oversight.protocols.critique.report import agreement_labels as flaw_labels
from oversight.protocols.debate.report import agreement_labels as choice_labels, judgment_view_key
from oversight.stats import agreement
from oversight.stats.agreement import METHOD, agreement_rows, agreement_stats, cohen_kappa
from oversight.stats.estimates import wilson


def agreement_table(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table with the built-in protocols' labels (debate's picks, critique's graded flaws) and
    debate's reading of the view a record answered (`view_key`, else `key`, `order`, `shown_order`)."""
    return agreement.agreement_table(records, lambda r: choice_labels(r) or flaw_labels(r), judgment_view_key)


def choice(tid: str, judge: str, answer: int | None, order: str | None = "original", *, kind: str = "model",
           key_field: str = "order", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"transcript_id": tid, "judge": {"kind": kind, "id": judge}, "answer_index": answer,
                              "invalid": answer is None, **extra}
    if order is not None:
        record[key_field] = order
    return record


def two_by_two(both_yes: int, a_only: int, b_only: int, both_no: int) -> list[dict[str, Any]]:
    """Judges X and Y on one view per transcript; cells of the 2x2 table in the usual order."""
    cells = [(1, 1)] * both_yes + [(1, 0)] * a_only + [(0, 1)] * b_only + [(0, 0)] * both_no
    records = []
    for i, (x, y) in enumerate(cells):
        records += [choice(f"t{i}", "X", x), choice(f"t{i}", "Y", y, "original", key_field="view_key")]
    return records


def test_kappa_of_a_two_by_two_table_worked_by_hand() -> None:
    # 50 items: both yes 20, X yes/Y no 5, X no/Y yes 10, both no 15.
    # p_o = 35/50 = 0.7; X says yes 25/50, Y 30/50; p_e = 0.5*0.6 + 0.5*0.4 = 0.5;
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    [row] = agreement_table(two_by_two(20, 5, 10, 15))
    assert (row["judge A"], row["judge B"]) == ("X", "Y")
    assert row["shared"] == 50 and row["items"] == 50 and row["unscored"] == 0
    assert row["agreement"] == pytest.approx(0.7)
    assert row["kappa"] == pytest.approx(0.4)
    low, high = row["kappa_ci"]
    assert -1.0 <= low < 0.4 < high <= 1.0
    a_low, a_high = row["agreement_ci"]
    assert 0.0 <= a_low < 0.7 < a_high <= 1.0
    assert row["method"] == METHOD and "bootstrap over transcripts" in METHOD
    assert agreement_table(two_by_two(20, 5, 10, 15)) == [row]  # same input, same numbers


def test_kappa_with_an_invalid_category_worked_by_hand() -> None:
    # X: 0, 0, 1, invalid; Y: 0, 1, 1, invalid. p_o = 3/4.
    # Marginals X {0: 2, 1: 1, inv: 1}, Y {0: 1, 1: 2, inv: 1}: p_e = (2*1 + 1*2 + 1*1)/16 = 5/16.
    # kappa = (3/4 - 5/16) / (11/16) = 7/11.
    assert cohen_kappa(["0", "0", "1", "invalid"], ["0", "1", "1", "invalid"]) == pytest.approx(7 / 11)
    records = [choice("a", "X", 0), choice("a", "Y", 0), choice("b", "X", 0), choice("b", "Y", 1),
               choice("c", "X", 1), choice("c", "Y", 1), choice("d", "X", None), choice("d", "Y", None)]
    [row] = agreement_table(records)
    assert row["kappa"] == pytest.approx(7 / 11, abs=1e-4) and row["agreement"] == 0.75


def test_kappa_is_undefined_when_both_judges_always_give_the_same_single_label() -> None:
    records = [choice(f"t{i}", judge, 0) for i in range(6) for judge in ("X", "Y")]
    [row] = agreement_table(records)
    assert row["agreement"] == 1.0 and row["kappa"] is None and row["kappa_ci"] is None
    assert row["kappa_ci_reason"].startswith("one label")
    # Agreement is a proportion: 6 of 6 is Wilson-honest, never [1, 1].
    assert row["agreement_ci"] == [round(wilson(6, 6)[0], 4), 1.0]
    assert cohen_kappa([], []) is None
    # One item: p_e = 0, so kappa = p_o = 0 by construction (each judge gave one label): not
    # given, like the 0/0 above, so one pair never reads as a kappa of 0 beside another's n/a.
    assert cohen_kappa(["0"], ["1"]) == 0.0
    [one] = agreement_table([choice("t", "X", 0), choice("t", "Y", 1)])
    assert one["items"] == 1 and one["agreement"] == 0.0 and one["kappa"] is None
    assert one["kappa_ci_reason"].startswith("one label")
    assert one["kappa_ci"] is None and one["agreement_ci"] == [0.0, round(wilson(0, 1)[1], 4)]


def test_pairs_match_on_transcript_and_view_and_failed_ones_are_counted_not_compared() -> None:
    records = [
        choice("t1", "X", 0, "original"), choice("t1", "X", 1, "swapped"),
        choice("t1", "Y", 0, "original", key_field="view_key"), choice("t1", "Y", 0, "swapped", key_field="view_key"),
        choice("t2", "X", 1, "original"),
        {"transcript_id": "t2", "judge": {"kind": "model", "id": "Y"}, "view_key": "original", "failed": True,
         "invalid": True, "reason": "judge call failed"},
        choice("t3", "Y", 1, "original", key_field="view_key"),  # X never judged t3
        choice("t1", "ann", 0, "original", kind="human", key_field="view_key"),
    ]
    rows = {(r["judge A"], r["judge B"]): r for r in agreement_table(records)}
    xy = rows[("X", "Y")]
    assert xy["shared"] == 3 and xy["unscored"] == 1 and xy["items"] == 2 and xy["agreement"] == 0.5
    assert rows[("X", "human/ann")]["shared"] == 1 and rows[("X", "human/ann")]["agreement"] == 1.0
    assert ("Y", "human/ann") in rows


def test_flaw_judgments_compare_each_gold_flaw_and_single_view_records_pair_with_keyed_ones() -> None:
    run_judge = {"transcript_id": "i1:assisted", "judge": {"kind": "model", "id": "run"}, "n_gold": 3,
                 "gold_found": [0]}
    rejudge = {"transcript_id": "i1:assisted", "judge": {"kind": "model", "id": "new"}, "view_key": "judge",
               "n_gold": 3, "gold_found": [0, 2]}
    person = {"transcript_id": "i1:assisted", "judge": {"kind": "human", "id": "p"}, "view_key": "judge",
              "flaws_reported": ["something"]}  # ungraded: nothing to compare
    rows = {(r["judge A"], r["judge B"]): r for r in agreement_table([run_judge, rejudge, person])}
    new_run = rows[("new", "run")]
    assert new_run["shared"] == 1 and new_run["items"] == 3 and new_run["agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert rows[("human/p", "new")]["unscored"] == 1 and rows[("human/p", "new")]["items"] == 0
    [printed] = [r for r in agreement_rows(list(rows.values())) if r["judges"] == "human/p vs new"]
    assert (printed["agree"], printed["95% CI"], printed["kappa"], printed["kappa CI"]) == (
        None, "no scored pair", None, "no scored pair")


def test_bootstrap_keeps_a_transcripts_views_together() -> None:
    # Every transcript has two views on which the judges agree on one and disagree on the other:
    # resampling transcripts can never move agreement away from 0.5; resampling views could.
    records = []
    for i in range(10):
        records += [choice(f"t{i}", "X", 0, "original"), choice(f"t{i}", "Y", 0, "original"),
                    choice(f"t{i}", "X", 1, "swapped"), choice(f"t{i}", "Y", 0, "swapped")]
    [row] = agreement_table(records)
    # Within-transcript agreement is perfectly balanced (residuals 0): the design effect is held
    # at 1, so the interval is Wilson over the 20 items, never the bootstrap's [0.5, 0.5].
    assert row["agreement"] == 0.5 and row["agreement_ci"] == [round(x, 4) for x in wilson(10, 20)]


def test_a_judge_with_one_label_throughout_gets_no_kappa_interval() -> None:
    # Judge B always answers 0: kappa is 0 in every resample by construction, not a finding.
    items = [(f"t{i}", str(i % 2), "0") for i in range(8)]
    stats = agreement_stats(items)
    assert cohen_kappa([a for _, a, _ in items], [b for _, _, b in items]) == 0.0
    assert stats["kappa"] is None and stats["kappa_ci"] is None
    assert stats["agreement"] == 0.5 and None not in stats["agreement_ci"]


def test_two_transcripts_give_no_point_intervals() -> None:
    # Two transcripts, one disagreement each way: the old bootstrap printed [0, 0] and kappa [-1, -1].
    records = [choice("t1", "X", 0), choice("t1", "Y", 1), choice("t2", "X", 1), choice("t2", "Y", 0)]
    [row] = agreement_table(records)
    assert row["agreement"] == 0.0 and row["kappa"] == -1.0
    assert row["agreement_ci"] == [0.0, round(wilson(0, 2)[1], 4)]
    assert row["kappa_ci"] is None and row["kappa_ci_reason"].startswith("n too small")
    [shown] = agreement_rows([row])
    assert shown["kappa CI"] == "n too small" and shown["95% CI"] == row["agreement_ci"]


def test_every_verdict_pair_counts_when_one_judge_id_covers_several_people() -> None:
    # A live judge and an imported study's offline judges (one id, several people): t1 has two
    # offline people, so two pairs; t2 one. Three pairs, not two.
    live = [choice(t, "live", 0, kind="human", person="L") for t in ("t1", "t2")]
    offline = [choice("t1", "off", 0, kind="human", person="a"), choice("t1", "off", 1, kind="human", person="b"),
               choice("t2", "off", 0, kind="human", person="a")]
    [row] = agreement_table(live + offline)
    assert row["shared"] == 2 and row["pairs"] == 3 and row["items"] == 3
    assert row["agreement"] == pytest.approx(2 / 3, abs=1e-4)


def test_a_rater_judging_a_view_twice_counts_its_latest_record_in_any_line_order() -> None:
    early = choice("t1", "X", 0, view_key_unused=None, created_at="2026-01-01T00:00:00Z", id="a")
    late = choice("t1", "X", 1, created_at="2026-01-02T00:00:00Z", id="b")
    other = choice("t1", "Y", 1, created_at="2026-01-01T00:00:00Z", id="c")
    for records in ([early, late, other], [late, early, other], [other, late, early]):
        [row] = agreement_table(records)
        assert row["agreement"] == 1.0 and row["pairs"] == 1


def test_the_printed_row_says_views_transcripts_and_labels_apart() -> None:
    """Two transcripts of one item, both answer orders, two judges: 4 views from 2 transcripts,
    never '4 items' (the word a reader takes for task items)."""
    from oversight.stats.agreement import agreement_rows

    records = [{"transcript_id": f"story:{cond}", "order": order, "judge": {"kind": "model", "id": judge},
                "answer_index": 0, "shown_order": [0, 1] if order == "original" else [1, 0], "correct": True,
                "invalid": False}
               for cond in ("debate", "blind") for order in ("original", "swapped") for judge in ("a", "b")]
    [row] = agreement_rows(agreement_table(records))
    assert (row["views"], row["transcripts"], row["pairs"], row["labels"]) == (4, 2, 4, 4)
    assert "items" not in row and "shared" not in row


def test_a_reason_counts_one_transcript_in_the_singular() -> None:
    from oversight.stats.agreement import agreement_stats

    one = agreement_stats([("t1", "A", "B"), ("t1", "B", "A")])
    assert one["kappa_ci_reason"].startswith("n too small: 1 transcript,"), one


def test_no_shared_item_gives_no_number_rather_than_an_error() -> None:
    from oversight.stats.agreement import agreement_stats

    none = agreement_stats([])
    assert (none["items"], none["agreement"], none["kappa"], none["agreement_ci"]) == (0, None, None, None)
    assert none["kappa_ci_reason"].startswith("no items")
