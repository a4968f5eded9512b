"""Long texts to summarize, and loaders for the formats they come in.

Formats (`task.format`, documented in tasks/README.md, "Long texts (summarize)"):

- `native`: a plain `.txt` file is one text (id from the file name, title from its first
  line if that line is short); any other file is JSONL (or a JSON array) with `id`, `title`,
  `text` and optional `meta`.
- `booksum`: BookSum chapters from Hugging Face, either `kmfoda/booksum` (`book_id`, `chapter`,
  `summary_text`, one row per reference summary) or `ubaada/booksum-complete-cleaned`
  (`bid`, `book_title`, `chapter_id`, `text`, `summary` list). Rows of the same chapter become
  one item; reference summaries go to `meta` and are never shown to a model.
- `pg19`: PG-19 books (`short_book_title`, `url`, `text`), e.g. `deepmind/pg19`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oversight.core.errors import UserError, read_text
from oversight.protocols.summarize.chunking import has_content
from oversight.config.tasks import (
    TaskConfig,
    load_hf_records,
    read_json_records,
    resolve_path,
    validate_records,
)

FORMATS = ("native", "booksum", "pg19")
_TITLE_MAX = 100


class TextItem(BaseModel):
    """One long text: a book, a chapter, a story."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    title: str = ""
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)
    """Provenance and reference summaries kept from the source; never shown to a model."""

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not has_content(value):
            raise ValueError("text is empty: there is nothing to summarize (only whitespace, punctuation or invisible characters)")
        return value


def text_file_item(path: Path) -> TextItem:
    """A `.txt` file as one item: id from the file name, title from a short first line."""
    text = read_text(path)
    if not has_content(text):
        raise UserError(f"{path}: the file is empty: there is nothing to summarize "
                        f"(only whitespace, punctuation or invisible characters)")
    first = text.lstrip().split("\n", 1)[0].strip()
    title = first.lstrip("# ").strip() if len(first) <= _TITLE_MAX else ""
    item_id = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-") or "text"
    return TextItem(id=item_id, title=title, text=text, meta={"source": str(path)})


def _booksum_rows(records: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """One record per chapter, with every reference summary of it in `meta`."""
    merged: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(records, start=1):
        text = row.get("chapter") if "chapter" in row else row.get("text")
        if "book_id" in row:
            item_id, title = str(row["book_id"]), str(row["book_id"])
        elif "bid" in row:
            item_id = f"{row['bid']}:{row.get('chapter_id', number)}"
            title = str(row.get("book_title") or row["bid"])
        else:
            raise UserError(f"{where}: row {number}: no book_id or bid column; is this BookSum? (columns: "
                            f"{', '.join(sorted(row))})")
        summaries = row.get("summary")
        refs = ([s.get("text") for s in summaries if isinstance(s, dict)] if isinstance(summaries, list)
                else [row["summary_text"]] if row.get("summary_text") else [])
        entry = merged.setdefault(item_id, {"id": item_id, "title": title, "text": text,
                                            "meta": {"source": row.get("source"), "reference_summaries": []}})
        entry["meta"]["reference_summaries"].extend(r for r in refs if r)
    return list(merged.values())


def _pg19_rows(records: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    rows = []
    for number, row in enumerate(records, start=1):
        if "text" not in row:
            raise UserError(f"{where}: row {number}: no text column (columns: {', '.join(sorted(row))})")
        url = str(row.get("url") or "")
        item_id = url.rstrip("/").rsplit("/", 1)[-1] or str(row.get("short_book_title") or number)
        rows.append({"id": item_id, "title": str(row.get("short_book_title") or ""), "text": row["text"],
                     "meta": {"url": url, "publication_date": row.get("publication_date")}})
    return rows


def load_text_items(task: TaskConfig, base_dir: Path) -> list[TextItem]:
    """Items from the experiment's `task:` block; errors name the file, record and field."""
    if task.format not in FORMATS:
        raise UserError(f"task.format: unknown format {task.format!r} for summarize (known: {', '.join(FORMATS)})")
    if task.hf is not None:
        records = load_hf_records(task)
        where = f"{task.hf} ({task.split})"
    else:
        path = resolve_path(task, base_dir)
        if task.format == "native" and path.suffix.lower() == ".txt":
            return [text_file_item(path)]
        records = read_json_records(path)
        where = str(path)
    if task.format == "booksum":
        records = _booksum_rows(records, where)
    elif task.format == "pg19":
        records = _pg19_rows(records, where)
    return validate_records(where, records, TextItem)


__all__ = ["FORMATS", "TextItem", "load_text_items", "text_file_item"]
