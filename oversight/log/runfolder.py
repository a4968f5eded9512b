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

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from oversight.core.ids import now_iso
from oversight.core import atomic
from oversight.config.experiment import RUN_META_KEY, Experiment, read_yaml, validate_experiment
from oversight.core.errors import UserError
from oversight.core.keyguard import check_text
from oversight.models.spec import REDACTED, redact_url
from oversight.core.jsonl import FILE_MODE, Warn, append_line, append_lines, dumps, iter_lines, json_loads, repair_tail
from oversight.core.provenance import git_revision, package_versions
from oversight.log import lazy_index
from oversight.log.ranking import stands_over
from oversight.log.texts import text_ref
from oversight.log.runlock import release_lock, take_lock
from oversight.core.shapes import GENERIC, RecordShapes, judgment_problem, too_deep, transcript_problem
from oversight.log.transcripts import expand_messages, record_ref, standing_judgments

EXPERIMENT = "experiment.yaml"
TRANSCRIPTS = "transcripts.jsonl"
JUDGMENTS = "judgments.jsonl"
TEXTS = "texts.jsonl"
METRICS = "metrics.json"
ERRORS = "errors.log"
LOCK = "writer.lock"

def write_atomic(path: Path, text: str) -> None:
    """The run folder's small whole files (experiment.yaml, metrics.json), durable before renamed."""
    atomic.write_atomic(path, text.encode("utf-8"), fsync=True, mode=FILE_MODE)


