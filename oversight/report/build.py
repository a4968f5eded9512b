"""`oversight report RUN_DIR... [--format table|json|csv|markdown] [--out DIR]`.

Recomputes every number from a run folder's files (a copied folder reports the same numbers),
writes metrics.json and the run's figures (RUN_DIR/plots), and prints the tables. With several
runs it adds the runs side by side (sweep values as columns) with one figure, and, when the runs
are a debate cross-play (debater models differ between runs), the tournament: Elo, Agent Score
Difference and judge accuracy against debater Elo. `--out DIR` also writes the report
(report.txt/json/csv/md) and the side-by-side and tournament figures there; without it, those
figures go to ./reports.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from oversight.core.safe_text import SafeConsole, line, text

from oversight.config.experiment import validate_params
from oversight.core.errors import UserError
from oversight.importers import imported_metrics
from oversight.core.atomic import write_atomic
from oversight.core.jsonl import FILE_MODE, Warn, dumps
from oversight.protocol.contract import get_protocol
from oversight.report.results import compute_metrics, stream_transcripts
from oversight.log.runfolder import RunFolder
from oversight.report.sidebyside import published_notes, side_by_side
from oversight.stats.estimates import ci_cell
from oversight.report.tables import (
    Section, agreement_section, legend_for, print_section, run_sections, status_lines, to_csv, to_markdown,
)

FORMATS = ("table", "json", "csv", "markdown")
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}


@dataclass
class RunReport:
    """One run's recomputed metrics and what a comparison needs to know about it."""

    folder: RunFolder
    metrics: dict[str, Any]
    models: dict[str, str]
    sweep_point: dict[str, Any]
    plots: list[Path]

    @property
    def name(self) -> str:
        return self.folder.run_id


def run_metrics(folder: RunFolder) -> dict[str, Any]:
    """metrics.json recomputed from the folder's files alone."""
    exp, meta = folder.experiment()
    protocol = get_protocol(exp.protocol)
    params = validate_params(protocol.Params, exp.params, str(folder.path / "experiment.yaml"))
    metrics = compute_metrics(protocol, params, folder, n_units=meta.get("units_planned"))
    published = imported_metrics(folder.path, meta)
    if published is not None:
        metrics["imported"] = published
    return metrics


def load_run(run_dir: Path, *, warn: Warn | None = None, plots: bool = True) -> RunReport:
    from oversight.report.plots import plot_run

    folder = RunFolder.open(run_dir, warn=warn)
    exp, meta = folder.experiment()
    metrics = run_metrics(folder)
    # A read-only or full run folder still reports (exit 0): what cannot be saved is a warning.
    folder.try_write_metrics(metrics)
    paths: list[Path] = []
    if plots:
        try:
            paths = plot_run(folder.path, metrics)
        except OSError as exc:
            if warn is not None:
                warn(f"{exc.filename or folder.path / 'plots'}: could not write ({exc.strerror or exc}); "
                     f"the figures of this run are not saved")
    return RunReport(folder, metrics, dict(exp.models), dict(meta.get("sweep_point") or {}), paths)


def _tournament(runs: list[RunReport]) -> dict[str, Any] | None:
    """Elo and ASD when the runs are debates between different debater models."""
    from oversight.protocols.debate import DebateProtocol
    from oversight.report.tournament import RunGames, games_from_runs, tournament

    debates = [r for r in runs if r.metrics.get("protocol") == "debate" and "debate" in (r.metrics.get("conditions") or {})]
    players = {r.models.get(side) for r in debates for side in ("debater_a", "debater_b")} - {None}
    pairs = {(r.models.get("debater_a"), r.models.get("debater_b")) for r in debates}
    if len(players) < 2 or len(pairs) < 2:  # a tournament is several pairings of debater models
        return None
    inputs = []
    for r in debates:
        transcripts, _ = stream_transcripts(r.folder, DebateProtocol.metrics_outcome_keys)
        judgments, _ = r.folder.judgments(transcripts)
        inputs.append(RunGames(r.name, r.models["debater_a"], r.models["debater_b"], transcripts, judgments))
    games, counts = games_from_runs(inputs)
    result = {**tournament(games), "counts": counts}
    judge = counts["judge"]
    self_play: dict[str, Any] = {}
    for r in debates:
        if r.models["debater_a"] == r.models["debater_b"]:
            rec = ((r.metrics["conditions"].get("debate") or {}).get(judge) or {}).get("accuracy")
            if rec:
                self_play[r.models["debater_a"]] = {**rec, "run": r.name}
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


