"""The tables printed after a run and by `oversight report` (rendering only; no numbers made here).

A report is a list of `Section`s (title, rows, legend). Rendered for a terminal, rows become
compact tables that fit the console: short headers, the interval as "lo-hi" and its method as
an abbreviation, both explained in a legend under the table; rows whose fields differ (results
and comparisons) or that belong to different runs become separate tables, several judges sit
side by side in one (a judge column, its ids coded J1, J2... when the names would not fit); and a table
still wider than the console is shown vertically, one block per row. The same sections render
as Markdown, CSV (one long table with a `table` column) or JSON.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from oversight.core.errors import UserError
from oversight.protocol.registry import get_protocol, protocol_names
from oversight.stats.methods import METHODS
from oversight.core.safe_text import text

HEADERS = {"95% CI": "95% CI", "ci": "95% CI", "method": "m", "ci_method": "m", "estimate": "est", "value": "est",
           "acc": "acc", "severity": "sev", "invalid": "inv", "failed": "fail", "units failed": "u fail", "published": "published",
           "finished": "done", "judgments": "judg", "in tokens": "in tok", "out tokens": "out tok",
           "cost USD": "USD", "saved USD": "saved"}
NOTES = {
    "inv": "invalid verdicts / all verdicts",
    "fail": "judge calls that failed after retries / calls made (never scored: left out of every estimate)",
    "u fail": "failed units (transcripts that did not finish)",
    "n": "units behind the estimate (verdicts, transcripts, items or games)", "judg": "judgments",
    "left out": "items of a comparison judged in only one of its two conditions (not used)",
    "in tok": "input tokens", "out tok": "output tokens", "USD": "cost in USD where the price is known",
    "cached": "input tokens served from the provider's prompt cache (billed at its cache-read rate)",
    "written": "input tokens written to the provider's prompt cache (billed at its cache-write rate)",
    "saved": "USD prompt caching saved against the list price of the same tokens",
}
"""Notes on the columns every protocol's tables may have; a protocol adds its own columns'
notes with its `table_notes` hook."""
SPLIT_KEYS = ("judge", "run")
FIELDS = ""
SAME_FIELDS = "="
NARROW_SPLITS = (FIELDS, SAME_FIELDS, "sev", "metric", "condition")
"""How a too-wide table is split, in this order, before it is shown vertically: FIELDS puts
consecutive rows whose fields do not nest (results, comparisons) in separate tables, SAME_FIELDS
then rows with any field of their own (conditions with an optional column); a name splits by
that column's value."""
EVERY_ROW = "every row: "
"""Starts the line above a table that says the columns with one value throughout."""
_LEFT = {"condition", "metric", "run", "role", "order", "judge", "model", "published", "table"}


@dataclass
class Section:
    """One table of a report; `legend` lines are printed under it."""

    title: str
    rows: list[dict[str, Any]]
    legend: list[str] = field(default_factory=list)
    hide: tuple[str, ...] = ()
    """Fields left out of the terminal table only (e.g. long run names when sweep values say it)."""
    full_legend: list[str] | None = None
    """`legend` naming the columns as the rows do (Markdown writes them so); None: `legend`."""


