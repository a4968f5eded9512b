"""Task loading shared by every protocol: where the records come from (a file or a Hugging Face
dataset), which reader turns them into items (`task.format`), and one shape for a bad record's
error. A protocol's `load_items` is `load_task(task, base_dir, READERS, protocol=name)`."""

from __future__ import annotations

import json
import sys
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from oversight.core.errors import UserError, bounded, read_text
from oversight.core.safe_paths import SHIPPED_TASKS, check_file

Records = list[dict[str, Any]]
Reader = Callable[[Records, str], list[Any]]
"""A format's reader: (records, source label for messages) -> items, raising UserError on bad data."""


class TaskConfig(BaseModel):
    """The experiment's `task:` block: a local file or a Hugging Face dataset."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    builtin: str | None = None
    """A task shipped in tasks/ by name (its file name without the extension, e.g.
    `debate_stories`): found wherever the experiment file is copied to."""
    path: str | None = None
    """A file beside the experiment (relative to its folder, then the cwd), under the shipped tasks/,
    or in a folder allowed with --allow-path; never a special file (oversight.core.safe_paths)."""
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
        if sum(source is not None for source in (self.path, self.hf, self.builtin)) != 1:
            raise ValueError("give exactly one of builtin (a shipped task, by name), path (a local file) "
                             "or hf (a Hugging Face dataset)")
        return self


def builtin_names() -> list[str]:
    """The shipped tasks, by the name `task.builtin` takes."""
    if not SHIPPED_TASKS.is_dir():
        return []
    return sorted(p.stem for p in SHIPPED_TASKS.iterdir() if p.suffix in (".jsonl", ".json", ".txt"))


def _builtin_path(name: str) -> Path:
    found = [p for p in (SHIPPED_TASKS / f"{name}{ext}" for ext in (".jsonl", ".json", ".txt")) if p.is_file()]
    if "/" in name or "\\" in name or not found:
        known = ", ".join(builtin_names()) or f"none: {SHIPPED_TASKS} is missing (an install without the source tree)"
        raise UserError(f"task.builtin: no shipped task {bounded(name)!r} (known: {known})")
    return check_file(found[0], "task.builtin", SHIPPED_TASKS)


def resolve_path(task: TaskConfig, base_dir: Path) -> Path:
    """The task's file: a shipped one by name, or `task.path` beside the experiment, then in the cwd."""
    if task.builtin is not None:
        return _builtin_path(task.builtin)
    assert task.path is not None
    candidates = [Path(task.path)] if Path(task.path).is_absolute() else [base_dir / task.path, Path(task.path)]
    for candidate in candidates:
        if os.path.lexists(candidate):  # a FIFO or a link into /proc is refused, not passed over
            return check_file(candidate, "task.path", base_dir)
    looked = " or ".join(dict.fromkeys(os.path.abspath(c) for c in candidates))
    hint = ""
    if Path(task.path).stem in builtin_names():
        hint = f"; for the shipped task write task: {{builtin: {Path(task.path).stem}}}"
    raise UserError(f"task.path: file {bounded(task.path)!r} not found (looked for {bounded(looked, 300)}){hint}")


TOO_DEEP = "nested too deeply to read (task records are flat: strings, lists of strings); fix the file"


def _huge_number() -> str:
    return f"a number with more than {sys.get_int_max_str_digits():,} digits (no field holds one)"


