"""Unit replay memo: a finished unit kept beside the response cache, so running a finished
experiment again replays each unit from one file instead of running its graph.

Why: with the response cache a re-run makes no call, yet every unit still runs its LangGraph
graph, renders prompts, hashes long messages for cache keys and reads a cache file per call;
that floor alone is a quarter of the first run. A unit whose every input is unchanged would only
ask the cache the same questions and get the same answers, so its result is known.

Layout: `<cache dir>/units/ab/<key>.json` (the response cache's folder: `OVERSIGHT_CACHE_DIR` or
the default), texts of 1,000+ characters once each in `<cache dir>/units/texts/ab/<sha256>.txt`.
Off with `cache: false`, with `OVERSIGHT_REPLAY_UNITS=0`, when any role is batched, and for a
unit whose item or data is not a pydantic model, dataclass or JSON value (nothing sure to hash).

The key, sha256 over: this format; the protocol's name and class; params (model_dump_json); per
bound role the model's cache id, shown name and whether it batches; the `generation:` blocks
(values and the fields set, which `settings_for` reads); every prompt template's text; the seed;
a code fingerprint (every `.py` of `oversight` and of the protocol's own package, or of its
module's folder when it is a top-level module); the package versions provenance records; and per
unit its id, item_id, condition, data and a fingerprint of its item (hashed once per item).

What a replay writes is what the unit writes when every call is answered by the response cache
(`Model.generate`'s hit path, `Recorder.call`, `Transcript.to_record`):
- model events as a hit records them: `cached: true`, `latency_s: 0.0`, no `coalesced`, `endpoint`
  or `batched`; `usage`, `content`, `input` and `logprobs` as the call returned them. A unit with
  a `model_error` event is never stored (a cache re-run would call that model again).
- `usage_by_role`: per role, in the order of its first call, the sum over its model events of
  `Usage(cost_usd=None if the call was unpriced else 0.0)`; `usage` is their sum.
- per execution: the transcript's `run_id` (this run's), `attempt` (a fresh id, also in each of its
  judgments) and `created_at` (now, also in each judgment). Everything else is as stored.
- every text the unit stored (`Recorder.put_text`) is stored in the new run folder (`ctx.put_text`),
  so compact inputs and outcome refs resolve there; sub-unit progress is reported in one step.
- calls that run in parallel inside a unit (summarize's fan-out, simultaneous debate turns) keep
  the order in which the storing run finished them; a cache-hit run records them in start order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import inspect
import os
import sys
import tempfile
import uuid
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel

import oversight
from oversight.models.cache import CacheWriteWarning, ResponseCache, _cache_id
from oversight.provenance import package_versions
from oversight.recorder import RunContext
from oversight.transcripts import MIN_SHARED_CHARS, Transcript, now_iso

if TYPE_CHECKING:
    from oversight.protocol import Unit
    from oversight.runner import Plan

ENV = "OVERSIGHT_REPLAY_UNITS"
FORMAT = 1
_HIT_DROPS = ("coalesced", "endpoint", "batched")
_versions = lru_cache(maxsize=1)(package_versions)


class UnitMemoWarning(CacheWriteWarning):
    """A finished unit could not be stored in the memo; the run goes on, it runs again next time."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=None)
def _tree_digest(folder: str, recursive: bool) -> str:
    root = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py") if recursive else root.glob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_fingerprint(cls: type) -> str:
    """The `oversight` package and the protocol's code, hashed once per process."""
    module = sys.modules[cls.__module__]
    top = sys.modules[module.__name__.partition(".")[0]]
    own = Path(oversight.__file__).parent
    if hasattr(top, "__path__"):  # inside a package: the whole top-level package
        if not top.__file__:
            raise ValueError(f"{top.__name__} is a namespace package: no one folder to hash")
        folder, recursive = Path(top.__file__).parent, True
    else:  # a top-level module: the modules beside it
        folder, recursive = Path(inspect.getfile(cls)).parent, False
    parts = [_tree_digest(str(own), True)]
    if folder.resolve() != own.resolve():
        parts.append(_tree_digest(str(folder), recursive))
    return _sha("\0".join(parts).encode())


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
    return _sha(f"{cls.__module__}.{cls.__qualname__}".encode() + b"\0" + body)


def hit_form(record: dict[str, Any]) -> dict[str, Any]:
    """A fresh transcript record as a run answered wholly by the response cache writes it."""
    events, by_role = [], {}
    for event in record["events"]:
        if event.get("type") == "model":
            event = {k: v for k, v in event.items() if k not in _HIT_DROPS}
            event.update(cached=True, latency_s=0.0)
            cost = (event.get("usage") or {}).get("cost_usd")
            acc = by_role.setdefault(event["role"], {"input_tokens": 0, "output_tokens": 0, "cost_usd": None})
            if cost is not None:
                acc["cost_usd"] = (acc["cost_usd"] or 0.0) + 0.0
        events.append(event)
    costs = [u["cost_usd"] for u in by_role.values()]
    total = {"input_tokens": 0, "output_tokens": 0, "cost_usd": None if all(c is None for c in costs) else 0.0}
    return {**record, "events": events, "usage": total, "usage_by_role": by_role}


@dataclasses.dataclass
class Watch:
    """One unit running fresh: the context its Recorder uses, and what it stored and reported."""

    memo: UnitMemo
    key: str
    context: RunContext
    texts: dict[str, str] = dataclasses.field(default_factory=dict)
    progress: list[int] = dataclasses.field(default_factory=lambda: [0, 0])

    def store(self, record: dict[str, Any], judgments: list[dict[str, Any]]) -> None:
        """Keep a unit that finished with no error (the runner checks `error`)."""
        if not any(e.get("type") == "model_error" for e in record["events"]):
            self.memo.store(self, record, judgments)


