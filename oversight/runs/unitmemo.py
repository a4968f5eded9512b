"""Unit replay memo: a finished unit kept beside the response cache, so running an unchanged
experiment again replays each unit from one file instead of running its graph.

Why: with the response cache a re-run makes no call, yet each unit still runs its graph, renders
prompts, hashes long messages and reads a cache file per call: a quarter of the first run.

Layout: `<cache dir>/units/ab/<key>.json` (the response cache's folder: `OVERSIGHT_CACHE_DIR` or
the default); texts of 1,000+ characters once each in `<cache dir>/units/texts/ab/<sha256>.txt`.
Off with `cache: false`, with `OVERSIGHT_REPLAY_UNITS=0`, when any role is batched, and for a
unit whose item or data is not a pydantic model, dataclass or JSON value (nothing sure to hash).

The key, sha256 over: this format; the protocol's name and class; params; per bound role the
model's cache id and shown name; the `generation:` blocks (values and the fields set, which
`settings_for` reads); every prompt template's text; the seed; a code fingerprint (every `.py` of
`oversight` and of the protocol's top-level package, or of the folder of a top-level module); the
package versions provenance records; per unit its id, item_id, condition, data and a fingerprint
of its item. Per-run parts are hashed once per run, the code once per process.

A replay writes what the unit writes when the response cache answers every call (`Model.generate`'s
hit path, `Recorder.call`, `Transcript.to_record`):
- model events as a hit records them: `cached: true`, `latency_s: 0.0`, no `coalesced`, `endpoint`
  or `batched`; `usage`, `content`, `input`, `logprobs` as the call returned them. A failed unit,
  or one with a `model_error` event (a cache re-run would call that model again), is not stored.
- `usage_by_role`: per role, in the order of its first call, the sum over its model events of
  `Usage(cost_usd=None if the call was unpriced else 0.0)`; `usage` is their sum.
- new per execution: the transcript's `run_id` (this run's), `attempt` (a fresh id, also in each
  of its judgments) and `created_at` (now, also in each judgment). All else is as stored.
- every text the unit stored (`Recorder.put_text`) is stored in the new run folder (`ctx.put_text`),
  so compact inputs and outcome refs resolve there; sub-unit progress is reported in one step.
- calls run in parallel inside a unit (summarize's fan-out, simultaneous debate turns) keep the
  order in which the storing run finished them; a cache-hit run records them in start order.
Entries are written as the response cache writes (temp file, then rename); a failed write is a
`UnitMemoWarning`, a missing or damaged entry or text a miss: the unit runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import os
import sys
import uuid
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel

import oversight
from oversight.core.atomic import write_atomic
from oversight.models.cache import CacheWriteWarning, ResponseCache, _cache_id
from oversight.core.provenance import package_versions
from oversight.protocol.recorder import RunContext
from oversight.core.ids import now_iso, sha256_hex
from oversight.log.transcripts import MIN_SHARED_CHARS, Transcript
from oversight.protocol.contract import Unit
from oversight.runs.plan import Plan

ENV = "OVERSIGHT_REPLAY_UNITS"
FORMAT = 1
_versions = lru_cache(maxsize=1)(package_versions)
Replay = tuple[Transcript, dict[str, Any], list[dict[str, Any]]]


class UnitMemoWarning(CacheWriteWarning):
    """A finished unit could not be stored in the memo; the run goes on, it runs again next time."""


@lru_cache(maxsize=None)
def _tree_digest(folder: str, recursive: bool) -> str:
    root, digest = Path(folder), hashlib.sha256()
    for path in sorted(root.rglob("*.py") if recursive else root.glob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_fingerprint(cls: type) -> str:
    """`oversight`'s code and the protocol's, hashed once per process."""
    top = sys.modules[cls.__module__.partition(".")[0]]
    own = Path(oversight.__file__).parent.resolve()
    if hasattr(top, "__path__"):  # in a package: the whole top-level package
        if not top.__file__:
            raise ValueError(f"{top.__name__} is a namespace package: no one folder to hash")
        folder, recursive = Path(top.__file__).parent.resolve(), True
    else:  # a top-level module: the modules beside it
        folder, recursive = Path(inspect.getfile(cls)).parent.resolve(), False
    theirs = _tree_digest(str(folder), recursive) if folder != own else ""
    return sha256_hex(f"{_tree_digest(str(own), True)}\0{theirs}".encode())


def fingerprint(value: Any) -> str | None:
    """sha256 of an item's content and type, or None when it cannot be hashed surely."""
    cls = type(value)
    try:
        if isinstance(value, BaseModel):
            if value.__pydantic_private__ or any(f.exclude for f in cls.model_fields.values()):
                return None
            body = value.model_dump_json().encode()
        elif dataclasses.is_dataclass(value) or value is None or isinstance(value, (str, int, float, list, dict)):
            body = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        else:
            return None
    except Exception:  # noqa: BLE001 - anything unserialisable is simply not memoised
        return None
    return sha256_hex(f"{cls.__module__}.{cls.__qualname__}".encode() + b"\0" + body)


