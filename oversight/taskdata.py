"""Shared plumbing for task loaders: where the file is, reading it, Hugging Face datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from oversight.errors import UserError, read_text


class TaskConfig(BaseModel):
    """The experiment's `task:` block: a local file or a Hugging Face dataset."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    """A file under tasks/, or any local file (relative to the experiment file, then the cwd)."""
    format: str = "native"
    """File format; `native` is ours (tasks/README.md). Protocols add e.g. `quality`, `critiques`."""
    hf: str | None = None
    """A Hugging Face dataset name, loaded with `datasets.load_dataset` (needs the network)."""
    hf_config: str | None = None
    """The dataset's configuration name, if it has several."""
    split: str = "validation"
    """The split to load from a Hugging Face dataset."""
    shuffle: bool = False
    """Shuffle items with the experiment seed before `limit` takes the first N."""

    @model_validator(mode="after")
    def _one_source(self) -> "TaskConfig":
        if (self.path is None) == (self.hf is None):
            raise ValueError("give exactly one of path (a local file) or hf (a Hugging Face dataset)")
        return self


def resolve_path(task: TaskConfig, base_dir: Path) -> Path:
    assert task.path is not None
    candidates = [Path(task.path)] if Path(task.path).is_absolute() else [base_dir / task.path, Path(task.path)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UserError(f"task.path: file {task.path!r} not found (looked in {base_dir} and the current folder)")


def read_json_records(path: Path) -> list[dict[str, Any]]:
    """JSONL (one object per line) or a JSON array; errors name the file and line."""
    text = read_text(path)
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
        if not all(isinstance(r, dict) for r in data):
            raise UserError(f"{path}: expected a JSON array of objects")
        return data
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise UserError(f"{path}:{number}: expected a JSON object per line")
        records.append(record)
    if not records:
        raise UserError(f"{path}: no records found")
    return records


def validate_records(path: Path | str, records: list[dict[str, Any]], model: type[BaseModel]) -> list[Any]:
    """Validate each record; the first bad one becomes a one-line error with its line and field."""
    items = []
    for number, record in enumerate(records, start=1):
        try:
            items.append(model.model_validate(record))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "record"
            raise UserError(f"{path}: record {number}: {where}: {err['msg']}") from exc
    ids = [getattr(i, "id", None) for i in items]
    dupes = {i for i in ids if i is not None and ids.count(i) > 1}
    if dupes:
        raise UserError(f"{path}: duplicate id {sorted(dupes)[0]!r}: ids must be unique")
    return items


def load_hf_records(task: TaskConfig) -> list[dict[str, Any]]:
    """Rows of a Hugging Face dataset split, as dicts; a failure is a one-line error."""
    try:
        import datasets

        ds = datasets.load_dataset(task.hf, task.hf_config, split=task.split)
    except Exception as exc:  # the datasets library raises many types; all mean "cannot load"
        raise UserError(
            f"task.hf: could not load {task.hf!r} split {task.split!r} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); check the name and your network, "
            f"or download it and use task.path"
        ) from exc
    return [dict(row) for row in ds]


__all__ = ["TaskConfig", "resolve_path", "read_json_records", "validate_records", "load_hf_records"]
