"""A finished run folder as typed records and pandas frames, for notebooks and scripts.

Everything is read through `RunFolder`, so what stands here is what `oversight report` counts:
the transcript line that stands for each unit, and the judgments that stand (a person's undo, a
retried failed call, an orphaned or unknown judgment are left out). The frames keep the
left-out judgments too, flagged in `left_out`, so nothing on disk is hidden from an analysis.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from oversight.config.experiment import Experiment
from oversight.core.errors import UserError, bounded
from oversight.log.runfolder import JUDGMENTS, TRANSCRIPTS, RunFolder
from oversight.protocol.shapes import open_folder
from oversight.log.transcripts import MODEL_EVENT_TYPES, Event, record_ref
from oversight.models.types import Usage

if TYPE_CHECKING:  # pandas is only needed (and only imported) by the *_frame methods
    import pandas

T = TypeVar("T")

COMMON_JUDGMENT_KEYS = ("schema", "id", "transcript_id", "judge", "attempt", "created_at", "view_key", "condition",
                        "model", "failed", "invalid", "reason", "retracted", "supersedes", "usage")
"""Judgment fields every protocol shares; the rest of a record is the protocol's verdict."""


def _usage(value: Any) -> Usage:
    """Usage as stored; keys a newer or other writer added are ignored, not an error."""
    if not isinstance(value, dict):
        return Usage()
    return Usage.model_validate({k: v for k, v in value.items() if k in Usage.model_fields})


@dataclass(frozen=True)
class Transcript:
    """One unit of the run (the line that stands for it), with its events typed."""

    id: str
    item_id: str
    protocol: str
    condition: str
    outcome: dict[str, Any]
    error: str | None
    attempt: str | None
    created_at: str | None
    usage: Usage
    usage_by_role: dict[str, Usage]
    events: tuple[Event, ...]
    record: dict[str, Any] = field(repr=False)
    """The line as stored in transcripts.jsonl."""

    @property
    def failed(self) -> bool:
        return self.error is not None

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> "Transcript":
        return cls(
            id=r["id"], item_id=r["item_id"], protocol=r["protocol"], condition=r["condition"],
            outcome=dict(r.get("outcome") or {}), error=r.get("error"), attempt=r.get("attempt"),
            created_at=r.get("created_at"), usage=_usage(r.get("usage")),
            usage_by_role={role: _usage(u) for role, u in (r.get("usage_by_role") or {}).items()},
            events=tuple(Event.model_validate(e) for e in r["events"] if isinstance(e, dict)), record=r,
        )


@dataclass(frozen=True)
class Judgment:
    """One judgment line: the shared fields typed, the protocol's verdict fields in `verdict`."""

    id: str | None
    transcript_id: str
    judge_kind: str
    judge_id: str
    view_key: str | None
    condition: str | None
    model: str | None
    failed: bool
    invalid: bool
    reason: str | None
    retracted: bool
    supersedes: str | None
    attempt: str | None
    created_at: str | None
    usage: Usage | None
    """What re-judging spent on it; None on a run's own judgments (their calls are events of
    the transcript, in `calls_frame`) and on a person's."""
    verdict: dict[str, Any]
    left_out: str | None
    """Why `oversight report` does not count it (retracted, retried, stale_attempt,
    unknown_transcript), or None when it stands."""
    record: dict[str, Any] = field(repr=False)

    @property
    def stands(self) -> bool:
        return self.left_out is None

    @classmethod
    def from_record(cls, r: dict[str, Any], left_out: str | None) -> "Judgment":
        judge = r.get("judge") if isinstance(r.get("judge"), dict) else {}
        return cls(
            id=r.get("id"), transcript_id=str(r.get("transcript_id")), judge_kind=str(judge.get("kind")),
            judge_id=str(judge.get("id")), view_key=r.get("view_key"), condition=r.get("condition"),
            model=r.get("model"), failed=bool(r.get("failed")), invalid=bool(r.get("invalid")), reason=r.get("reason"),
            retracted=bool(r.get("retracted")), supersedes=r.get("supersedes"), attempt=r.get("attempt"),
            created_at=r.get("created_at"),
            usage=_usage(r["usage"]) if isinstance(r.get("usage"), dict) else None,
            verdict={k: v for k, v in r.items() if k not in COMMON_JUDGMENT_KEYS}, left_out=left_out, record=r,
        )


