"""The one place importers write a run folder.

Kept private and small so it can be switched to `oversight.runfolder.RunFolder` (same method
names: `path`, `append_transcript`, `append_judgment`, `put_text`) once that lands. Importers
write whole files in one go, so lines are buffered and each file is fsynced once at the end
rather than per line; `experiment.yaml` is written last, and a failed import removes the
folder, so a half-imported folder is never mistaken for a run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import yaml

from oversight.jsonl import dumps
from oversight.runfolder import new_run_dir, write_atomic

TEXTS_FILE = "texts.jsonl"


def text_ref(text: str) -> str:
    """The reference a stored text is known by: the same text always gets the same ref."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class ImportWriter:
    """Writes one new run folder; use as a context manager so a failure leaves nothing behind."""

    def __init__(self, runs_dir: Path, name: str) -> None:
        self.path = new_run_dir(runs_dir, name)
        self._files: dict[str, IO[str]] = {}
        self._refs: set[str] = set()

    def __enter__(self) -> ImportWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._close()
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def append(self, filename: str, record: dict[str, Any]) -> None:
        """One record as one JSON line of `filename` in the run folder."""
        fh = self._files.get(filename)
        if fh is None:
            fh = self._files[filename] = open(self.path / filename, "a", encoding="utf-8")
        fh.write(dumps(record, separators=(",", ":")) + "\n")

    def append_transcript(self, record: dict[str, Any]) -> None:
        self.append("transcripts.jsonl", record)

    def append_judgment(self, record: dict[str, Any]) -> None:
        self.append("judgments.jsonl", record)

    def put_text(self, text: str) -> str:
        """Store a large text once per run (texts.jsonl); return its ref."""
        ref = text_ref(text)
        if ref not in self._refs:
            self._refs.add(ref)
            self.append(TEXTS_FILE, {"ref": ref, "text": text})
        return ref

    def write_experiment(self, data: dict[str, Any]) -> None:
        """experiment.yaml; call last, after every other file is complete."""
        self._close()
        write_atomic(self.path / "experiment.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def _close(self) -> None:
        for fh in self._files.values():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        self._files.clear()


__all__ = ["ImportWriter", "TEXTS_FILE", "text_ref"]
