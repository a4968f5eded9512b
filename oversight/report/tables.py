"""The tables printed after a run and by `oversight report` (rendering only; no numbers made here).

A report is a list of `Section`s (title, rows, legend). Rendered for a terminal, rows become
compact tables that fit the console: short headers, the interval as "lo-hi" and its method as
an abbreviation, both explained in a legend under the table; rows whose fields differ (results
and comparisons) or that belong to different judges or runs become separate tables; and a table
still wider than the console is shown vertically, one block per row. The same sections render
as Markdown, CSV (one long table with a `table` column) or JSON.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from oversight.stats.methods import METHODS
from oversight.stats.agreement import agreement_rows
from oversight.core.safe_text import line, text

HEADERS = {"95% CI": "95% CI", "ci": "95% CI", "method": "m", "ci_method": "m", "estimate": "est", "value": "est",
           "acc": "acc", "severity": "sev", "invalid": "inv", "failed": "fail", "units failed": "u fail", "published": "published",
           "finished": "done", "judgments": "judg", "in tokens": "in tok", "out tokens": "out tok",
           "cost USD": "USD", "saved USD": "saved"}
NOTES = {
    "acc": "accuracy: each rater's verdict on a transcript counts once (with both answer orders judged, "
           "its order-averaged verdict: p(correct) averaged, a tie at 0.5 counts half)",
    "orig": "accuracy, original answer order", "swap": "accuracy, swapped order",
    "1st": "share of valid verdicts for the answer shown first (position bias)",
    "inv": "invalid verdicts / all verdicts",
    "fail": "judge calls that failed after retries / calls made (never scored: left out of every estimate)",
    "u fail": "failed units (transcripts that did not finish)", "sev": "flaw severity",
    "grader": "how reports were matched to gold flaws: lexical = content-word overlap with the flaw's correction "
              "(the rule is in metrics.json, grader_methods), model = a grader model",
    "rated": "nodes with a valid rating on that scale / nodes of the stage",
    "unres": "answer letters the swapped view left as written (marked as such), in how many of the "
             "transcripts judged swapped",
    "n": "units behind the estimate (verdicts, transcripts, items or games)", "judg": "judgments",
    "left out": "items of a comparison judged in only one of its two conditions (not used)",
    "in tok": "input tokens", "out tok": "output tokens", "USD": "cost in USD where the price is known",
    "cached": "input tokens served from the provider's prompt cache (billed at its cache-read rate)",
    "written": "input tokens written to the provider's prompt cache (billed at its cache-write rate)",
    "saved": "USD prompt caching saved against the list price of the same tokens",
}
SPLIT_KEYS = ("judge", "run")
FIELDS = ""
NARROW_SPLITS = (FIELDS, "sev", "metric", "condition")
"""How a too-wide table is split, in this order, before it is shown vertically: FIELDS puts
consecutive rows with different fields (results, comparisons) in separate tables; a name splits
by that column's value."""
_LEFT = {"condition", "metric", "run", "role", "order", "judge", "model", "published", "table"}


@dataclass
class Section:
    """One table of a report; `legend` lines are printed under it."""

    title: str
    rows: list[dict[str, Any]]
    legend: list[str] = field(default_factory=list)
    hide: tuple[str, ...] = ()
    """Fields left out of the terminal table only (e.g. long run names when sweep values say it)."""