def _starts_with_array(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip()
    return head.startswith(b"[")


def read_json_records(path: Path) -> Records:
    """JSONL (one object per line, streamed: memory is the records, not also the text) or a JSON
    array; errors name the file and line."""
    try:
        array = _starts_with_array(path)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if array:
        try:
            data = json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        except RecursionError:
            raise UserError(f"{path}: {TOO_DEEP}") from None
        except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
            raise UserError(f"{path}: {_huge_number()}") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise UserError(f"{path}: expected a JSON array of objects")
        return data
    records = []
    number = 0
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UserError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
                except RecursionError:
                    raise UserError(f"{path}:{number}: {TOO_DEEP}") from None
                except ValueError:
                    raise UserError(f"{path}:{number}: {_huge_number()}") from None
                if not isinstance(record, dict):
                    raise UserError(f"{path}:{number}: expected a JSON object per line")
                records.append(record)
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text (near line {number + 1}): save it as UTF-8") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not records:
        raise UserError(f"{path}: no records found")
    return records


def record_error(source: Path | str, number: int, exc: ValidationError | str) -> UserError:
    """The one shape of a bad record's message: source, record number, field, message, bounded value."""
    if isinstance(exc, str):
        return UserError(f"{source}: record {number}: {bounded(exc)}")
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "record"
    got = ""
    if "input" in err and not isinstance(err["input"], dict) and err["type"] not in ("missing", "extra_forbidden"):
        got = f" (got {bounded(repr(err['input']), 80)})"
    return UserError(f"{source}: record {number}: {where}: {err['msg']}{got}")


def check_unique_ids(source: Path | str, items: list[Any]) -> None:
    """Ids must be unique (a transcript is named after its item); one pass, a set."""
    seen: set[Any] = set()
    for item in items:
        item_id = getattr(item, "id", None)
        if item_id is None:
            continue
        if item_id in seen:
            raise UserError(f"{source}: duplicate id {bounded(repr(item_id))}: ids must be unique")
        seen.add(item_id)


def validate_records(source: Path | str, records: Records, model: type[BaseModel]) -> list[Any]:
    """Validate each record; the first bad one becomes a one-line error with its number and field."""
    items = []
    for number, record in enumerate(records, start=1):
        try:
            items.append(model.model_validate(record))
        except ValidationError as exc:
            raise record_error(source, number, exc) from None
    check_unique_ids(source, items)
    return items


_HUB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
"""A dataset on the Hugging Face Hub: `name` or `owner/name`."""


def check_hub_name(task: TaskConfig) -> str:
    """`task.hf` if it names a Hub dataset; a local folder, file or URL is refused, since
    `datasets` would read it (links into /proc included) and copy it to its cache unchecked."""
    assert task.hf is not None
    name = task.hf
    if not _HUB_NAME.fullmatch(name) or ".." in name or os.path.lexists(name):
        raise UserError(f"task.hf: {bounded(repr(name))} is not a Hugging Face dataset name (owner/name); "
                        f"for local files use task.path, which is checked like every file an experiment reads")
    return name


def load_hf_records(task: TaskConfig) -> Records:
    """Rows of a Hugging Face dataset split, as dicts; a failure is a one-line error."""
    check_hub_name(task)
    try:
        import datasets

        ds = datasets.load_dataset(task.hf, task.hf_config, split=task.split)
    except Exception as exc:  # the datasets library raises many types; all mean "cannot load"
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise UserError(
            f"task.hf: could not load {bounded(repr(task.hf))} split {bounded(repr(task.split))} "
            f"({type(exc).__name__}: {bounded(first)}); check the name and your network, "
            f"or download it and use task.path"
        ) from None
    fingerprint = getattr(ds, "_fingerprint", None)
    HF_FINGERPRINTS[_hf_key(task)] = str(fingerprint) if fingerprint else None
    return [dict(row) for row in ds]


HF_FINGERPRINTS: dict[tuple[str | None, str | None, str], str | None] = {}
"""The `datasets` fingerprint of each split loaded in this process (what the run pins on start)."""


def _hf_key(task: TaskConfig) -> tuple[str | None, str | None, str]:
    return (task.hf, task.hf_config, task.split)


def hf_pin(task: TaskConfig) -> dict[str, Any]:
    """What identifies a loaded Hugging Face split: name, config, split and the data's fingerprint."""
    return {"hf": task.hf, "config": task.hf_config, "split": task.split,
            "fingerprint": HF_FINGERPRINTS.get(_hf_key(task))}


def hf_label(task: TaskConfig) -> str:
    return f"task.hf {task.hf!r}"


def load_task(
    task: TaskConfig,
    base_dir: Path,
    readers: Mapping[str, Reader],
    *,
    protocol: str,
    guess_hf_format: Callable[[Records], str] | None = None,
) -> list[Any]:
    """Items of `task` through the reader its `format` names.

    `guess_hf_format` picks the reader for a Hugging Face dataset left at `format: native`
    (a dataset's rows come in the shape its authors chose, not ours).
    """
    fmt = task.format
    if fmt not in readers:
        raise UserError(
            f"task.format: unknown format {bounded(repr(fmt))}: not a {protocol} format (known: {', '.join(readers)})"
        )
    if task.hf is not None:
        records, source = load_hf_records(task), hf_label(task)
        if fmt == "native" and guess_hf_format is not None:
            fmt = guess_hf_format(records)
    else:
        path = resolve_path(task, base_dir)
        records, source = read_json_records(path), str(path)
    return readers[fmt](records, source)


__all__ = [
    "Reader", "Records", "TaskConfig", "check_unique_ids", "hf_pin", "load_hf_records", "load_task", "read_json_records",
    "builtin_names", "record_error", "resolve_path", "validate_records",
]
