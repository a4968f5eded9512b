"""The lazy transcript index lives in its own module (oversight.log.lazy_index), reachable as
before through RunFolder; no module of the package grows past about 400 lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oversight.core.errors import UserError
from oversight.log import lazy_index
from oversight.log.runfolder import TRANSCRIPTS, RunFolder

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    long = {p.relative_to(ROOT).as_posix(): n for p in (ROOT / "oversight").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, "split these modules: " + ", ".join(f"{k} ({v} lines)" for k, v in long.items())


def _line(tid: str, attempt: str, error: str | None, events: list[object]) -> str:
    record = {"schema": "oversight.transcript/1", "run_id": "r", "id": tid, "item_id": tid.split(":")[0],
              "protocol": "toy", "condition": "plain", "events": events, "outcome": {"answer": "Yes, it is."},
              "usage": None, "error": error, "attempt": attempt, "created_at": "2026-12-01T10:00:00+00:00"}
    return json.dumps(record, separators=(",", ":")) + "\n"


def test_the_index_on_its_own_and_through_the_run_folder(tmp_path: Path) -> None:
    warnings: list[str] = []
    path = tmp_path / TRANSCRIPTS
    path.write_text(_line("q1:plain", "a1", "HTTP 500 after 6 attempts", [])
                    + _line("q2:plain", "a1", None, [{"type": "model", "content": "Yes \u2014 \"quoted\""}])
                    + '{"id": 7, "item_id": "q3", "protocol": "toy", "condition": "plain"}\n'
                    + _line("q1:plain", "a2", None, [{"type": "model", "content": "no"}]))
    entries = lazy_index.transcript_index(path, warnings.append)
    assert [(e["id"], e["attempt"]) for e in entries] == [("q2:plain", "a1"), ("q1:plain", "a2")]
    assert len(warnings) == 1 and "skipping line 3: id is not a string" in warnings[0]
    assert set(entries[0]) == {*lazy_index.LIGHT_FIELDS, "offset", "length"}
    folder = RunFolder(tmp_path, warn=lambda m: None)
    assert folder.transcript_index() == entries
    whole = folder.read_transcript_at(entries[0]["offset"])
    assert whole["events"][0]["content"] == "Yes \u2014 \"quoted\""
    lines = dict(folder.read_transcript_lines({e["offset"] for e in entries}))
    assert sorted(lines) == sorted(e["offset"] for e in entries)
    assert all(len(lines[e["offset"]]) == e["length"] for e in entries)
    with pytest.raises(UserError, match="the line at byte .* has the wrong shape: id is an integer"):
        folder.read_transcript_at(path.read_bytes().index(b'{"id": 7'))