def hit_form(record: dict[str, Any]) -> dict[str, Any]:
    """A fresh transcript record as a run answered wholly by the response cache writes it."""
    events, by_role = [], {}
    for event in record["events"]:
        if event.get("type") == "model":
            event = {k: v for k, v in event.items() if k not in ("coalesced", "endpoint", "batched")}
            event.update(cached=True, latency_s=0.0)
            role = by_role.setdefault(event["role"], {"input_tokens": 0, "output_tokens": 0, "cost_usd": None})
            if (event.get("usage") or {}).get("cost_usd") is not None:
                role["cost_usd"] = 0.0
        events.append(event)
    priced = any(u["cost_usd"] is not None for u in by_role.values())
    total = {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0 if priced else None}
    return {**record, "events": events, "usage": total, "usage_by_role": by_role}


class Watch:
    """One unit running fresh: its Recorder's context, noting the texts it stores and its progress."""

    def __init__(self, memo: UnitMemo, key: str, ctx: RunContext) -> None:
        self.memo, self.key, self.outer = memo, key, ctx
        self.texts: dict[str, str] = {}
        self.progress = [0, 0]
        self.context = dataclasses.replace(ctx, put_text=self._put_text, on_progress=self._on_progress)

    def _put_text(self, text: str) -> str:
        ref = self.outer.put_text(text)
        self.texts.setdefault(ref, text)
        return ref

    def _on_progress(self, advance: int, total: int) -> None:
        self.progress = [self.progress[0] + advance, self.progress[1] + total]
        if self.outer.on_progress is not None:
            self.outer.on_progress(advance, total)

    def store(self, record: dict[str, Any], judgments: list[dict[str, Any]]) -> None:
        """Keep a unit that finished with no error (the caller checks `error`)."""
        if not any(e.get("type") == "model_error" for e in record["events"]):
            self.memo.store(self, record, judgments)


