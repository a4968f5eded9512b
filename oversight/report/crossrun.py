"""Several runs in one report: each run's recomputed metrics, and the analyses a protocol makes
across its runs (its `cross_run` hook), loaded by name so the report names no protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError
from oversight.log.runfolder import RunFolder
from oversight.protocol.contract import Protocol
from oversight.protocol.hooks import hook_guard, hook_value, load_hook, protocol_label
from oversight.protocol.registry import ProtocolNotInstalled, get_protocol
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
    """The installed protocols of the runs, each once, in the runs' order (one installed but
    broken is a UserError)."""
    out: list[Protocol[Any, Any]] = []
    for r in runs:
        try:
            proto = get_protocol(str(r.metrics.get("protocol")))
        except ProtocolNotInstalled:
            continue
        if all(p.name != proto.name for p in out):
            out.append(proto)
    return out


def cross_run_results(runs: list[RunReport]) -> dict[str, CrossRunResult | None]:
    """Each protocol's cross-run result by its `cross_run_key` (None where its runs make none)."""
    results: dict[str, CrossRunResult | None] = {}
    for proto in _protocols(runs):
        fn: CrossRun | None = load_hook(proto, "cross_run")
        if fn is None:
            continue
        name = protocol_label(proto)
        mine = [RunInput(r.name, r.models, r.metrics, _reader(r.folder)) for r in runs
                if r.metrics.get("protocol") == name]
        with hook_guard(name, "cross_run"):
            result = fn(mine)
        if result is not None and not isinstance(result, CrossRunResult):
            raise UserError(f"protocol {name!r}: its cross_run hook returned a {type(result).__name__}, "
                            f"not a CrossRunResult or None")
        results[hook_value(proto, "cross_run_key") or name] = result
    return results


__all__ = ["RunReport", "cross_run_results"]
