"""Several runs in one report: each run's recomputed metrics, and the analyses a protocol makes
across its runs (its `cross_run` hook), loaded by name so the report names no protocol."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError
from oversight.log.runfolder import RunFolder
from oversight.protocol.contract import Protocol
from oversight.protocol.registry import get_protocol
from oversight.protocol.reporting import CrossRun, CrossRunResult, RunInput
from oversight.report.results import stream_transcripts


@dataclass
class RunReport:
    """One run's recomputed metrics and what a comparison needs to know about it."""

    folder: RunFolder
    metrics: dict[str, Any]
    models: dict[str, str]
    sweep_point: dict[str, Any]
    plots: list[Path]

    @property
    def name(self) -> str:
        return self.folder.run_id


Reader = Callable[[frozenset[str] | None], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def _reader(folder: RunFolder) -> Reader:
    """The run's finished transcripts (only the outcome keys asked for) and their judgments."""
    def read(keys: frozenset[str] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        transcripts, _ = stream_transcripts(folder, keys)
        judgments, _ = folder.judgments(transcripts)
        return transcripts, judgments
    return read


def _protocols(runs: list[RunReport]) -> list[Protocol[Any, Any]]:
    """The installed protocols of the runs, each once, in the runs' order."""
    out: list[Protocol[Any, Any]] = []
    for r in runs:
        try:
            proto = get_protocol(str(r.metrics.get("protocol")))
        except UserError:
            continue
        if all(p.name != proto.name for p in out):
            out.append(proto)
    return out


def cross_run_results(runs: list[RunReport]) -> dict[str, CrossRunResult | None]:
    """Each protocol's cross-run result by its `cross_run_key` (None where its runs make none)."""
    results: dict[str, CrossRunResult | None] = {}
    for proto in _protocols(runs):
        if not proto.cross_run:
            continue
        module, _, attr = proto.cross_run.partition(":")
        try:
            fn: CrossRun = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise UserError(f"protocol {proto.name!r}: cross_run {proto.cross_run!r} cannot be loaded ({exc})") from exc
        mine = [RunInput(r.name, r.models, r.metrics, _reader(r.folder)) for r in runs
                if r.metrics.get("protocol") == proto.name]
        results[proto.cross_run_key or proto.name] = fn(mine)
    return results


__all__ = ["RunReport", "cross_run_results"]
