"""Loaders for flawed-answer items: our JSONL, and OpenAI's critiques JSONL (tiny fixture, real schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oversight.core.errors import UserError
from oversight.protocols.critique.data import load_items

REPO = Path(__file__).resolve().parents[3]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def openai_row(row_id: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """A row shaped like critiques/dataset/helpfulness/test.jsonl."""
    return {
        "id": row_id, "source_id": "src" + row_id, "split": "test", "time": 1654294840.4,
        "labeler": "f00d", "is_topic_based_summarization": True,
        "data": {"passage": {"title": "", "text": "  \n\nThe mill closed in 1931. Ada ran the shop after that.  "},
                 "questions": questions},
    }


def openai_question(question: str, answers: list[dict[str, Any]], new: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"question": question, "answers": answers, "rankings": [None] * sum(len(a["critiques"]) for a in answers),
            "is_critiqueable": None, "has_better_critique": new is not None, "new_critique": new}


def crit(text: str, helpful: bool) -> dict[str, Any]:
    return {"critique": text, "feedback": {"helpful": helpful}}


def test_shipped_task_file_loads_with_severities() -> None:
    items = load_items({"path": "tasks/critique_answers.jsonl"}, REPO)
    assert len(items) == 12 and len({i.id for i in items}) == 12
    for item in items:
        assert item.answer and 1 <= len(item.flaws) <= 3
        assert 80 <= len(item.context.split()) <= 200
        assert all(f.severity in (1, 2, 3, 4) and f.category for f in item.flaws)


def test_native_format_accepts_string_flaws_and_missing_answer(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [
        {"id": 7, "context": "c", "question": "q", "answer": "a", "flaws": ["wrong year"]},
        {"id": "x", "context": "c", "question": "q"},
    ])
    first, second = load_items({"path": str(path)}, tmp_path)
    assert first.id == "7" and first.flaws[0].description == "wrong year" and first.flaws[0].severity is None
    assert second.answer is None and second.flaws == []


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": "a", "context": "c", "question": "q", "answer": "a", "flaw": []}, "record 1: flaw: "),
        ({"id": "a", "context": "c", "question": "q", "answer": "a", "flaws": [{"description": "d", "severity": 9}]},
         "flaws.0.severity"),
        ({"id": "a", "question": "q"}, "context"),
    ],
)
def test_native_format_errors_name_the_record_and_field(tmp_path: Path, record: dict[str, Any], message: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [record])
    with pytest.raises(UserError, match=message):
        load_items({"path": str(path)}, tmp_path)


def test_openai_critiques_mapping(tmp_path: Path) -> None:
    rows = [
        openai_row("r1", [
            openai_question("What does the story say about the mill?", [
                {"answer": "The mill closed in 1913.", "critiques": [
                    crit("The mill closed in 1931, not 1913.", True),
                    crit("The answer is too short.", False),
                    crit("The mill closed in 1931, not 1913. ", True),  # same wording: one gold flaw
                    crit("It should mention Ada's shop.", True),
                ]}],
                new={"text": "Omits that Ada ran the shop.", "category": "coverage", "severity": 2,
                     "category_text": ""}),
            openai_question("What does the story say about Ada?", [
                {"answer": "Ada ran the shop.", "critiques": [crit("Fine as is.", False)]}]),
        ]),
        openai_row("r2", [
            openai_question("Two answers?", [
                {"answer": "One.", "critiques": [crit("Wrong count.", True)]},
                {"answer": "Two.", "critiques": []},
            ], new={"text": "belongs to the question", "category": "other", "severity": "3", "category_text": ""}),
        ]),
    ]
    path = write_jsonl(tmp_path / "test.jsonl", rows)
    items = load_items({"path": str(path), "format": "openai_critiques"}, tmp_path)
    assert [i.id for i in items] == ["r1-q0", "r1-q1", "r2-q0-a0", "r2-q0-a1"]
    first = items[0]
    assert first.context == "The mill closed in 1931. Ada ran the shop after that." and first.title is None
    assert first.answer == "The mill closed in 1913."
    assert [(f.description, f.severity, f.category) for f in first.flaws] == [
        ("The mill closed in 1931, not 1913.", None, None),
        ("It should mention Ada's shop.", None, None),
        ("Omits that Ada ran the shop.", 2, "coverage"),
    ]
    assert first.meta["source_id"] == "srcr1" and len(first.meta["dataset_critiques"]) == 4
    assert items[1].flaws == []  # no helpful critique: counts for precision only
    # A question with several answers: its new_critique cannot be attributed to one answer.
    assert [f.description for f in items[2].flaws] == ["Wrong count."] and items[3].flaws == []
    # The short alias reads the same file.
    assert len(load_items({"path": str(path), "format": "critiques"}, tmp_path)) == 4


def test_openai_critiques_schema_errors(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [{"id": "r1", "data": {"passage": {"text": "t"}}}])
    with pytest.raises(UserError, match=r"record 1\.data: expected field 'questions'"):
        load_items({"path": str(path), "format": "openai_critiques"}, tmp_path)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "context": "c", "question": "q"}])
    with pytest.raises(UserError, match="unknown format 'quality'"):
        load_items({"path": str(path), "format": "quality"}, tmp_path)
    with pytest.raises(UserError, match="not found"):
        load_items({"path": "nope.jsonl"}, tmp_path)


def test_hugging_face_rows_go_through_the_same_loaders(monkeypatch: pytest.MonkeyPatch) -> None:
    import oversight.config.tasks as data

    rows = [openai_row("h1", [openai_question("Q?", [{"answer": "A.", "critiques": [crit("Bad.", True)]}])])]
    monkeypatch.setattr(data, "load_hf_records", lambda task: rows)
    [item] = load_items({"hf": "someone/critiques", "split": "test", "format": "openai_critiques"}, Path("."))
    assert item.id == "h1-q0" and [f.description for f in item.flaws] == ["Bad."]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"answer": "An answer.", "critiques": [{"critique": "Wrong.", "feedback": "yes"}]}, "record 1"),
    ],
)
def test_openai_critiques_odd_shapes_are_one_line_errors(tmp_path: Path, answer: dict[str, Any], message: str) -> None:
    path = write_jsonl(tmp_path / "odd.jsonl", [openai_row("r1", [openai_question("What happens?", [answer])])])
    with pytest.raises(UserError) as err:
        load_items({"path": str(path), "format": "openai_critiques"}, tmp_path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_task_file_that_is_not_utf8_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"id": "a", "context": "café"}\n'.encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8"):
        load_items({"path": str(path)}, tmp_path)
