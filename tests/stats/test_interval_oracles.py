"""Independent probes of every printed interval and of the numbers' order-freedom: a closed form
of Newcombe (1998b) written here from the paper's formulas, the cluster variants reduced to it
where they must agree, resampling intervals refused at small n, the lexical grader on reports
that echo a flaw without naming it, and a judge rename that must change no number."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from oversight.stats.agreement import agreement_stats
from oversight.protocols.critique.flaws import lexical_match
from oversight.protocols.debate.metrics import compute as debate_metrics
from oversight.protocols.summarize.metrics import mean_ci
from oversight.stats.estimates import MIN_BOOTSTRAP_UNITS, cluster_proportion, paired_difference, proportion, wilson
from oversight.protocols.debate.tournament import Game, tournament

Z = 1.959963984540054


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def newcombe_paired(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Method 10 of Newcombe (1998b): a both, b first only, c second only, d neither."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = _wilson(a + b, n)
    l2, u2 = _wilson(a + c, n)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    x = a * d - b * c
    num = x - n / 2 if x > n / 2 else 0 if x >= 0 else x
    phi = num / math.sqrt(margins) if margins else 0.0
    dl = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    du = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, p1 - p2 - dl), min(1.0, p1 - p2 + du)


def _items(a: int, b: int, c: int, d: int, m: int = 1) -> dict[str, tuple[int, int, int, int]]:
    rows = [(m, m, m, m)] * a + [(m, m, 0, m)] * b + [(0, m, m, m)] * c + [(0, m, 0, m)] * d
    return {f"t{i:03d}": row for i, row in enumerate(rows)}


TABLES = [(18, 12, 2, 18), (5, 0, 0, 5), (10, 0, 0, 0), (3, 2, 1, 4), (8, 1, 1, 8), (2, 0, 0, 0), (1, 1, 0, 0),
          (4, 3, 3, 4), (0, 6, 0, 0), (6, 2, 2, 2)]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("m", [2, 3, 4])
def test_unanimous_clusters_give_method_10_over_clusters(table: tuple[int, int, int, int], m: int) -> None:
    """A transcript judged in both answer orders with the same verdict twice carries one
    transcript's evidence: the paired cluster interval must be method 10 over transcripts,
    not narrower (a correction that shrinks with the cluster size narrows it)."""
    lo, hi = newcombe_paired(*table)
    got = paired_difference(_items(*table, m=m))
    assert got.ci == pytest.approx([lo, hi], abs=6e-5)


def _games(n_items: int) -> list[Game]:
    games = []
    for i in range(n_items):
        games += [Game(f"i{i}", "x", "y", 0.8 if i % 2 else 0.3, True), Game(f"i{i}", "y", "x", 0.4 + 0.05 * i, False)]
    return games


@pytest.mark.parametrize("n_items", [1, 2, 3, 9])
def test_tournament_gives_no_bootstrap_interval_below_the_minimum_of_items(n_items: int) -> None:
    """A percentile bootstrap over 2 items is the range of 2 values, not a 95% interval: Elo and
    ASD must say "n too small" (as every other resampling interval does), never print one."""
    t = tournament(_games(n_items))
    for rec in [*t["elo"].values(), t["asd"]]:
        assert rec["ci"] is None and rec["ci_reason"].startswith("n too small")
        assert str(n_items) in rec["ci_reason"]


def test_tournament_gives_an_interval_from_the_minimum_of_items() -> None:
    t = tournament(_games(MIN_BOOTSTRAP_UNITS))
    for rec in [*t["elo"].values(), t["asd"]]:
        lo, hi = rec["ci"]
        assert lo < hi and lo <= rec["estimate"] <= hi


CRITIQUE_ITEMS = {json.loads(line)["id"]: json.loads(line) for line in
                  (Path(__file__).resolve().parents[2] / "tasks" / "critique_answers.jsonl").read_text().splitlines()}


def _grade(item: str, report: str) -> int | None:
    it = CRITIQUE_ITEMS[item]
    return lexical_match(report, [f["description"] for f in it["flaws"]], 0.5, answer=it["answer"])[0]


@pytest.mark.parametrize(("item", "report"), [
    # says the passage's number is what the answer gives, and calls it fine
    ("varna-glacier", "Thinning of 38 metres is mentioned for the tongue, which retreated since 1958; fine."),
    # an omission report about a flaw that is a misstatement, not an omission
    ("varna-glacier", "The 38 metres figure for the tongue's retreat is missing; the answer should mention it."),
    ("quarry-street-lanes", "The two councillors who voted seven times for the parking plan are not named."),
    ("harrow-lighthouse", "The answer never mentions that Morrow's husband kept the light until 1902."),
])
def test_lexical_grader_does_not_credit_reports_that_echo_a_flaw_without_naming_it(item: str, report: str) -> None:
    assert _grade(item, report) is None


@pytest.mark.parametrize(("item", "want", "report"), [
    ("sourdough-starter", 2, "It leaves out that the acids also help the bread keep longer."),
    ("european-eel", 1, "Missing: the glass-eel and silver-eel stages, and that silver eels die after spawning once."),
    ("linden-garden", 2, "Doesn't mention the lease problem holding back the greenhouse: the lease ends in 2026."),
    ("varna-glacier", 0, "The thinning figure is off: ice near the centre lost 38 m, not 83."),
])
def test_lexical_grader_still_credits_omissions_and_misstatements_named_in_other_words(
        item: str, want: int, report: str) -> None:
    assert _grade(item, report) == want


@pytest.mark.parametrize(("k", "m"), [(2, 3), (1, 2), (3, 4), (5, 8)])
def test_one_cluster_cannot_show_its_correlation_so_it_counts_as_one_unit(k: int, m: int) -> None:
    """One transcript's (or one item's) outcomes have no between-cluster spread to estimate the
    correlation from (the residual of the only cluster is 0 by construction): the interval must
    not treat them as independent, but as Wilson over the one cluster at the same estimate."""
    got = cluster_proportion({"t0": (k, m)})
    assert got.ci == pytest.approx(list(wilson(k / m, 1.0)), abs=6e-5)
    assert got.ci[1] - got.ci[0] > proportion(k, m).ci[1] - proportion(k, m).ci[0]


def test_agreement_within_a_single_transcript_is_not_wilson_over_its_items() -> None:
    items = [("t0", "0", "0"), ("t0", "1", "1"), ("t0", "1", "0")]
    lo, hi = agreement_stats(items)["agreement_ci"]
    assert [lo, hi] == pytest.approx(list(wilson(2 / 3, 1.0)), abs=6e-5)


def test_a_summary_rating_with_no_rated_node_says_why_it_has_no_interval() -> None:
    rec = mean_ci({}, "rated nodes", 1.0, 7.0)
    assert rec["estimate"] is None and rec["ci"] is None and rec["n"] == 0
    # nothing valid to average, which is not the same as too few: the table says so
    assert rec["ci_reason"].startswith("no valid score") and rec["ci_method"] == "wilson-bounded over rated nodes"


def _debate_records(names: tuple[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    per = [[[0.7, 0.3], [0.5, 0.2]], [[0.1, 0.5], [0.7, 0.9]], [[0.9, 0.5], [0.7, 0.1]], [[0.7, 0.1], [0.9, 0.3]]]
    ts = [{"id": f"t{i}", "item_id": f"i{i}", "condition": "debate", "error": None} for i in range(4)]
    js = []
    for i, raters in enumerate(per):
        for name, ps in zip(names, raters):
            for order, p in zip(("original", "swapped"), ps):
                js.append({"id": f"t{i}-{name}-{order}", "transcript_id": f"t{i}", "judge": {"kind": "model", "id": name},
                           "order": order, "view_key": order, "correct": p > 0.5, "answer_index": 0 if p > 0.5 else 1,
                           "invalid": False, "p_correct": p, "created_at": "2026-01-01T00:00:00"})
    return ts, js


def test_renaming_judges_changes_no_pooled_number() -> None:
    """Which judge is called what decides the order the pooled row meets their records in; a
    float sum in that order moved mean p(correct) in its 4th decimal (0.5062 vs 0.5063)."""
    pooled = "all model judges (pooled)"
    first = debate_metrics(*_debate_records(("a", "b")), {"n_boot": 100})["conditions"]["debate"][pooled]
    second = debate_metrics(*_debate_records(("b", "a")), {"n_boot": 100})["conditions"]["debate"][pooled]
    assert first == second