def _num(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return f"[{_num(float(value[0]))},{_num(float(value[1]))}]"
        if all(v is None for v in value):
            return "n/a"
    return "n/a" if value is None else str(value)


def compact(row: dict[str, Any], hide: tuple[str, ...] = ()) -> dict[str, Any]:
    """Short headers (a dotted sweep key by its last part), method abbreviations."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in hide:
            continue
        if "." in key and key not in HEADERS:
            key = key.rsplit(".", 1)[-1]
        if key in ("method", "ci_method") and isinstance(value, str):
            value = METHODS.get(value, (value, value))[0]
        out[HEADERS.get(key, key)] = value
    return out


def legend_for(rows: list[dict[str, Any]]) -> list[str]:
    """Lines explaining the abbreviations these rows use."""
    methods = sorted({r.get("method") or r.get("ci_method") for r in rows} - {None}, key=str)
    lines = []
    if methods:
        lines.append("m = CI method: " + "; ".join(f"{METHODS.get(m, (m, m))[0]} {METHODS.get(m, (m, m))[1]}"
                                                   for m in methods))
    keys = {HEADERS.get(k, k) for r in rows for k in r}
    notes = [f"{k}: {v}" for k, v in NOTES.items()
             if (k in keys or any(x.endswith(f" {k}") for x in keys)) and k != "n"]
    if notes:
        lines.append("; ".join(notes))
    return lines


def _groups(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Consecutive rows with the same values of `keys` form one table, titled by those values."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    previous: tuple[Any, ...] | None = None
    for row in rows:
        split = {k: row[k] for k in keys if k in row}
        key = tuple(split.items())
        if key != previous or not out:
            out.append((", ".join(f"{k} {v}" for k, v in split.items()), []))
            previous = key
        out[-1][1].append({k: v for k, v in row.items() if k not in split})
    return out


def _by_fields(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for row in rows:
        if not out or tuple(out[-1][1][-1]) != tuple(row):
            out.append(("", []))
        out[-1][1].append(row)
    return out


def _horizontal(rows: list[dict[str, Any]], title: str | None = None, *, wrap: bool = False) -> Table:
    table = Table(title=None if title is None else text(title, one_line=True), title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False,
                  title_style="bold", show_edge=False)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    for column in columns:
        values = [r[column] for r in rows if r.get(column) is not None]
        words = bool(values) and all(isinstance(v, str) and not v[:1].isdigit() for v in values)
        table.add_column(_shown(column), justify="left" if column in _LEFT or words else "right", no_wrap=not wrap)
    for row in rows:
        table.add_row(*(_shown(_cell(row[c])) if c in row else "" for c in columns))
    return table


def _vertical(rows: list[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_header=False, show_edge=False)
    table.add_column("field", justify="left", style="dim", no_wrap=True)
    table.add_column("value", justify="left", overflow="fold")
    for i, row in enumerate(rows):
        if i:
            table.add_section()
        for key, value in row.items():
            table.add_row(_shown(key), _shown(_cell(value)))
    return table


def _shown(value: str) -> Any:
    """A header or cell as Text: a judge id or sweep value is shown as written, never read as
    Rich markup (a `[link=...]` in an id stays text) and with control characters made visible."""
    return text(value, one_line=True)


def _width(table: Table) -> int:
    probe = Console(file=io.StringIO(), width=1000, color_system=None)
    probe.print(table)
    return max((len(line.rstrip()) for line in probe.file.getvalue().splitlines()), default=0)  # type: ignore[attr-defined]


def _fit(rows: list[dict[str, Any]], width: int, splits: tuple[str, ...]) -> list[tuple[str, Table]]:
    """(subtitle, table) pairs no wider than `width`: horizontal if it fits, else split by the
    next column of `splits` present in the rows, else vertical."""
    table = _horizontal(rows)
    if _width(table) <= width:
        return [("", table)]
    same = [k for k in rows[0] if isinstance(rows[0][k], str) and len(rows) > 1
            and all(k in r and r[k] == rows[0][k] for r in rows)]
    if same:  # a column with one value throughout: say it once, above the table
        rest = [{k: v for k, v in r.items() if k not in same} for r in rows]
        return [(", ".join(filter(None, (", ".join(f"{k} {rows[0][k]}" for k in same), sub))), t)
                for sub, t in _fit(rest, width, splits)]
    for i, key in enumerate(splits):
        if key == FIELDS and len({tuple(r) for r in rows}) > 1:
            groups = _by_fields(rows)
        elif key != FIELDS and any(key in r for r in rows) and len({str(r.get(key)) for r in rows}) > 1:
            groups = _groups(rows, (key,))
        else:
            continue
        if groups:
            out = []
            for sub, group in groups:
                out += [(", ".join(filter(None, (sub, deeper))), t) for deeper, t in _fit(group, width, splits[i + 1:])]
            return out
    return [("", _vertical(rows))]


def fitted_tables(rows: list[dict[str, Any]], width: int, hide: tuple[str, ...] = ()) -> list[tuple[str, Table]]:
    """The rows as (subtitle, table) pairs no wider than `width`: one table per judge or run,
    horizontal when it fits, split by severity/metric/condition when not, else vertical."""
    out = []
    for sub, group in _groups([compact(r, hide) for r in rows], SPLIT_KEYS):
        out += [(", ".join(filter(None, (sub, deeper))), t) for deeper, t in _fit(group, width, NARROW_SPLITS)]
    return out


def print_section(console: Console, section: Section) -> None:
    if not section.rows:
        return
    console.print(text(section.title, "bold", one_line=True), highlight=False)
    for sub, table in fitted_tables(section.rows, console.width, section.hide):
        if sub:
            console.print(text(sub, "italic", one_line=True), highlight=False)
        console.print(table)
    for legend in section.legend:
        console.print(text(legend, "dim"), highlight=False)


def rows_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """One table of `rows` as given, cells wrapping when narrow (the dry run's listing)."""
    return _horizontal(rows, title, wrap=True)


# ---- other formats ------------------------------------------------------------------------------

def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """CI as two columns, for CSV and Markdown readers."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("95% CI", "ci") and isinstance(value, (list, tuple)) and len(value) == 2:
            out["ci_low"], out["ci_high"] = value
        else:
            out[key] = value
    return out


def to_csv(sections: list[Section]) -> str:
    rows = [{"table": s.title, **_flat(r)} for s in sections for r in s.rows]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), restval="", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def to_markdown(sections: list[Section]) -> str:
    out: list[str] = []
    for s in sections:
        if not s.rows:
            continue
        rows = [_flat(r) for r in s.rows]
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        out += [f"### {s.title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in rows:
            out.append("| " + " | ".join(_cell(row.get(c)).replace("|", "\\|") if c in row else "" for c in columns)
                       + " |")
        out += [""] + [f"{line}  " for line in s.legend] + [""]
    return "\n".join(out)


# ---- the summary after a run --------------------------------------------------------------------

def usage_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Per role: tokens and cost; with prompt caching at work also the prompt tokens the cache
    served (`cached`), wrote (`written`) and what it saved against the list price."""
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


def run_sections(run_name: str, metrics: dict[str, Any]) -> list[Section]:
    """A run's results, published figures of an imported run, and usage per role."""
    table = metrics.get("table") or []
    sections = [Section(f"Results: {run_name}", table, legend_for(table))]
    imported = (metrics.get("imported") or {}).get("table")
    if imported:
        sections.append(Section("Published figures, recomputed from the imported sessions", imported,
                                legend_for(imported)))
    sections.append(Section("Usage", usage_rows(metrics)))
    return sections


def agreement_section(run_name: str, metrics: dict[str, Any]) -> Section | None:
    """Judges that judged the same transcripts and views, side by side (metrics["agreement"])."""
    rows = metrics.get("agreement") or []
    if not rows:
        return None
    return Section(f"Agreement between judges: {run_name}", agreement_rows(rows),
                   [f"Cohen's kappa; pairs: verdict pairs on shared views; intervals: {rows[0]['method']}"])


def status_lines(metrics: dict[str, Any]) -> list[str]:
    run = metrics.get("run", {})
    lines = []
    left_out = {k: v for k, v in (run.get("judgments_left_out") or {}).items() if v}
    if left_out:
        lines.append("judgments left out: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in left_out.items()))
    lines.append(f"units: {run.get('units_finished', 0)} finished, {run.get('units_failed', 0)} failed"
                 + (f" (of {run['units_planned']})" if run.get("units_planned") is not None else "")
                 + (f"; {run['units_outside_plan']} transcripts outside the plan left out"
                    if run.get("units_outside_plan") else ""))
    return lines


def print_summary(console: Console, run_dir: Path, metrics: dict[str, Any]) -> None:
    agreement = agreement_section(run_dir.name, metrics)
    for section in run_sections(run_dir.name, metrics) + ([agreement] if agreement else []):
        print_section(console, section)
    for status in status_lines(metrics):
        console.print(text(status), highlight=False)
    console.print(line("run folder: ", text(run_dir.resolve(), "bold", one_line=True)), soft_wrap=True, highlight=False)