_OURS = tuple({str(Path(__file__).parents[1]), os.path.realpath(Path(__file__).parents[1])})
_STDLIB = tuple({sysconfig.get_paths()["stdlib"], os.path.realpath(sysconfig.get_paths()["stdlib"])})


def _caller_level() -> int:
    """`warnings.warn`'s stacklevel for the first frame outside oversight and the standard
    library: the line of the script or notebook cell that called the API."""
    frame, level = sys._getframe(1), 1
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(_OURS) or name.startswith(_STDLIB) or name.startswith("<frozen")):
            return level
        frame, level = frame.f_back, level + 1
    return 2


def warn(message: str) -> None:
    """The lower layers' warnings (a torn line skipped, ...) as Python warnings, one line each,
    reported at the caller's line (`oversight.open_run(...)` in a notebook cell), not ours."""
    warnings.warn(message, stacklevel=_caller_level())


def _typed(folder: RunFolder, name: str, record: dict[str, Any], make: Callable[[dict[str, Any]], T]) -> T:
    """A record typed, or a one-line UserError naming the file, the record and the field."""
    try:
        return make(record)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UserError(f"{folder.path / name}: record {bounded(record.get('id') or record.get('transcript_id'), 80)}: "
                        f"{where}: {err['msg']} (was the file edited?)") from None


def _key(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, default=str)