def check_runs_dir(runs_dir: Path, names: list[str]) -> None:
    """Before any call: run folders can be made under `runs_dir`, with these names.

    A file in the way, a read-only folder or a name longer than the filesystem allows is a
    one-line UserError now, not a traceback after the models are loaded.
    """
    existing = runs_dir
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == runs_dir else f"is under a file ({existing})"
        raise UserError(f"--runs-dir {runs_dir}: {where}; give a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"--runs-dir {runs_dir}: {existing} is not writable; give a folder you can write to")
    try:
        limit = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for name in names:
        folder = f"{'0' * 16}-{name}-999"  # timestamp, name and a collision counter
        if len(folder.encode("utf-8")) > limit:
            raise UserError(
                f"name {name[:40]!r}...: a run folder name of {len(folder)} bytes is longer than this "
                f"filesystem allows ({limit}); shorten the experiment name or the sweep"
            )


def experiment_record(exp: Experiment) -> dict[str, Any]:
    """The experiment as experiment.yaml stores it. Sampling blocks keep only the fields the
    experiment set, so a resumed run applies a protocol's per-call defaults as the first did;
    URL credentials in model specs are hidden."""
    data = exp.model_dump(mode="json")
    data["models"] = {role: redact_url(spec) for role, spec in exp.models.items()}
    data["generation"] = {role: g.model_dump(mode="json", exclude_unset=True) for role, g in exp.generation.items()}
    return data


class RunFolder:
    """One run folder: create or open it, append records, read them back, store texts once."""

    def __init__(self, path: Path, *, warn: Warn | None = None, shapes: RecordShapes = GENERIC) -> None:
        self.path = Path(path)
        self.warn = warn
        self.shapes = shapes
        """The field types lines are checked against: the contract's, plus the run's protocol's
        when the opener knows it (`oversight.protocol.shapes.open_run`)."""
        self._texts: dict[str, str] | None = None

    @classmethod
    def create(cls, runs_dir: Path, name: str, *, warn: Warn | None = None,
               shapes: RecordShapes = GENERIC) -> "RunFolder":
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        try:
            runs_dir.mkdir(parents=True, exist_ok=True)
            for n in range(1000):
                candidate = runs_dir / (f"{stamp}-{name}" if n == 0 else f"{stamp}-{name}-{n}")
                try:
                    candidate.mkdir()
                except FileExistsError:
                    continue
                folder = cls(candidate, warn=warn, shapes=shapes)
                os.close(os.open(candidate / TRANSCRIPTS, os.O_CREAT | os.O_WRONLY, FILE_MODE))
                return folder
        except OSError as exc:
            raise UserError(f"--runs-dir {runs_dir}: cannot create a run folder ({exc.strerror or exc})") from None
        raise UserError(f"{runs_dir}: could not create a new run folder for {name!r}")

    @classmethod
    def open(cls, path: Path, *, warn: Warn | None = None) -> "RunFolder":
        path = Path(path)
        if path.is_file():
            inside = (path.parent / EXPERIMENT).is_file()
            raise UserError(f"{path}: a file, not a run folder: pass the run folder"
                            + (f" ({path.parent})" if inside else f" (the folder holding {EXPERIMENT})"))
        if not path.is_dir():
            raise UserError(f"{path}: no such run folder")
        if not (path / EXPERIMENT).is_file():
            raise UserError(f"{path}: not a run folder (no {EXPERIMENT})")
        return cls(path, warn=warn)

    @property
    def run_id(self) -> str:
        return self.path.name

    # ---- one writer at a time ----------------------------------------------------------------

    @contextmanager
    def lock(self, doing: str = "run") -> Iterator[None]:
        """Hold the folder's writer lock (`run`, `--resume`, `judge --model`): a second writer would
        pay for every remaining unit again. People judging in the terminal UI take no lock: each
        appends only their own judgment lines, and several may judge one run at once. A lock left by a dead process on this host is taken over
        with a warning; a live holder (or one on another host) is a UserError naming it."""
        path = self.path / LOCK
        take_lock(path, self.warn, doing)
        try:
            yield
        finally:
            release_lock(path)

    # ---- experiment and provenance -------------------------------------------------------

    def write_experiment(self, exp: Experiment, meta: dict[str, Any]) -> None:
        """The resolved config plus provenance. Specs and settings only: keys never reach a config."""
        data = experiment_record(exp)
        data[RUN_META_KEY] = {
            "run_id": self.run_id,
            "created_at": now_iso(),
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

    def experiment_to_resume(self) -> tuple[Experiment, dict[str, Any]]:
        """As `experiment()`, refusing specs whose URL credentials were (rightly) not stored."""
        exp, meta = self.experiment()
        for role, spec in exp.models.items():
            if REDACTED in spec:
                raise UserError(
                    f"{self.path / EXPERIMENT}: models.{role}: the URL's credentials were not stored in the run "
                    f"folder, so this run cannot call {spec!r} again; serve it without credentials in the URL "
                    f"(the key goes in OPENAI_COMPATIBLE_API_KEY) and start a new run"
                )
        return exp, meta

    # ---- records ---------------------------------------------------------------------------

    def repair(self) -> None:
        """Cut torn last lines (a crash mid-write) so the next append starts on a fresh line."""
        for name in (TRANSCRIPTS, JUDGMENTS, TEXTS):
            repair_tail(self.path / name, warn=self.warn)

    def append_transcript(self, record: dict[str, Any]) -> None:
        append_line(self.path / TRANSCRIPTS, record)

    def append_judgment(self, record: dict[str, Any]) -> None:
        append_line(self.path / JUDGMENTS, record)

    def append_units(self, judgments: list[dict[str, Any]], transcripts: list[dict[str, Any]]) -> None:
        """Finished units in one go: their judgment lines first, then their transcript lines, so a
        transcript on disk always has its judgments on disk (one fsync per file)."""
        if judgments:
            append_lines(self.path / JUDGMENTS, judgments)
        append_lines(self.path / TRANSCRIPTS, transcripts)

    def iter_transcripts(self) -> Iterator[dict[str, Any]]:
        """Every transcript line in file order (a retried unit appears more than once)."""
        return iter_lines(self.path / TRANSCRIPTS, warn=self.warn, check=partial(transcript_problem, shapes=self.shapes))

    def transcripts(self) -> list[dict[str, Any]]:
        """Finished transcripts; if an id appears twice (a retried unit), the line that stands
        by `transcript_rank` (a finished attempt over a failed one, then the latest), so the
        choice never depends on line order."""
        latest: dict[str, dict[str, Any]] = {}
        for record in self.iter_transcripts():
            if "id" in record and (record["id"] not in latest or stands_over(record, latest[record["id"]])):
                latest[record["id"]] = record
        return list(latest.values())

    def iter_judgments(self) -> Iterator[dict[str, Any]]:
        """Every judgment line of the right shape, in file order."""
        return iter_lines(self.path / JUDGMENTS, warn=self.warn, check=partial(judgment_problem, shapes=self.shapes))

    def judgments(self, transcripts: list[dict[str, Any]] | None = None) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Judgments of finished transcripts, and counts of the ones left out and why.

        A run's own judge writes its judgments just before the transcript line; if the unit
        crashed in between and ran again, the orphaned judgments carry an older `attempt`
        ("stale_attempt"). A judgment naming no transcript of this run is "unknown_transcript".
        A person's undo leaves out the undone judgment ("retracted", counted once: the
        retraction record that undoes it is no judgment); a failed model call judged again
        leaves out the failed record ("retried").
        The file itself is never rewritten.
        """
        transcripts = self.transcripts() if transcripts is None else transcripts
        attempts = {t["id"]: t.get("attempt") for t in transcripts}
        kept: list[dict[str, Any]] = []
        dropped = {"unknown_transcript": 0, "stale_attempt": 0, "retracted": 0, "retried": 0}
        for record in self.iter_judgments():
            tid = record.get("transcript_id")
            if tid not in attempts:
                dropped["unknown_transcript"] += 1
            elif record.get("attempt") is not None and record["attempt"] != attempts[tid]:
                dropped["stale_attempt"] += 1
            else:
                kept.append(record)
        retries = {str(r["supersedes"]) for r in kept if r.get("supersedes") is not None and not r.get("retracted")}
        dropped["retried"] = sum(1 for r in kept if r.get("failed") and retries and record_ref(r) in retries)
        markers = sum(1 for r in kept if r.get("retracted"))
        kept, left_out = standing_judgments(kept)
        dropped["retracted"] = left_out - dropped["retried"] - markers
        return kept, dropped

    def log_error(self, unit_id: str, text: str) -> None:
        entry = f"--- {unit_id}\n{text}\n"
        check_text(entry, str(self.path / ERRORS), "written")  # a traceback may quote a prompt
        with open(self.path / ERRORS, "a", encoding="utf-8") as fh:
            fh.write(entry)

    # ---- metrics ---------------------------------------------------------------------------

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_atomic(self.path / METRICS, dumps(metrics, indent=2) + "\n")

    def try_write_metrics(self, metrics: dict[str, Any]) -> bool:
        """For `report` on a folder it may not write (read-only, a full disk): warn, go on."""
        try:
            self.write_metrics(metrics)
        except OSError as exc:
            if self.warn is not None:
                self.warn(f"{self.path / METRICS}: could not write ({exc.strerror or exc}); the numbers shown are not saved")
            return False
        return True

    def metrics(self) -> dict[str, Any] | None:
        """metrics.json as written, None if there is none; UserError if it is cut off or not an object."""
        path = self.path / METRICS
        if not path.is_file():
            return None
        try:
            data = json_loads(path.read_bytes())
        except (OSError, ValueError, RecursionError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not whole JSON (cut off, or edited?)"
            raise UserError(f"{path}: cannot be read ({why}); oversight report RUN_DIR writes it again") from None
        if not isinstance(data, dict) or too_deep(data):
            raise UserError(f"{path}: not a JSON object of the expected shape; "
                            f"oversight report RUN_DIR writes it again")
        return data

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

    def model_input(self, event: dict[str, Any]) -> list[dict[str, str]]:
        """A model event's messages exactly as the model saw them."""
        return expand_messages(event.get("input") or [], self.get_text)

    def refs_containing(self, needle: str) -> list[str]:
        """The stored texts (stories) containing `needle`, case-insensitive, by reference."""
        return [ref for ref, text in self._load_texts().items() if needle.lower() in text.lower()]

    def get_text(self, ref: str) -> str:
        try:
            return self._load_texts()[ref]
        except KeyError:
            raise UserError(f"{self.path / TEXTS}: no text {ref!r} (the run folder is incomplete)") from None

    # ---- a lazy index of transcripts (oversight.log.lazy_index) ---------------------------------

    def transcript_index(self) -> list[dict[str, Any]]:
        """One light entry per standing transcript, in file order (see `lazy_index.transcript_index`):
        `offset` and `length` of its line plus its small fields; events and outcome unparsed."""
        return lazy_index.transcript_index(self.path / TRANSCRIPTS, self.warn)

    def read_transcript_at(self, offset: int) -> dict[str, Any]:
        """The whole transcript whose line starts at `offset` (from `transcript_index()`)."""
        return lazy_index.read_transcript_at(self.path / TRANSCRIPTS, offset, self.shapes)

    def read_transcript_lines(self, offsets: set[int]) -> Iterator[tuple[int, bytes]]:
        """The raw lines starting at `offsets`, in file order: a text search that parses no JSON."""
        return lazy_index.read_transcript_lines(self.path / TRANSCRIPTS, offsets)
