"""A new run folder for an import: the `RunFolder` layout, written in bulk, removed if the import fails.

`RunFolder.append_*` fsyncs every line, which is right for a run that may crash between units
but makes an import of a few hundred debates take seconds of disk syncs for nothing: an import
is all or nothing. So records stream into the folder's files (names and text refs from
`oversight.log.runfolder`) and each file is fsynced once at the end. `experiment.yaml` is written
last through `RunFolder.write_experiment` (until then the folder is not a run), and on any
error the folder is deleted, so a half-imported folder never passes for a run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from oversight.config.experiment import Experiment
from oversight.core.jsonl import dumps
from oversight.core.keyguard import check_text
from oversight.log.runfolder import JUDGMENTS, TEXTS, TRANSCRIPTS, RunFolder
from oversight.log.texts import text_ref


class BulkWriter:
    """Appends records to a fresh run folder's files; same method names as `RunFolder`."""

    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder
        self.path = folder.path
        self.run_id = folder.run_id
        self._files: dict[str, IO[str]] = {}
        self._refs: set[str] = set()

    def append(self, filename: str, record: dict[str, Any]) -> None:
        """One record as one JSON line of `filename` in the run folder (e.g. an importer's side file)."""
        fh = self._files.get(filename)
        if fh is None:
            fh = self._files[filename] = open(self.path / filename, "a", encoding="utf-8")
        line = dumps(record, separators=(",", ":")) + "\n"
        check_text(line, str(self.path / filename), "written")  # never an API key's value
        fh.write(line)

    def append_transcript(self, record: dict[str, Any]) -> None:
        self.append(TRANSCRIPTS, record)

    def append_judgment(self, record: dict[str, Any]) -> None:
        self.append(JUDGMENTS, record)

    def put_text(self, text: str) -> str:
        """Store a large text once per run; the same text always gets the same ref."""
        ref = text_ref(text)
        if ref not in self._refs:
            self._refs.add(ref)
            self.append(TEXTS, {"ref": ref, "text": text})
        return ref

    def write_experiment(self, exp: Experiment, meta: dict[str, Any]) -> None:
        """Sync every file, then write experiment.yaml: the step that makes the folder a run."""
        self.close()
        self.folder.write_experiment(exp, meta)

    def close(self) -> None:
        for fh in self._files.values():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        self._files.clear()


@contextmanager
def new_folder(runs_dir: Path, name: str) -> Iterator[BulkWriter]:
    """A writer on a fresh run folder under `runs_dir`; the folder is deleted if the block raises."""
    writer = BulkWriter(RunFolder.create(Path(runs_dir), name))
    try:
        yield writer
    except BaseException:
        writer.close()
        shutil.rmtree(writer.path, ignore_errors=True)
        raise
    writer.close()


__all__ = ["BulkWriter", "new_folder"]
