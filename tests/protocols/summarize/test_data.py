"""Loaders for long texts: .txt, JSONL, and Hugging Face BookSum / PG-19 through a fake loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oversight.core.errors import UserError
from oversight.protocols.summarize.data import load_text_items
from oversight.config.tasks import TaskConfig

ROOT = Path(__file__).resolve().parents[3]


def test_txt_file_is_one_item_named_after_the_file(tmp_path: Path) -> None:
    text = "The Orchard at Kell\n\nFirst paragraph.\n\nSecond paragraph.\n"
    (tmp_path / "orchard at kell!.txt").write_text(text, encoding="utf-8")
    [item] = load_text_items(TaskConfig(path="orchard at kell!.txt"), tmp_path)
    assert item.id == "orchard-at-kell" and item.title == "The Orchard at Kell"
    assert item.text == text  # byte for byte: spans index into exactly this


def test_txt_with_a_long_first_line_has_no_title(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("word " * 60 + "\n\nmore", encoding="utf-8")
    assert load_text_items(TaskConfig(path="a.txt"), tmp_path)[0].title == ""


def test_jsonl_items_and_their_errors(tmp_path: Path) -> None:
    rows = [{"id": "a", "title": "A", "text": "Alpha text."}, {"id": "b", "text": "Beta text.", "meta": {"k": 1}}]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = load_text_items(TaskConfig(path="t.jsonl"), tmp_path)
    assert [(i.id, i.title, i.text) for i in items] == [("a", "A", "Alpha text."), ("b", "", "Beta text.")]

    (tmp_path / "bad.jsonl").write_text(json.dumps({"id": "a", "text": "ok"}) + "\n" + json.dumps({"id": "b", "text": "  \n"}))
    with pytest.raises(UserError, match=r"bad.jsonl: record 2: text: .*nothing to summarize"):
        load_text_items(TaskConfig(path="bad.jsonl"), tmp_path)
    (tmp_path / "typo.jsonl").write_text(json.dumps({"id": "a", "txt": "ok"}))
    with pytest.raises(UserError, match=r"typo.jsonl: record 1: (text|txt)"):
        load_text_items(TaskConfig(path="typo.jsonl"), tmp_path)
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(UserError, match="empty.txt: the file is empty"):
        load_text_items(TaskConfig(path="empty.txt"), tmp_path)
    with pytest.raises(UserError, match="task.format: unknown format 'quality'"):
        load_text_items(TaskConfig(path="t.jsonl", format="quality"), tmp_path)


def fake_hub(monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    import datasets

    asked: list[tuple[Any, ...]] = []

    def load_dataset(name: str, config: str | None = None, split: str | None = None) -> list[dict[str, Any]]:
        asked.append((name, config, split))
        return rows

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return asked


def test_booksum_kmfoda_rows_merge_per_chapter(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {"book_id": "Hamlet.act 1", "chapter": "Act one text.", "summary_text": "Ghost appears.", "source": "gradesaver"},
        {"book_id": "Hamlet.act 1", "chapter": "Act one text.", "summary_text": "A ghost walks.", "source": "sparknotes"},
        {"book_id": "Hamlet.act 2", "chapter": "Act two text.", "summary_text": "Polonius schemes.", "source": "cliffnotes"},
    ]
    asked = fake_hub(monkeypatch, rows)
    items = load_text_items(TaskConfig(hf="kmfoda/booksum", split="test", format="booksum"), Path("."))
    assert asked == [("kmfoda/booksum", None, "test")]
    assert [i.id for i in items] == ["Hamlet.act 1", "Hamlet.act 2"]
    assert items[0].text == "Act one text."
    assert items[0].meta["reference_summaries"] == ["Ghost appears.", "A ghost walks."]


def test_booksum_cleaned_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"bid": 7, "book_title": "Emma", "chapter_id": 3, "text": "Chapter three.",
             "summary": [{"source": "x", "text": "Emma meddles.", "analysis": None}], "is_aggregate": False}]
    fake_hub(monkeypatch, rows)
    [item] = load_text_items(TaskConfig(hf="ubaada/booksum-complete-cleaned", hf_config="chapters", format="booksum"), Path("."))
    assert (item.id, item.title, item.meta["reference_summaries"]) == ("7:3", "Emma", ["Emma meddles."])


def test_booksum_rows_without_ids_are_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_hub(monkeypatch, [{"chapter": "x"}])
    with pytest.raises(UserError, match=r"kmfoda/booksum \(validation\): row 1: no book_id or bid column"):
        load_text_items(TaskConfig(hf="kmfoda/booksum", format="booksum"), Path("."))


def test_pg19_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"short_book_title": "The Sea Wolf", "url": "http://www.gutenberg.org/ebooks/1074",
             "publication_date": 1904, "text": "Chapter I\n\nI scarcely know..."}]
    fake_hub(monkeypatch, rows)
    [item] = load_text_items(TaskConfig(hf="deepmind/pg19", split="test", format="pg19"), Path("."))
    assert (item.id, item.title, item.meta["publication_date"]) == ("1074", "The Sea Wolf", 1904)


def test_offline_hub_failure_is_one_line() -> None:
    with pytest.raises(UserError, match="task.hf: could not load 'no-such/dataset-xyz'"):
        load_text_items(TaskConfig(hf="no-such/dataset-xyz", format="pg19"), Path("."))