class UnitMemo:
    """The memo of one run: per-run key parts hashed once, items fingerprinted once each."""

    def __init__(self, directory: Path, run_digest: str) -> None:
        self.directory = directory
        self.run_digest = run_digest
        self.replayed = 0
        self._items: dict[int, tuple[Any, str | None]] = {}
        self._texts: dict[str, str] = {}
        self._dirs: set[Path] = set()

    @classmethod
    def open(cls, p: Plan, ctx: RunContext, cache: ResponseCache | None) -> UnitMemo | None:
        """The run's memo, or None when it is off (see the module docstring)."""
        if cache is None or not p.exp.cache or os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
            return None
        if any(m.batcher is not None or p.exp.batched(r) for r, m in ctx.models.items()):
            return None
        try:
            parts = {
                "format": FORMAT, "protocol": p.exp.protocol, "class": f"{type(p.protocol).__module__}."
                f"{type(p.protocol).__qualname__}", "params": p.params.model_dump_json(),
                "models": {r: [_cache_id(m.spec), m.name] for r, m in ctx.models.items()},
                "generation": {r: [g.model_dump(mode="json"), sorted(g.model_fields_set)]
                               for r, g in ctx.generation.items()},
                "prompts": {n: t.text for n, t in ctx.prompts.templates.items()}, "seed": ctx.seed,
                "code": code_fingerprint(type(p.protocol)), "versions": _versions(),
            }
            digest = _sha(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS))
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
            body = orjson.dumps([self.run_digest, unit.id, unit.item_id, unit.condition, unit.data, got[1]],
                                option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        return _sha(body)

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _text_path(self, sha: str) -> Path:
        return self.directory / "texts" / sha[:2] / f"{sha}.txt"

    def replay(self, unit: Unit[Any], ctx: RunContext) -> tuple[Transcript, dict[str, Any], list[dict[str, Any]]] | None:
        """(transcript, its record, its judgment records) as this run writes them, or None (a miss)."""
        key = self.key(unit)
        if key is None:
            return None
        try:
            entry = orjson.loads(self._entry(key).read_bytes())
            if entry["key"] != key or entry["format"] != FORMAT:
                return None
            record, judgments, advance, total = entry["transcript"], entry["judgments"], *entry["progress"]
            texts = [(t["ref"], t["text"] if "text" in t else self._read_text(t["sha256"])) for t in entry["texts"]]
            if not all(isinstance(j, dict) for j in judgments) or record.get("error") is not None:
                return None
            attempt, now = uuid.uuid4().hex[:12], now_iso()
            record.update(run_id=ctx.run_id, attempt=attempt, created_at=now)
            transcript = Transcript.model_validate(record)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # no entry, or one that cannot be read: run the unit
        for ref, text in texts:
            if text is None or ctx.put_text(text) != ref:
                return None
        for judgment in judgments:
            judgment.update(attempt=attempt, created_at=now)
        if ctx.on_progress is not None and (advance or total):
            ctx.on_progress(advance, total)
        self.replayed += 1
        return transcript, record, judgments

    def _read_text(self, sha: str, missing_ok: bool = False) -> str | None:
        """A stored text, checked against its hash once per run; None if damaged (or missing)."""
        text = self._texts.get(sha)
        if text is None:
            try:
                data = self._text_path(sha).read_bytes()
            except FileNotFoundError:
                if missing_ok:
                    return None
                raise
            if _sha(data) != sha:
                return None
            text = self._texts[sha] = data.decode("utf-8")
        return text

    def watch(self, unit: Unit[Any], ctx: RunContext) -> Watch | None:
        """A context for a unit about to run, recording the texts it stores and its progress."""
        key = self.key(unit)
        if key is None:
            return None
        watch = Watch(self, key, ctx)

        def put_text(text: str) -> str:
            ref = ctx.put_text(text)
            watch.texts.setdefault(ref, text)
            return ref

        def on_progress(advance: int, total: int) -> None:
            watch.progress[0] += advance
            watch.progress[1] += total
            if ctx.on_progress is not None:
                ctx.on_progress(advance, total)

        watch.context = dataclasses.replace(ctx, put_text=put_text, on_progress=on_progress)
        return watch

    def store(self, watch: Watch, record: dict[str, Any], judgments: list[dict[str, Any]]) -> None:
        texts = []
        try:
            for ref, text in watch.texts.items():
                if len(text) < MIN_SHARED_CHARS:
                    texts.append({"ref": ref, "text": text})
                    continue
                data = text.encode("utf-8")
                sha = _sha(data)
                if sha not in self._texts and self._read_text(sha, missing_ok=True) is None:
                    self._write(self._text_path(sha), data)  # none yet, or a damaged one
                self._texts[sha] = text
                texts.append({"ref": ref, "sha256": sha})
            entry = {"format": FORMAT, "key": watch.key, "transcript": hit_form(record), "judgments": judgments,
                     "texts": texts, "progress": watch.progress}
            self._write(self._entry(watch.key), orjson.dumps(entry))
        except OSError as exc:
            # No path or unit in the message: the warnings module then shows one line per cause.
            warnings.warn(f"unit memo in {self.directory}: a finished unit could not be stored "
                          f"({exc.strerror or exc}); the run goes on", UnitMemoWarning, stacklevel=3)

    def _write(self, path: Path, data: bytes) -> None:
        """Temporary file, then rename: a crash never leaves half an entry under a real name."""
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


__all__: list[str] = ["ENV", "UnitMemo", "UnitMemoWarning", "Watch", "code_fingerprint", "fingerprint", "hit_form"]
