"""The tables after a run or a re-judging: results, usage per role, agreement, status lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from oversight.core.safe_text import line, text
from oversight.core.words import count
from oversight.report.tables import Section, legend_for, print_section
from oversight.stats.agreement import agreement_rows


def usage_rows(metrics: dict[str, Any], by_role: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per role: tokens and cost; with prompt caching at work also the prompt tokens the cache
    served (`cached`), wrote (`written`) and what it saved against the list price. `by_role`:
    other calls than the run's own (a re-judging's), in the same shape."""
    if by_role is None:
        by_role = (metrics.get("run") or {}).get("usage_by_role") or {}
    cached = any(u.get("cache_read_tokens") or u.get("cache_write_tokens") for u in by_role.values())
    rows = []
    for role, u in by_role.items():
        row: dict[str, Any] = {"role": role, "in tokens": u["input_tokens"]}
        if cached:
            row.update({"cached": u.get("cache_read_tokens", 0), "written": u.get("cache_write_tokens", 0)})
        row.update({"out tokens": u["output_tokens"], "cost USD": _usd(u.get("cost_usd"))})
        if cached:
            row["saved USD"] = _usd(u.get("saved_usd"))
        rows.append(row)
    return rows


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _protocols(metrics: dict[str, Any], protocol: str | None) -> list[str] | None:
    """The run's protocol as a list for `legend_for` (None, every installed one, when unknown)."""
    name = protocol or metrics.get("protocol")
    return [str(name)] if name else None


def run_sections(run_name: str, metrics: dict[str, Any], protocol: str | None = None,
                 usage_title: str = "Usage") -> list[Section]:
    """A run's results, published figures of an imported run, and usage per role."""
    table = metrics.get("table") or []
    protocols = _protocols(metrics, protocol)
    sections = [Section(f"Results: {run_name}", table, legend_for(table, protocols),
                        full_legend=legend_for(table, protocols, short=False))]
    imported = (metrics.get("imported") or {}).get("table")
    if imported:
        notes = (metrics.get("imported") or {}).get("notes") or {}
        extra = [f"{k}: {v}" for k, v in notes.items()]
        sections.append(Section("Published figures, recomputed from the imported sessions", imported,
                                legend_for(imported, protocols) + extra,
                                full_legend=legend_for(imported, protocols, short=False) + extra))
    usage = usage_rows(metrics)
    sections.append(Section(usage_title, usage, [USAGE_LEGEND] if usage else []))
    return sections


USAGE_LEGEND = ("billed over the whole run: every attempt of every session, a failed attempt's calls included; "
                "a call the response cache answered counts 0 tokens")


def agreement_section(run_name: str, metrics: dict[str, Any]) -> Section | None:
    """Judges that judged the same transcripts and views, side by side (metrics["agreement"])."""
    rows = metrics.get("agreement") or []
    if not rows:
        return None
    return Section(f"Agreement between judges: {run_name}", agreement_rows(rows),
                   [f"Cohen's kappa; views: views both judges judged, from that many transcripts; pairs: their "
                    f"verdict pairs on those views; labels: the labels compared (one per pick, an unreadable verdict "
                    f"being a label of its own, 'invalid', or one per part the protocol compares); unscored: "
                    f"judgments with no label (a failed call), never compared; intervals: {rows[0]['method']}"])


LEFT_OUT = {"retracted": "withdrawn by their judge (undo)", "retried": "failed calls judged again",
            "stale_attempt": "of a crashed attempt", "unknown_transcript": "naming no transcript of this run"}
"""How each reason a judgment is left out reads in the status line."""


def status_lines(metrics: dict[str, Any]) -> list[str]:
    run = metrics.get("run", {})
    lines = []
    left_out = {k: v for k, v in (run.get("judgments_left_out") or {}).items() if v}
    if left_out:
        lines.append("judgments left out: " + ", ".join(f"{v} {LEFT_OUT.get(k, k.replace('_', ' '))}"
                                                        for k, v in left_out.items()))
    failed = run.get("units_failed", 0)  # units_finished counts every transcript, failed ones too
    lines.append(f"units: {run.get('units_finished', 0) - failed} finished, {failed} failed"
                 + (f" (of {run['units_planned']})" if run.get("units_planned") is not None else "")
                 + (f"; {count(run['units_outside_plan'], 'transcript')} outside the plan left out"
                    if run.get("units_outside_plan") else ""))
    return lines


def print_summary(console: Console, run_dir: Path, metrics: dict[str, Any], protocol: str | None = None,
                  extra_usage: tuple[str, dict[str, dict[str, Any]]] | None = None) -> None:
    """The tables after a run (or a re-judging): results, usage, agreement and status lines.
    `extra_usage` (title, per-role usage) is a re-judging's own calls, shown beside the run's."""
    agreement = agreement_section(run_dir.name, metrics)
    sections = run_sections(run_dir.name, metrics, protocol,
                            "Usage of the run's own calls" if extra_usage else "Usage")
    if extra_usage:
        sections.append(Section(extra_usage[0], usage_rows(metrics, extra_usage[1])))
    print_unscored(console, sections[0])
    for section in sections + ([agreement] if agreement else []):
        print_section(console, section)
    print_status(console, run_dir, metrics)
    console.print(line("run folder: ", text(run_dir.resolve(), "bold", one_line=True)), soft_wrap=True, highlight=False)


def print_unscored(console: Console, results: Section) -> None:
    """A results table with no row is said in words, not left out without a trace."""
    if not results.rows:
        console.print(text(f"{results.title}: nothing to score, no unit finished without failing", "bold"),
                      highlight=False)


def print_status(console: Console, run_dir: Path, metrics: dict[str, Any]) -> None:
    """The status lines, and for failed units the command that runs them again."""
    for status in status_lines(metrics):
        console.print(text(status), highlight=False)
    if (metrics.get("run") or {}).get("units_failed"):
        console.print(text("failed units are left out of every score; run them again with:"), highlight=False)
        console.print(text(f"  oversight run --resume {run_dir} --retry-failed", one_line=True),
                      highlight=False, soft_wrap=True)  # a command to copy whole, however long its path