def _num(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def cell(value: Any) -> str:
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


def table_notes(protocols: list[str] | None = None) -> dict[str, str]:
    """The column notes of these protocols (their `table_notes` hooks; the first protocol naming a
    column wins); with none named, those of every installed protocol."""
    notes: dict[str, str] = {}
    try:
        names = protocol_names() if protocols is None else protocols
    except UserError:  # two packages claim one name: the run's own commands say so; a legend goes without
        names = []
    for name in names:
        try:
            own = get_protocol(str(name)).table_notes
        except UserError:  # a run of a protocol not installed here: its columns go unexplained
            continue
        if not isinstance(own, dict):  # a protocol's mistake costs its own notes, not the table
            continue
        notes.update({str(k): str(v) for k, v in own.items() if k not in notes})
    return notes


def legend_for(rows: list[dict[str, Any]], protocols: list[str] | None = None, *, short: bool = True) -> list[str]:
    """Lines explaining the abbreviations these rows use, in the order of their columns: the
    generic notes and those of the rows' protocols (every installed protocol's when not named).
    `short`: the columns as the terminal heads them ("m", "inv"); else as the rows name them, as
    Markdown writes them ("ci_method", "invalid"), with the methods by their full names."""
    methods = sorted({r.get("method") or r.get("ci_method") for r in rows} - {None}, key=str)
    heads = {k: HEADERS.get(k, k) for r in rows for k in r}  # a row's key -> the terminal's head
    label = {h: h if short else next(k for k, kh in heads.items() if kh == h) for h in heads.values()}
    lines = [f"{label.get('m', 'm')}{' =' if short else ':'} CI method: " + "; ".join(
        f"{METHODS.get(m, (m, m))[0] if short else m} {METHODS.get(m, (m, m))[1]}" for m in methods)] if methods else []
    own = table_notes(protocols)
    # a protocol may say what a generic column means in its tables (summarize's `inv` counts a verdict
    # with any scale invalid), where the legend is of its tables alone
    single = protocols is not None and len(set(protocols)) == 1
    known = {**own, **NOTES, **own} if single else {**own, **NOTES}
    # the generic "n" goes without saying; a protocol's own meaning of it (critique's denominators) does not
    plain = set() if single and "n" in own else {"n"}
    shown = list(dict.fromkeys(k for c in label for k in known if k not in plain and (c == k or c.endswith(f" {k}"))))
    if shown:
        lines.append("; ".join(f"{label.get(k, k)}: {known[k]}" for k in shown))
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


def _by_fields(rows: list[dict[str, Any]], same: bool = False) -> list[tuple[str, list[dict[str, Any]]]]:
    """Consecutive rows whose fields nest (one row's fields all among the table's so far, or the
    other way round) share a table, a missing cell left blank: conditions with and without an
    optional column stay together, while comparisons, with fields of their own, start anew.
    `same`: only rows with the very same fields share a table."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    fields: set[str] = set()
    for row in rows:
        keys = set(row)
        if not out or (keys != fields if same else not (keys <= fields or fields <= keys)):
            out.append(("", []))
            fields = set()
        fields |= keys
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
        table.add_row(*(_shown(cell(row[c])) if c in row else "" for c in columns))
    return table


def _vertical(rows: list[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_header=False, show_edge=False)
    table.add_column("field", justify="left", style="dim", no_wrap=True)
    table.add_column("value", justify="left", overflow="fold")
    for i, row in enumerate(rows):
        if i:
            table.add_section()
        for key, value in row.items():
            table.add_row(_shown(key), _shown(cell(value)))
    return table


def _shown(value: str) -> Any:
    """A header or cell as Text: a judge id or sweep value is shown as written, never read as
    Rich markup (a `[link=...]` in an id stays text) and with control characters made visible."""
    return text(value, one_line=True)


def _width(table: Table) -> int:
    probe = Console(file=io.StringIO(), width=1000, color_system=None)
    probe.print(table)
    return max((len(line.rstrip()) for line in probe.file.getvalue().splitlines()), default=0)  # type: ignore[attr-defined]


def _fit(rows: list[dict[str, Any]], width: int, splits: tuple[str, ...],
         hoisted: set[str] | None = None) -> list[tuple[str, Table]]:
    """(subtitle, table) pairs no wider than `width`: horizontal if it fits, else split by the
    next column of `splits` present in the rows, else vertical. A column with one value
    throughout is said once above a table that is too wide; `hoisted` carries those columns to
    the sibling tables, which then say theirs above too, so one section never shows a column
    above one table and inside the next."""
    hoisted = set() if hoisted is None else hoisted
    table = _horizontal(rows)
    same = [k for k in rows[0] if isinstance(rows[0][k], str) and len(rows) > 1
            and all(k in r and r[k] == rows[0][k] for r in rows)]
    fits = _width(table) <= width
    if fits:
        same = [k for k in same if k in hoisted]
        if not same:
            return [("", table)]
    if same:
        hoisted.update(same)
        rest = [{k: v for k, v in r.items() if k not in same} for r in rows]
        said = EVERY_ROW + ", ".join(f"{k} {rows[0][k]}" for k in same)
        return [(", ".join(filter(None, (said, sub.removeprefix(EVERY_ROW)))), t)
                for sub, t in _fit(rest, width, splits, hoisted)]
    for i, key in enumerate(splits):
        if key in (FIELDS, SAME_FIELDS):
            groups = _by_fields(rows, same=key == SAME_FIELDS)
        elif any(key in r for r in rows) and len({str(r.get(key)) for r in rows}) > 1:
            groups = _groups(rows, (key,))
        else:
            continue
        if len(groups) > 1:
            out = []
            siblings: set[str] = set()
            for sub, group in groups:
                out += [(", ".join(filter(None, (sub, deeper))), t)
                        for deeper, t in _fit(group, width, splits[i + 1:], siblings)]
            return out
    return [("", _vertical(rows))]


def fitted_tables(rows: list[dict[str, Any]], width: int, hide: tuple[str, ...] = ()) -> list[tuple[str, Table]]:
    """The rows as (subtitle, table) pairs no wider than `width`: one table per run, several
    judges side by side in it (a row per condition and judge), horizontal when it fits, split by
    severity/metric/condition when not, else vertical."""
    compacted = [compact(r, hide) for r in rows]
    judges = list(dict.fromkeys(str(r["judge"]) for r in compacted if "judge" in r))
    if len(judges) < 2:
        return _fitted(compacted, width, SPLIT_KEYS)
    together = _judges_together(compacted)
    named = _fitted(together, width, ("run",))
    short = {j: f"J{k}" for k, j in enumerate(judges, 1)}
    coded = _fitted([{(k if k != "judge" else "j"): (short[str(v)] if k == "judge" else v) for k, v in r.items()}
                     for r in together], width, ("run",))
    if len(coded) >= len(named) and all(t.show_header for _, t in named):
        return named  # the names fit as well as the codes would: no key needed
    key = "j = judge: " + "; ".join(f"{code} {judge}" for judge, code in short.items())
    return [("; ".join(filter(None, (sub, key if i == 0 else ""))), t) for i, (sub, t) in enumerate(coded)]


def _judges_together(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of one condition (or metric) next to each other, judges in their order; the judge
    column right after the condition."""
    first: dict[Any, int] = {}
    for i, row in enumerate(rows):
        first.setdefault((row.get("run"), row.get("condition", row.get("metric"))), i)
    ordered = sorted(rows, key=lambda r: first[(r.get("run"), r.get("condition", r.get("metric")))])
    out = []
    for row in ordered:
        keys = list(row)
        if "judge" in keys and keys[0] != "judge":
            keys.remove("judge")
            keys.insert(1, "judge")
        out.append({k: row[k] for k in keys})
    return out


def _fitted(rows: list[dict[str, Any]], width: int, keys: tuple[str, ...]) -> list[tuple[str, Table]]:
    out = []
    for sub, group in _groups(rows, keys):
        out += [(", ".join(filter(None, (sub, deeper))), t) for deeper, t in _fit(group, width, NARROW_SPLITS)]
    return out


def print_section(console: Console, section: Section) -> None:
    if not section.rows:
        return
    console.print(text(section.title, "bold", one_line=True), highlight=False)
    said: list[str] = []
    for sub, table in fitted_tables(section.rows, console.width, section.hide):
        parts = sub.split(", ") if sub else []
        same = next((i for i, (a, b) in enumerate(zip(parts, said)) if a != b), min(len(parts), len(said)))
        if parts[same:]:  # what the previous subtitle said already holds: only the new part is printed
            console.print(text(", ".join(parts[same:]), "italic", one_line=True), highlight=False)
        said = parts
        console.print(table)
    for legend in section.legend:
        console.print(text(legend, "dim"), highlight=False)


def rows_table(title: str, rows: list[dict[str, Any]]) -> Table:
    """One table of `rows` as given, cells wrapping when narrow (the dry run's listing)."""
    return _horizontal(rows, title, wrap=True)
