"""Shared task loading: one entry point, format dispatch, one error shape, linear in the records."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from oversight.core.errors import UserError
from oversight.protocols.critique.data import load_items as load_critique
from oversight.protocols.debate.data import load_debate_items
from oversight.config.tasks import TaskConfig, check_unique_ids, load_task, read_json_records


def story(i: int) -> dict[str, object]:
    return {"id": f"s{i}", "title": "T", "story": "Ines built the clock.", "question": "Who built it?",
            "answers": ["Ines", "Marta"], "correct_index": 0}


def write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_duplicate_check_is_linear() -> None:
    class Item:
        def __init__(self, i: int) -> None:
            self.id = f"id-{i}"

    items = [Item(i) for i in range(200_000)]
    started = time.perf_counter()
    check_unique_ids("big.jsonl", items)  # the old ids.count(i) loop needed hours here
    assert time.perf_counter() - started < 5
    items.append(Item(123_456))
    with pytest.raises(UserError, match=r"big.jsonl: duplicate id 'id-123456'"):
        check_unique_ids("big.jsonl", items)


def test_both_protocols_dispatch_through_one_loader(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", [story(0), story(1)])
    assert [i.id for i in load_debate_items(TaskConfig(path=str(path)), tmp_path)] == ["s0", "s1"]
    with pytest.raises(UserError, match=r"task.format: unknown format 'quallity': not a debate format \(known: native, quality, solib-math, mmlu-pro\)"):
        load_debate_items(TaskConfig(path=str(path), format="quallity"), tmp_path)
    with pytest.raises(UserError, match=r"not a critique format \(known: native, openai_critiques, critiques\)"):
        load_critique(TaskConfig(path=str(path), format="quality"), tmp_path)


def test_bad_record_message_has_the_same_shape_in_both_protocols(tmp_path: Path) -> None:
    bad_debate = {**story(1), "correct_index": "first"}
    path = write(tmp_path / "d.jsonl", [story(0), bad_debate])
    with pytest.raises(UserError) as debate_err:
        load_debate_items(TaskConfig(path=str(path)), tmp_path)
    assert str(debate_err.value) == (
        f"{path}: record 2: correct_index: Input should be a valid integer, unable to parse string as an "
        "integer (got 'first')"
    )
    crit = write(tmp_path / "c.jsonl", [{"id": "c1", "context": "ctx", "question": "q?", "answer": "a",
                                          "flaws": [{"description": "x", "severity": 9}]}])
    with pytest.raises(UserError) as critique_err:
        load_critique(TaskConfig(path=str(crit)), tmp_path)
    assert str(critique_err.value).startswith(f"{crit}: record 1: flaws.0.severity: Input should be less than or equal to 4")


def test_a_huge_bad_value_is_echoed_bounded(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", [{**story(0), "correct_index": "x" * 100_000}])
    with pytest.raises(UserError) as err:
        load_debate_items(TaskConfig(path=str(path)), tmp_path)
    message = str(err.value)
    assert len(message) < 400 and "100,002 characters" in message


def test_jsonl_is_streamed_and_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(story(0)) + "\n\n" + '{"id": "s1", "story": \n')
    with pytest.raises(UserError, match=r"t.jsonl:3: not valid JSON"):
        read_json_records(path)
    path.write_bytes(json.dumps(story(0)).encode() + b"\n" + '{"id": "caf\xe9"}'.encode("latin-1") + b"\n")
    with pytest.raises(UserError, match="not UTF-8"):
        read_json_records(path)
    path.write_text("  [" + json.dumps(story(0)) + "]")
    assert read_json_records(path)[0]["id"] == "s0"
    path.write_text('  {"a": 1}\n[1, 2]\n')
    with pytest.raises(UserError, match=r"t.jsonl:2: expected a JSON object per line"):
        read_json_records(path)


def test_hf_format_guess_only_for_hf_and_native(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oversight.config import tasks as taskdata

    seen: list[str] = []
    readers = {"native": lambda records, source: seen.append(f"native {source}") or [],
               "quality": lambda records, source: seen.append(f"quality {source}") or []}
    monkeypatch.setattr(taskdata, "load_hf_records", lambda task: [{"article": "a"}])
    load_task(TaskConfig(hf="x/y"), tmp_path, readers, protocol="p", guess_hf_format=lambda r: "quality")
    path = write(tmp_path / "f.jsonl", [{"article": "a"}])
    load_task(TaskConfig(path=str(path)), tmp_path, readers, protocol="p", guess_hf_format=lambda r: "quality")
    assert seen == ["quality task.hf 'x/y'", f"native {path}"]


def test_shipped_tasks_by_name_from_a_copied_experiment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A shipped experiment copied anywhere still finds its task; a wrong name or a missing
    file says which names exist and which absolute paths were tried."""
    from oversight.cli.main import main

    repo = Path(__file__).resolve().parents[2]
    for shipped in sorted((repo / "protocols").glob("*.yaml")):
        copy = tmp_path / shipped.name
        copy.write_text(shipped.read_text())
        assert main(["validate", str(copy)]) == 0, capsys.readouterr().err
    text = (repo / "protocols" / "debate.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("builtin: debate_stories", "builtin: debate_storie"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "task.builtin: no shipped task 'debate_storie'" in err and "debate_stories" in err
    bad.write_text(text.replace("builtin: debate_stories", "builtin: ../protocols/debate"))
    assert main(["validate", str(bad)]) == 2
    assert "no shipped task" in capsys.readouterr().err
    bad.write_text(text.replace("builtin: debate_stories", "path: ../tasks/debate_stories.jsonl"))
    assert main(["validate", str(bad)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"looked for {tmp_path.parent / 'tasks' / 'debate_stories.jsonl'}" in err
    assert "task: {builtin: debate_stories}" in err
    bad.write_text(text.replace("builtin: debate_stories", "builtin: debate_stories\n  path: x.jsonl"))
    assert main(["validate", str(bad)]) == 2
    assert "exactly one of builtin" in capsys.readouterr().err
