"""Report sections as CSV and Markdown, for spreadsheets, pandas and papers: the same rows as
the terminal tables, with a CI as two columns."""

from __future__ import annotations

import csv
import io
from typing import Any

from oversight.report.tables import Section, cell


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
            out.append("| " + " | ".join(cell(row.get(c)).replace("|", "\\|") if c in row else "" for c in columns)
                       + " |")
        legend = s.full_legend if s.full_legend is not None else s.legend  # the columns as written above
        out += [""] + [f"{line}  " for line in legend] + [""]
    return "\n".join(out)
