"""`oversight report RUN_DIR... [--format table|json|csv|markdown] [--out DIR]`.

Recomputes every number from a run folder's files (a copied folder reports the same numbers),
writes metrics.json and the run's figures (RUN_DIR/plots), and prints the tables. With several
runs it adds the runs side by side (sweep values as columns) with one figure, and whatever each
protocol's cross-run hook makes of its runs (for debate cross-play, the tournament). `--out DIR`
also writes the report (report.txt/json/csv/md) and the figures across runs there; without it,
those figures go beside the runs (their common parent folder).
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

from rich.console import Console

from oversight.core.safe_text import SafeConsole, text

from oversight.config.experiment import validate_params
from oversight.core.errors import UserError
from oversight.protocol.importing import imported_metrics
from oversight.core.atomic import write_atomic
from oversight.core.jsonl import FILE_MODE, Warn, dumps
from oversight.protocol.registry import get_protocol
from oversight.protocol.reporting import CrossRunResult
from oversight.report.crossrun import RunReport, cross_run_results
from oversight.report.outputs import cross_run_folder, figure_lines
from oversight.report.results import compute_metrics
from oversight.log.runfolder import RunFolder
from oversight.protocol.shapes import open_folder
from oversight.report.sidebyside import published_notes, side_by_side
from oversight.report.formats import to_csv, to_markdown
from oversight.report.summary import agreement_section, print_status, print_unscored, run_sections
from oversight.report.tables import Section, legend_for, print_section

FORMATS = ("table", "json", "csv", "markdown")
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}


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
    folder = open_folder(run_dir, warn=warn)
    exp, meta = folder.experiment()
    metrics = run_metrics(folder)
    # A read-only or full run folder still reports (exit 0): what cannot be saved is a warning.
    folder.try_write_metrics(metrics)
    # The hooks are found by the run's protocol; metrics.json stays as the protocol wrote it.
    if "protocol" not in metrics:
        metrics = {**metrics, "protocol": exp.protocol}
    paths = draw_figures(folder.path, metrics, exp.protocol, warn=warn) if plots else []
    return RunReport(folder, metrics, dict(exp.models), dict(meta.get("sweep_point") or {}), paths)


def load_figures_behind(protocol: str) -> threading.Thread:
    """Import matplotlib and the protocol's drawer in a thread, while a run mostly waits on its
    model calls, so the figures at its end need not wait for them; join it before drawing. A
    failure here is left for the drawing itself to report, with its own message."""
    def load() -> None:
        try:
            from oversight.report.plots import drawer_for

            drawer_for({"protocol": protocol})
        except Exception:  # noqa: BLE001  (draw_figures raises it again, as the user should see it)
            pass

    thread = threading.Thread(target=load, name="oversight-figure-imports", daemon=True)
    thread.start()
    return thread


def draw_figures(run_dir: Path, metrics: dict[str, Any], protocol: str, *, warn: Warn | None = None) -> list[Path]:
    """The run's figures in RUN_DIR/plots; a folder that cannot be written is a warning, not a failure."""
    from oversight.report.plots import plot_run  # lazy: matplotlib only when drawing

    if "protocol" not in metrics:  # the drawer is found by the run's protocol
        metrics = {**metrics, "protocol": protocol}
    try:
        return plot_run(run_dir, metrics)
    except OSError as exc:
        if warn is not None:
            warn(f"{exc.filename or run_dir / 'plots'}: could not write ({exc.strerror or exc}); "
                 f"the figures of this run are not saved")
        return []


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