def _role_totals(runs: list[RunReport]) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = {}
    for r in runs:
        for role, u in ((r.metrics.get("run") or {}).get("usage_by_role") or {}).items():
            t = totals.setdefault(role, {"role": role, "in tokens": 0, "out tokens": 0, "cost USD": 0.0})
            t["in tokens"] += u["input_tokens"]
            t["out tokens"] += u["output_tokens"]
            t["cost USD"] = None if t["cost USD"] is None or u.get("cost_usd") is None else t["cost USD"] + u["cost_usd"]
            t["cached"] = t.get("cached", 0) + u.get("cache_read_tokens", 0)
            if u.get("saved_usd") is not None:
                t["saved USD"] = t.get("saved USD", 0.0) + u["saved_usd"]
    rows = [totals[k] for k in sorted(totals)]
    cached = any(r["cached"] for r in rows)
    for r in rows:  # cache columns only with a prompt cache at work, then in every row
        if cached:
            r.setdefault("saved USD", None)
        else:
            r.pop("cached")
            r.pop("saved USD", None)
    return rows


def build_sections(runs: list[RunReport], tour: dict[str, Any] | None) -> list[Section]:
    sections: list[Section] = []
    if len(runs) == 1:
        sections += run_sections(runs[0].name, runs[0].metrics)
        sections[-1].legend = legend_for(sections[-1].rows)
    else:
        rows = side_by_side([(r.name, r.sweep_point, r.metrics) for r in runs])
        legend = legend_for(rows) + (published_notes([r.metrics for r in runs]) if any("published" in r for r in rows) else [])
        swept = all(r.sweep_point for r in runs)
        hide = ("run",) if swept else ()
        sections.append(Section("Runs side by side", rows, legend, hide))
        per_run = []
        for r in runs:
            run = r.metrics.get("run") or {}
            usage = run.get("usage") or {}
            per_run.append({"run": r.name, **r.sweep_point, "finished": run.get("units_finished"),
                            "failed": run.get("units_failed"), "judgments": run.get("judgments"),
                            "in tokens": usage.get("input_tokens"), "out tokens": usage.get("output_tokens"),
                            "cost USD": usage.get("cost_usd")})
        sections.append(Section("Units and usage per run", per_run, legend_for(per_run), hide))
        totals = _role_totals(runs)
        sections.append(Section("Usage per role, all runs", totals, legend_for(totals)))
    for r in runs:
        agreement = agreement_section(r.name, r.metrics)
        if agreement:
            sections.append(agreement)
    if tour:
        asd = tour["asd"]
        c = tour["counts"]
        sections.append(Section("Debate tournament (cross-play)", tournament_rows(tour), [
            f"judge {c['judge']}; {tour['games']} games on {tour['items']} items ({tour['cross_play_games']} cross-play); "
            f"left out: {c['invalid_games']} invalid, {c['failed_transcripts']} failed, "
            f"{c['unjudged_transcripts']} unjudged",
            f"ASD (all games) {asd['estimate']} {_interval_text(asd)}; Elo relative to the mean debater; "
            "ASD per model: judge's mean p on its answer when honest minus when dishonest; self acc: judge "
            "accuracy in its self-play; CIs: percentile bootstrap over items"]))
    return sections


def render(sections: list[Section], fmt: str, document: dict[str, Any], width: int) -> str:
    if fmt == "json":
        return dumps(document, indent=2) + "\n"
    if fmt == "csv":
        return to_csv(sections)
    if fmt == "markdown":
        return to_markdown(sections)
    buf = SafeConsole(file=io.StringIO(), width=width, color_system=None, highlight=False)
    for section in sections:
        print_section(buf, section)
    return buf.file.getvalue()  # type: ignore[attr-defined]


def report(run_dirs: list[Path], console: Console, *, fmt: str = "table", out: Path | None = None,
           warn: Warn | None = None) -> dict[str, Any]:
    """Recompute, write metrics.json and figures, print the report; returns the JSON document."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    runs = [load_run(Path(d), warn=warn) for d in run_dirs]
    tour = _tournament(runs) if len(runs) > 1 else None
    sections = build_sections(runs, tour)
    document: dict[str, Any] = {
        "runs": [{"run": r.name, "path": str(r.folder.path), "sweep_point": r.sweep_point, "models": r.models,
                  "metrics": r.metrics} for r in runs],
        "side_by_side": sections[0].rows if len(runs) > 1 else None,
        "tournament": tour,
    }
    figures = [p for r in runs for p in r.plots]
    if len(runs) > 1:
        from oversight.report.plots.compare import compare_plots

        figures += compare_plots(runs, tour, out or Path("reports"))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / f"report.{SUFFIX[fmt]}", render(sections, fmt, document, 80).encode("utf-8"),
                     fsync=True, mode=FILE_MODE)
    if fmt == "table":
        for section in sections:
            print_section(console, section)
        if len(runs) == 1:
            for status in status_lines(runs[0].metrics):
                console.print(text(status), highlight=False)
        cross = [p for p in figures if not any(p.is_relative_to(r.folder.path) for r in runs)]
        console.print(line(f"figures (PNG, SVG): {len(figures) - len(cross)} in RUN_DIR/plots"
                           + (f"; {len(cross)} across runs in {cross[0].parent}" if cross else "")),
                      highlight=False, soft_wrap=True)
    else:
        console.out(render(sections, fmt, document, console.width), end="", highlight=False)
    return document
