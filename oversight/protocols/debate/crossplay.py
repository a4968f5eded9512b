"""Debate's cross-run analysis: when the runs are debates between different debaters (models,
or best-of-N levels of a model: "MODEL bo4"), the tournament (Elo, Agent Score Difference) with
its table and the persuasiveness figure (Khan et al. 2024: judge accuracy in self-play against
the debater's Elo)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from oversight.core.words import count
from oversight.figures import caption, errbar, fit_title, method_name, new_figure
from oversight.protocol.reporting import CrossRunResult, CrossRunSection, RunInput
from oversight.protocols.debate import DebateProtocol
from oversight.protocols.debate.tournament import RunGames, games_from_runs, tournament
from oversight.stats.estimates import ci_cell


def player(run: RunInput, side: str) -> str | None:
    """Who debated on `side` of a run: its model, and its best-of-N level when above 1
    ("MODEL bo4"), so levels of one model are players of their own."""
    model = run.models.get(side)
    level = ((run.metrics.get("best_of_n") or {}).get("levels") or {}).get(side, 1)
    return model if model is None or level == 1 else f"{model} bo{level}"


def tournament_of(runs: list[RunInput]) -> dict[str, Any] | None:
    """Elo and ASD when the runs are debates between different debaters (models, or best-of-N
    levels of models)."""
    debates = [r for r in runs if r.metrics.get("protocol") == "debate" and "debate" in (r.metrics.get("conditions") or {})]
    players = {player(r, side) for r in debates for side in ("debater_a", "debater_b")} - {None}
    pairs = {(player(r, "debater_a"), player(r, "debater_b")) for r in debates}
    if len(players) < 2 or len(pairs) < 2:  # a tournament is several pairings of debaters
        return None
    inputs = []
    for r in debates:
        transcripts, judgments = r.read(DebateProtocol.metrics_outcome_keys)
        a, b = player(r, "debater_a"), player(r, "debater_b")
        assert a is not None and b is not None
        inputs.append(RunGames(r.name, a, b, transcripts, judgments))
    games, counts = games_from_runs(inputs)
    result = {**tournament(games), "counts": counts}
    judge = counts["judge"]
    self_play: dict[str, Any] = {}
    for r in debates:
        if player(r, "debater_a") == player(r, "debater_b"):
            rec = ((r.metrics["conditions"].get("debate") or {}).get(judge) or {}).get("accuracy")
            if rec:
                self_play[str(player(r, "debater_a"))] = {**rec, "run": r.name}
    result["self_play_accuracy"] = self_play
    return result


def _interval_text(rec: dict[str, Any]) -> str:
    ci = ci_cell(rec)
    return f"[{ci[0]}, {ci[1]}]" if isinstance(ci, list) else f"({ci or 'no interval'})"


def tournament_rows(t: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for model in t["players"]:
        elo, asd, acc = t["elo"].get(model) or {}, t["asd_by_model"].get(model) or {}, t["self_play_accuracy"].get(model)
        rows.append({"model": model, "Elo": elo.get("estimate"), "Elo CI": ci_cell(elo), "games": elo.get("n"),
                     "ASD": asd.get("estimate"), "ASD CI": ci_cell(asd),
                     "self acc": None if acc is None else acc.get("estimate")})
    return rows


def tournament_section(tour: dict[str, Any]) -> CrossRunSection:
    asd = tour["asd"]
    c = tour["counts"]
    return CrossRunSection("Debate tournament (cross-play)", tournament_rows(tour), [
        f"judge {c['judge']}; {count(tour['games'], 'game')} on {count(tour['items'], 'item')} "
        f"({tour['cross_play_games']} cross-play); "
        f"left out: {c['invalid_games']} invalid, {c['failed_transcripts']} failed, "
        f"{c['unjudged_transcripts']} unjudged",
        f"ASD (all games) {asd['estimate']} {_interval_text(asd)}; Elo relative to the mean debater; "
        "ASD per model: judge's mean p on its answer when honest minus when dishonest; self acc: judge "
        "accuracy in its self-play; CIs: percentile bootstrap over items"])


def persuasiveness_figure(tour: dict[str, Any]) -> Figure | None:
    """Judge accuracy in each debater's self-play against its Elo, with both intervals."""
    points = [(m, tour["elo"].get(m), tour["self_play_accuracy"].get(m)) for m in tour["players"]]
    points = [(m, e, a) for m, e, a in points if e and a]
    if not points:
        return None
    fig, ax = new_figure(6.0, 4.2)
    for model, elo, acc in points:
        ex, ey = errbar(elo), errbar(acc)
        assert ex is not None and ey is not None
        ax.errorbar([ex[0]], [ey[0]], xerr=[[ex[1]], [ex[2]]], yerr=[[ey[1]], [ey[2]]], fmt="o", capsize=3)
        ax.annotate(model, (ex[0], ey[0]), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.axhline(0.5, color="0.5", linestyle="--", linewidth=1)
    ax.set_xlabel("debater Elo (relative to the mean debater)")
    ax.set_ylabel("judge accuracy in self-play")
    ax.set_ylim(-0.06, 1.1)  # a point at 0 stays whole
    ax.margins(x=0.15)
    acc_methods = sorted({method_name(a.get("ci_method")) for _, _, a in points})
    caption(fig, f"{count(tour['games'], 'game')} on {count(tour['items'], 'item')}; Elo 95% CI: {method_name(tour['elo'][points[0][0]]['ci_method'])}"
                 f" ({tour['bootstrap']['resamples']} resamples); accuracy 95% CI: {'; '.join(acc_methods)}; "
                 f"n = {', '.join(str(a['n']) for _, _, a in points)} self-play transcripts")
    fit_title(fig, ax, f"Persuasiveness vs judge accuracy\njudge: {tour['counts']['judge']}")
    return fig


def crossplay(runs: list[RunInput]) -> CrossRunResult | None:
    """The tournament of the runs, its table and figure; None without several debater pairings."""
    tour = tournament_of(runs)
    if tour is None:
        return None
    fig = persuasiveness_figure(tour)
    return CrossRunResult(tour, [tournament_section(tour)], [] if fig is None else [("tournament_persuasiveness", fig)])


__all__ = ["crossplay", "persuasiveness_figure", "player", "tournament_of", "tournament_rows", "tournament_section"]
