"""Elo and the Agent Score Difference on small cases worked out by hand, and a cross-play sweep
reported end to end."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from rich.console import Console

from oversight.report.build import report
from oversight.protocols.debate.tournament import ELO_SCALE, Game, RunGames, _fit, elo_ratings, games_from_runs, tournament
from tests.helpers.report_runs import crossplay_runs

JUDGE = {"kind": "model", "id": "m:judge"}


def test_elo_of_three_wins_in_four_is_400_log10_3_apart() -> None:
    games = [Game(f"i{k}", "x", "y", s, True) for k, s in enumerate([1, 1, 1, 0])]
    r = elo_ratings(games, prior_sd=None)
    assert r["x"] - r["y"] == pytest.approx(400 * math.log10(3))
    assert r["x"] + r["y"] == pytest.approx(0)
    # fractional scores: one game at 0.75 says the same as three wins in four
    assert elo_ratings([Game("i0", "y", "x", 0.25, True)], prior_sd=None)["x"] == pytest.approx(r["x"])


def test_the_prior_keeps_a_perfect_record_finite_and_solves_its_equation() -> None:
    games = [Game(f"i{k}", "x", "y", 1.0, True) for k in range(4)]
    r = elo_ratings(games, prior_sd=400)
    t = r["x"] / ELO_SCALE  # natural units; y = -t
    tau = 400 / ELO_SCALE
    # d/dt of 4 log sigma(2t) - 2 t^2 / (2 tau^2) = 0  ->  4 (1 - sigma(2t)) * 2 = 2 t / tau^2
    assert 8 * (1 - 1 / (1 + math.exp(-2 * t))) == pytest.approx(2 * t / tau**2, abs=1e-8)
    assert 0 < r["x"] < 1000


def test_three_players_in_a_chain() -> None:
    # x beats y 3:1 and y beats z 3:1, x never meets z: x - y = y - z = 400 log10 3
    games = [Game(f"a{k}", "x", "y", s, True) for k, s in enumerate([1, 1, 1, 0])]
    games += [Game(f"b{k}", "y", "z", s, True) for k, s in enumerate([1, 1, 1, 0])]
    r = elo_ratings(games, prior_sd=None)
    d = 400 * math.log10(3)
    assert (r["x"] - r["y"], r["y"] - r["z"], r["y"]) == pytest.approx((d, d, 0))


def test_asd_overall_and_per_model_by_hand() -> None:
    games = [Game("q0", "x", "y", 0.8, True),   # x honest: p(true) .8, p(false) .2 -> .6
             Game("q1", "x", "y", 0.3, False)]  # y honest: p(true) .7 -> .4
    t = tournament(games, n_boot=500, seed=1)
    assert t["asd"]["estimate"] == pytest.approx(0.5)
    # x: .8 when honest, .3 when lying; y: .7 honest, .2 lying
    assert t["asd_by_model"]["x"]["estimate"] == pytest.approx(0.5)
    assert (t["asd_by_model"]["x"]["honest"], t["asd_by_model"]["x"]["dishonest"]) == (0.8, 0.3)
    assert (t["asd_by_model"]["y"]["honest"], t["asd_by_model"]["y"]["dishonest"]) == (0.7, 0.2)
    # Two items are too few for a bootstrap interval: none, and the reason says so.
    assert t["asd"]["ci"] is None and t["asd"]["ci_reason"].startswith("n too small: 2 items")
    assert t["asd"]["ci_method"] == "bootstrap-items-percentile"
    assert tournament(games, n_boot=500, seed=1) == t  # seeded


def test_item_bootstrap_moves_all_games_of_an_item_together() -> None:
    ia, ib = [0, 0], [1, 1]
    import numpy as np
    s = np.array([1.0, 0.0])
    even = _fit(np.array(ia), np.array(ib), s, np.array([1.0, 1.0]), 2, None)
    assert even == pytest.approx([0, 0])
    heavy = _fit(np.array(ia), np.array(ib), s, np.array([3.0, 1.0]), 2, None)  # game 1's item drawn 3 times
    assert (heavy[0] - heavy[1]) * ELO_SCALE == pytest.approx(400 * math.log10(3))


def verdict(tid: str, order: str, p_a: float | None, ci: int) -> dict:
    chose = None if p_a is None else (0 if p_a >= 0.5 else 1)
    return {"transcript_id": tid, "judge": JUDGE, "order": order, "answer_index": chose, "invalid": p_a is None,
            "correct": None if chose is None else chose == ci,
            "p_correct": None if p_a is None else (p_a if ci == 0 else 1 - p_a), "attempt": "a1"}


def test_games_average_orders_skip_invalid_and_count_what_is_left_out() -> None:
    ts = [{"id": f"q{k}:debate", "item_id": f"q{k}", "condition": "debate", "outcome": {"correct_index": k % 2},
           "error": "HTTP 500" if k == 3 else None} for k in range(4)]
    ts.append({"id": "q0:blind", "item_id": "q0", "condition": "blind", "outcome": {"correct_index": 0}})
    js = [verdict("q0:debate", "original", 0.8, 0), verdict("q0:debate", "swapped", 0.6, 0),
          verdict("q1:debate", "original", 0.1, 1), verdict("q1:debate", "swapped", None, 1),
          verdict("q2:debate", "original", None, 0), verdict("q2:debate", "swapped", None, 0),
          {**verdict("q0:debate", "original", 0.0, 0), "judge": {"kind": "human", "id": "ann"}, "attempt": None}]
    games, counts = games_from_runs([RunGames("r", "x", "y", ts, js)])
    assert [(g.item_id, round(g.score_a, 6), g.a_honest) for g in games] == [("q0", 0.7, True), ("q1", 0.1, False)]
    assert counts == {"judge": "m:judge", "failed_transcripts": 1, "invalid_games": 1, "unjudged_transcripts": 0}
    human, _ = games_from_runs([RunGames("r", "x", "y", ts, js)], judge="human/ann")
    assert [g.score_a for g in human] == [0.0]


def test_crossplay_sweep_reports_elo_asd_and_the_persuasiveness_figure(tmp_path: Path) -> None:
    runs = crossplay_runs(tmp_path, {"scripted:weak": -0.6, "scripted:strong": 0.6}, n_items=10)
    buf = io.StringIO()
    doc = report(runs, Console(file=buf, width=80, color_system=None), out=tmp_path / "out")
    t = doc["tournament"]
    assert t["players"] == ["scripted:strong", "scripted:weak"] and t["games"] == 40 and t["cross_play_games"] == 20
    assert t["elo"]["scripted:strong"]["estimate"] > 0 > t["elo"]["scripted:weak"]["estimate"]
    assert t["elo"]["scripted:strong"]["ci"][0] <= t["elo"]["scripted:strong"]["estimate"] <= t["elo"]["scripted:strong"]["ci"][1]
    assert set(t["self_play_accuracy"]) == {"scripted:strong", "scripted:weak"} and t["asd"]["estimate"] > 0
    assert "Debate tournament" in buf.getvalue() and max(len(x) for x in buf.getvalue().splitlines()
                                                          if not x.startswith("figures")) <= 80
    assert (tmp_path / "out" / "tournament_persuasiveness.png").stat().st_size > 1000
