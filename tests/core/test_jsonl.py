"""Run files are read with orjson when it is installed; every line still reads as json reads it."""

from __future__ import annotations

import json
import math
from pathlib import Path

from oversight.core.jsonl import iter_lines


def test_lines_read_exactly_as_json_reads_them(tmp_path: Path) -> None:
    lines = [
        '{"id": "q1:debate", "usage": {"input_tokens": 123456789012345678901234567890}}',
        '{"id": "q2", "p": NaN, "q": -Infinity, "big": 1E400, "tiny": 1e-400}',
        '{"id": "q3", "text": "caf\\u00e9 \\ud83d\\ude00 \\u0000", "x": 0.1, "y": -0.0, "n": 18446744073709551616}',
        '{"id": "q4", "dup": 1, "dup": 2, "long": 12345678901234567890123}',
        '{"id": "q5", "story": "' + "digits 0123456789 " * 500 + '"}',
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = list(iter_lines(path))
    want = [json.loads(line) for line in lines]
    assert len(got) == len(want) == 5
    for g, w in zip(got, want):
        assert json.dumps(g, sort_keys=True) == json.dumps(w, sort_keys=True)
    assert got[0]["usage"]["input_tokens"] == 123456789012345678901234567890 and isinstance(got[2]["n"], int)
    assert math.isnan(got[1]["p"]) and got[1]["big"] == math.inf


def test_bad_bytes_and_torn_lines_are_handled_as_before(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"id": "a", "s": "\xff broken utf-8"}\n[1, 2]\n{"id": "b"}\n{"id": "torn", "x": ')
    warnings: list[str] = []
    got = list(iter_lines(path, warn=warnings.append))
    assert [r["id"] for r in got] == ["a", "b"] and got[0]["s"] == "\ufffd broken utf-8"
    assert len(warnings) == 2 and "unreadable line 2" in warnings[0] and "torn last line" in warnings[1]