class Run:
    """A run folder, read once when opened (`oversight.open_run(path)`)."""

    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder
        exp, meta = folder.experiment()
        self.experiment: Experiment = exp
        self.meta: dict[str, Any] = meta
        """The provenance block of experiment.yaml (versions, pins, sweep point, ...)."""
        self.metrics: dict[str, Any] | None = folder.metrics()
        """metrics.json as last written (by run, judge or report); None if there is none."""
        self.transcripts: list[Transcript] = [_typed(folder, TRANSCRIPTS, r, Transcript.from_record)
                                              for r in folder.transcripts()]
        self.all_judgments: list[Judgment] = self._read_judgments()
        """Every judgment line (of finished transcripts or not), each saying whether it stands."""

    @property
    def path(self) -> Path:
        return self.folder.path

    @property
    def run_id(self) -> str:
        return self.folder.run_id

    @property
    def judgments(self) -> list[Judgment]:
        """The judgments that stand: the ones `oversight report` counts."""
        return [j for j in self.all_judgments if j.stands]

    def __repr__(self) -> str:
        return (f"Run({str(self.path)!r}, protocol={self.experiment.protocol!r}, "
                f"transcripts={len(self.transcripts)}, judgments={len(self.judgments)})")

    def _read_judgments(self) -> list[Judgment]:
        """Every line, flagged by the folder's own rule: a record stands when `RunFolder.judgments`
        keeps it; the label says which of its reasons left the others out."""
        # Read first, silently (the folder's own read below warns of skipped lines once): a line
        # a person appends in between is then only in the second read, and labels nothing wrongly.
        every = list(RunFolder(self.path, shapes=self.folder.shapes).iter_judgments())
        kept, _ = self.folder.judgments([t.record for t in self.transcripts])
        standing = Counter(_key(r) for r in kept)
        attempts = {t.id: t.attempt for t in self.transcripts}
        answered = {str(r["supersedes"]) for r in every if r.get("supersedes") is not None and not r.get("retracted")}
        out = []
        for r in every:
            key = _key(r)
            if standing[key] > 0:
                standing[key] -= 1
                reason = None
            elif r.get("transcript_id") not in attempts:
                reason = "unknown_transcript"
            elif r.get("attempt") is not None and r["attempt"] != attempts[r["transcript_id"]]:
                reason = "stale_attempt"
            elif r.get("failed") and not r.get("retracted") and record_ref(r) in answered:
                reason = "retried"
            else:
                reason = "retracted"
            out.append(_typed(self.folder, JUDGMENTS, r, lambda r: Judgment.from_record(r, reason)))  # noqa: B023
        return out

    # ---- pandas frames (pandas is imported here only: it takes a second to import) ------------

    def transcripts_frame(self) -> "pandas.DataFrame":
        """One row per transcript; scalar outcome fields as `outcome.<name>` columns."""
        import pandas  # lazy: slow to import, and only the frames need it

        rows = []
        for t in self.transcripts:
            row: dict[str, Any] = {
                "id": t.id, "item_id": t.item_id, "protocol": t.protocol, "condition": t.condition,
                "error": t.error, "attempt": t.attempt, "created_at": t.created_at,
                "input_tokens": t.usage.input_tokens, "output_tokens": t.usage.output_tokens,
                "cost_usd": t.usage.cost_usd, "model_calls": sum(e.type == "model" for e in t.events),
            }
            row.update({f"outcome.{k}": v for k, v in t.outcome.items() if _scalar(v)})
            rows.append(row)
        return pandas.DataFrame(rows, columns=_columns(rows, TRANSCRIPT_COLUMNS))

    def judgments_frame(self) -> "pandas.DataFrame":
        """One row per judgment line, standing or not (`stands`, `left_out` say which); the
        protocol's verdict fields as further columns."""
        import pandas  # lazy: slow to import, and only the frames need it

        rows = []
        for j in self.all_judgments:
            row: dict[str, Any] = {
                "id": j.id, "transcript_id": j.transcript_id, "judge_kind": j.judge_kind, "judge_id": j.judge_id,
                "view_key": j.view_key, "condition": j.condition, "model": j.model, "failed": j.failed,
                "invalid": j.invalid, "reason": j.reason, "stands": j.stands, "left_out": j.left_out,
                "retracted": j.retracted, "supersedes": j.supersedes, "created_at": j.created_at,
                "input_tokens": j.usage.input_tokens if j.usage else None,
                "output_tokens": j.usage.output_tokens if j.usage else None,
                "cost_usd": j.usage.cost_usd if j.usage else None,
            }
            row.update({k: v for k, v in j.verdict.items() if k not in row})
            rows.append(row)
        return pandas.DataFrame(rows, columns=_columns(rows, JUDGMENT_COLUMNS))

    def calls_frame(self) -> "pandas.DataFrame":
        """One row per model call event of the standing transcripts (failed calls included, as
        `type="model_error"`). Re-judging calls are not events of a transcript: their usage is
        on each judgment (see `judgments_frame`)."""
        import pandas  # lazy: slow to import, and only the frames need it

        rows = []
        for t in self.transcripts:
            for index, e in enumerate(t.events):
                if e.type not in MODEL_EVENT_TYPES:
                    continue
                usage = e.usage or Usage()
                rows.append({
                    "transcript_id": t.id, "item_id": t.item_id, "condition": t.condition, "event": index,
                    "type": e.type, "role": e.role, "step": e.step, "model": e.model,
                    "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                    "cache_read_tokens": usage.cache_read_tokens, "cost_usd": usage.cost_usd,
                    "latency_s": e.latency_s, "cached": e.cached, "error": e.error,
                })
        return pandas.DataFrame(rows, columns=CALL_COLUMNS)


TRANSCRIPT_COLUMNS = ["id", "item_id", "protocol", "condition", "error", "attempt", "created_at", "input_tokens",
                      "output_tokens", "cost_usd", "model_calls"]
JUDGMENT_COLUMNS = ["id", "transcript_id", "judge_kind", "judge_id", "view_key", "condition", "model", "failed",
                    "invalid", "reason", "stands", "left_out", "retracted", "supersedes", "created_at",
                    "input_tokens", "output_tokens", "cost_usd"]
CALL_COLUMNS = ["transcript_id", "item_id", "condition", "event", "type", "role", "step", "model", "input_tokens",
                "output_tokens", "cache_read_tokens", "cost_usd", "latency_s", "cached", "error"]


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _columns(rows: list[dict[str, Any]], fixed: list[str]) -> list[str]:
    """The fixed columns first (present even with no rows), then the others in first-seen order."""
    extra = dict.fromkeys(k for row in rows for k in row if k not in fixed)
    return [*fixed, *extra]


def open_run(path: str | Path) -> Run:
    """A run folder as typed records; a missing or broken folder is a one-line UserError."""
    return Run(open_folder(Path(path), warn=warn))
