"""Append-only JSONL that survives crashes: whole lines, fsynced; readers skip a torn tail."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from rich.console import Console

_err = Console(stderr=True)


def json_safe(value: Any) -> Any:
    """NaN and infinities become null: they are not JSON, and other readers reject them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def dumps(record: Any, **kwargs: Any) -> str:
    return json.dumps(json_safe(record), ensure_ascii=False, allow_nan=False, default=str, **kwargs)


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Write one record as one line, then flush and fsync so a crash cannot lose or tear it."""
    line = dumps(record, separators=(",", ":")) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def read_lines(path: Path, *, warn: bool = True) -> list[dict[str, Any]]:
    """All whole records. A torn last line (a crash mid-write) is skipped with a warning;
    a bad line anywhere else means the file was edited by hand, which we report and skip too."""
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    raw = path.read_bytes().decode("utf-8", errors="replace")
    lines = raw.split("\n")
    last = len(lines) - 1
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except ValueError:
            if warn:
                where = "torn last line" if number == last else f"unreadable line {number + 1}"
                _err.print(f"[yellow]warning:[/] {path}: skipping {where} (a crash mid-write?)")
            continue
        records.append(record)
    return records


def repair_tail(path: Path) -> bool:
    """Cut a torn last line (a crash mid-write) so the next append starts on a fresh line."""
    if not path.exists():
        return False
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        _err.print(f"[yellow]warning:[/] {path}: skipping torn last line ({len(data) - cut} bytes, a crash mid-write)",
                   soft_wrap=True)
        with open(path, "r+b") as fh:
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
        return True
    return False