def build_sections(runs: list[RunReport], cross: dict[str, CrossRunResult | None]) -> list[Section]:
    sections: list[Section] = []
    if len(runs) == 1:
        sections += run_sections(runs[0].name, runs[0].metrics)
        sections[-1].legend = legend_for(sections[-1].rows, [])
        sections[-1].full_legend = legend_for(sections[-1].rows, [], short=False)
    else:
        rows = side_by_side([(r.name, r.sweep_point, r.metrics) for r in runs])
        protocols = list(dict.fromkeys(str(r.metrics.get("protocol")) for r in runs))
        published = published_notes([r.metrics for r in runs]) if any("published" in r for r in rows) else []
        legend = legend_for(rows, protocols) + published
        full_legend = legend_for(rows, protocols, short=False) + published
        swept = all(r.sweep_point for r in runs)
        hide = ("run",) if swept else ()
        sections.append(Section("Runs side by side", rows, legend, hide, full_legend))
        per_run = []
        for r in runs:
            run = r.metrics.get("run") or {}
            usage = run.get("usage") or {}
            per_run.append({"run": r.name, **r.sweep_point, "finished": run.get("units_finished"),
                            "failed": run.get("units_failed"), "judgments": run.get("judgments"),
                            "in tokens": usage.get("input_tokens"), "out tokens": usage.get("output_tokens"),
                            "cost USD": usage.get("cost_usd")})
        sections.append(Section("Units and usage per run", per_run, legend_for(per_run, []), hide,
                                legend_for(per_run, [], short=False)))
        totals = _role_totals(runs)
        sections.append(Section("Usage per role, all runs", totals, legend_for(totals, []),
                                full_legend=legend_for(totals, [], short=False)))
    for r in runs:
        agreement = agreement_section(r.name, r.metrics)
        if agreement:
            sections.append(agreement)
    for result in cross.values():
        for extra in result.sections if result else []:
            sections.append(Section(extra.title, extra.rows, extra.legend))
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


def compare_figures(runs: list[RunReport]) -> list[Path]:
    """The runs side by side (and each protocol's cross-run figures), beside the runs."""
    from oversight.report.plots.compare import compare_plots  # lazy: matplotlib only when drawing

    return compare_plots(runs, cross_run_results(runs), cross_run_folder([r.folder.path for r in runs], None))


def report(run_dirs: list[Path], console: Console, *, fmt: str = "table", out: Path | None = None,
           warn: Warn | None = None) -> dict[str, Any]:
    """Recompute, write metrics.json and figures, print the report; returns the JSON document."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    runs = [load_run(Path(d), warn=warn) for d in run_dirs]
    cross = cross_run_results(runs) if len(runs) > 1 else {}
    sections = build_sections(runs, cross)
    document: dict[str, Any] = {
        "runs": [{"run": r.name, "path": str(r.folder.path), "sweep_point": r.sweep_point, "models": r.models,
                  "metrics": r.metrics} for r in runs],
        "side_by_side": sections[0].rows if len(runs) > 1 else None,
        **{key: None if result is None else result.data for key, result in cross.items()},
    }
    figures = [p for r in runs for p in r.plots]
    if len(runs) > 1:
        from oversight.report.plots.compare import compare_plots  # lazy: matplotlib only when drawing

        where = cross_run_folder([r.folder.path for r in runs], out)
        try:
            figures += compare_plots(runs, cross, where)
        except OSError as exc:  # the tables still print; the figures across runs need a writable folder
            if warn is not None:
                warn(f"{exc.filename or where}: could not write ({exc.strerror or exc}); the figures across "
                     f"runs are not saved (choose a folder with --out DIR)")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / f"report.{SUFFIX[fmt]}", render(sections, fmt, document, 80).encode("utf-8"),
                     fsync=True, mode=FILE_MODE)
    if fmt == "table":
        if len(runs) == 1:
            print_unscored(console, sections[0])
        for section in sections:
            print_section(console, section)
        if len(runs) == 1:
            print_status(console, runs[0].folder.path, runs[0].metrics)
        mine = [p for p in figures if any(p.is_relative_to(r.folder.path) for r in runs)]
        across = [p for p in figures if p not in mine]
        for shown in figure_lines(mine) + figure_lines(across, across=True):
            console.print(text(shown), highlight=False, soft_wrap=True)
    else:
        console.out(render(sections, fmt, document, console.width), end="", highlight=False)
    return document