class UnitMemo:
    """The memo of one run: per-run key parts hashed once, each item fingerprinted once."""

    def __init__(self, directory: Path, run_digest: str) -> None:
        self.directory, self.run_digest, self.replayed = directory, run_digest, 0
        self._items: dict[int, tuple[Any, str | None]] = {}
        self._texts: dict[str, str] = {}  # sha256 -> text read and checked this run
        self._shas: dict[str, str] = {}  # ref -> sha256 of a text this run stored

    @classmethod
    def open(cls, p: Plan, ctx: RunContext, cache: ResponseCache | None) -> UnitMemo | None:
        """The run's memo, or None when it is off (see the module docstring)."""
        if cache is None or not p.exp.cache or os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
            return None
        if any(m.batcher is not None or p.exp.batched(r) for r, m in ctx.models.items()):
            return None
        try:
            digest = sha256_hex(orjson.dumps({
                "format": FORMAT, "protocol": p.exp.protocol, "params": p.params.model_dump_json(),
                "class": f"{type(p.protocol).__module__}.{type(p.protocol).__qualname__}",
                "models": {r: [_cache_id(m.spec), m.name] for r, m in ctx.models.items()},
                "generation": {r: [g.model_dump(mode="json"), sorted(g.model_fields_set)]
                               for r, g in ctx.generation.items()},
                "prompts": {n: t.text for n, t in ctx.prompts.templates.items()}, "seed": ctx.seed,
                "code": code_fingerprint(type(p.protocol)), "versions": _versions(),
            }, option=orjson.OPT_SORT_KEYS))
        except Exception:  # noqa: BLE001 - a protocol we cannot fingerprint runs without the memo
            return None
        return cls(cache.directory / "units", digest)

    def key(self, unit: Unit[Any]) -> str | None:
        got = self._items.get(id(unit.item))
        if got is None or got[0] is not unit.item:
            got = self._items[id(unit.item)] = (unit.item, fingerprint(unit.item))
        if got[1] is None:
            return None
        try:
            return sha256_hex(orjson.dumps([self.run_digest, unit.id, unit.item_id, unit.condition, unit.data, got[1]],
                                     option=orjson.OPT_SORT_KEYS))
        except TypeError:
            return None

    def _path(self, key: str, folder: str = "", suffix: str = ".json") -> Path:
        return self.directory / folder / key[:2] / f"{key}{suffix}"

    def replay(self, unit: Unit[Any], ctx: RunContext) -> Replay | None:
        """(transcript, its record, its judgment records) as this run writes them, or None (a miss)."""
        key = self.key(unit)
        try:
            entry = orjson.loads(self._path(key).read_bytes()) if key is not None else None
            if entry is None or entry["key"] != key or entry["format"] != FORMAT:
                return None
            record, judgments, (advance, total) = entry["transcript"], entry["judgments"], entry["progress"]
            texts = [(t["ref"], t["text"] if "text" in t else self._read_text(t["sha256"])) for t in entry["texts"]]
            if any(text is None for _, text in texts) or not all(isinstance(j, dict) for j in judgments):
                return None
            attempt, now = uuid.uuid4().hex[:12], now_iso()
            record.update(run_id=ctx.run_id, attempt=attempt, created_at=now)
            transcript = Transcript.model_validate(record)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # no entry, or one that cannot be read: run the unit
        if transcript.error is not None or any(ctx.put_text(text) != ref for ref, text in texts):
            return None
        for judgment in judgments:
            judgment.update(attempt=attempt, created_at=now)
        if ctx.on_progress is not None and (advance or total):
            ctx.on_progress(advance, total)
        self.replayed += 1
        return transcript, record, judgments

    def _read_text(self, sha: str) -> str | None:
        if sha not in self._texts:
            data = self._path(sha, "texts", ".txt").read_bytes()
            if sha256_hex(data) != sha:
                return None
            self._texts[sha] = data.decode("utf-8")
        return self._texts[sha]

    def watch(self, unit: Unit[Any], ctx: RunContext) -> Watch | None:
        """A context for a unit about to run, noting what the memo will store."""
        key = self.key(unit)
        return None if key is None else Watch(self, key, ctx)

    def store(self, watch: Watch, record: dict[str, Any], judgments: list[dict[str, Any]]) -> None:
        """On the loop, as the response cache writes: one small file per unit, each text once."""
        texts = []
        try:
            for ref, text in watch.texts.items():
                if len(text) < MIN_SHARED_CHARS:
                    texts.append({"ref": ref, "text": text})
                    continue
                if ref not in self._shas:
                    data = text.encode("utf-8")
                    sha = sha256_hex(data)
                    if not self._intact(sha):
                        write_atomic(self._path(sha, "texts", ".txt"), data, make_parent=True)  # none yet, or a damaged one
                    self._shas[ref] = sha
                texts.append({"ref": ref, "sha256": self._shas[ref]})
            write_atomic(self._path(watch.key), orjson.dumps({
                "format": FORMAT, "key": watch.key, "transcript": hit_form(record), "judgments": judgments,
                "texts": texts, "progress": watch.progress}), make_parent=True)
        except OSError as exc:  # no path in the message: warnings then shows one line per cause
            warnings.warn(f"unit memo in {self.directory}: a finished unit could not be stored "
                          f"({exc.strerror or exc}); the run goes on", UnitMemoWarning, stacklevel=3)

    def _intact(self, sha: str) -> bool:
        try:
            return self._read_text(sha) is not None
        except (OSError, ValueError):
            return False
