"""Flat tables of a run's transcripts and judgments (JSONL or CSV), streamed in two passes:
the first finds the columns, the second writes, so a large run is never held in memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from oversight.core.atomic import atomic_file
from oversight.core.jsonl import FILE_MODE, dumps
from oversight.report.results import light
from oversight.log.runfolder import RunFolder
from oversight.log.transcripts import record_ref

Row = dict[str, Any]
_SCALAR = (str, int, float, bool, type(None))


def _cell(value: Any) -> Any:
    return value if isinstance(value, _SCALAR) else json.dumps(value, ensure_ascii=False, default=str)


def _usage_cols(usage: dict[str, Any] | None, prefix: str) -> Row:
    usage = usage or {}
    return {f"{prefix}{k}": usage.get(k) for k in ("input_tokens", "output_tokens", "cost_usd") if k in usage}


def transcript_rows(folder: RunFolder) -> Iterator[Row]:
    """One row per finished transcript (the newest line of a retried unit), in file order."""
    last = {}
    for n, record in enumerate(folder.iter_transcripts()):
        if "id" in record:
            last[record["id"]] = n
    keep = set(last.values())
    for n, record in enumerate(folder.iter_transcripts()):
        if n not in keep:
            continue
        calls = sum(1 for e in record.get("events") or [] if e.get("type") == "model")
        record = light(record, None)
        row: Row = {k: record.get(k) for k in ("run_id", "id", "item_id", "protocol", "condition", "error",
                                               "attempt", "created_at")}
        row["model_calls"] = calls
        row.update(_usage_cols(record.get("usage"), ""))
        for role, usage in sorted((record.get("usage_by_role") or {}).items()):
            row.update(_usage_cols(usage, f"{role}."))
        for key, value in (record.get("outcome") or {}).items():
            row[f"outcome.{key}"] = _cell(value)
        yield row


def judgment_rows(folder: RunFolder) -> Iterator[Row]:
    """One row per judgment line, with its transcript's item and condition, and `withdrawn`:
    true for a judgment its judge undid and for the undo record itself (neither is counted)."""
    units = {t["id"]: t for t in (light(r, ()) for r in folder.iter_transcripts()) if "id" in t}
    undone = {str(j["supersedes"]) for j in folder.iter_judgments()
              if j.get("retracted") and j.get("supersedes") is not None}
    for j in folder.iter_judgments():
        t = units.get(j.get("transcript_id", ""), {})
        judge = j.get("judge") or {}
        row: Row = {"run_id": folder.run_id, "transcript_id": j.get("transcript_id"), "item_id": t.get("item_id"),
                    "condition": j.get("condition", t.get("condition")), "judge_kind": judge.get("kind"),
                    "judge_id": judge.get("id"),
                    "withdrawn": bool(j.get("retracted")) or (bool(undone) and record_ref(j) in undone)}
        for key, value in j.items():
            if key not in ("judge", "transcript_id", "condition"):
                row[key] = _cell(value)
        yield row


def _write(path: Path, rows: Callable[[], Iterator[Row]], fmt: str) -> Path:
    """Written whole or not at all (`atomic_file`): a kill or a full disk leaves no torn table."""
    if fmt == "jsonl":
        with atomic_file(path, mode=FILE_MODE) as fh:
            for row in rows():
                fh.write(dumps(row) + "\n")
        return path
    columns: dict[str, None] = {}
    for row in rows():
        columns.update(dict.fromkeys(row))
    with atomic_file(path, newline="", mode=FILE_MODE) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), restval="")
        writer.writeheader()
        for row in rows():
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def write_tables(folder: RunFolder, out: Path, fmt: str) -> list[Path]:
    return [_write(out / f"transcripts.{fmt}", lambda: transcript_rows(folder), fmt),
            _write(out / f"judgments.{fmt}", lambda: judgment_rows(folder), fmt)]
