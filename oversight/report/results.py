"""metrics.json: the protocol's metrics plus what the run spent and what was left out.

Reports stream `transcripts.jsonl` once: each line's model events are summed into per-server
usage and then dropped (but for the event types a protocol's metrics read,
`Protocol.metrics_event_types`), and a protocol that declares `metrics_outcome_keys` (the outcome
fields its metrics read) keeps only those, so a run of 100,000 transcripts never holds its
speeches and prompts in memory at once. Every number is still recomputed from the files.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable
from typing import Any

from oversight.core.errors import UserError, bounded
from oversight.core.gctune import gc_paused
from oversight.stats.agreement import Labels, agreement_table
from oversight.stats.raters import ViewOf
from oversight.models.types import ExactSum, Usage
from oversight.protocol.contract import Protocol
from oversight.protocol.hooks import call_hook, protocol_label
from oversight.log.ranking import stands_over
from oversight.log.runfolder import RunFolder

_INTERNED = ("condition", "item_id", "protocol", "run_id", "attempt")


def run_usage(transcripts: list[dict[str, Any]]) -> dict[str, Usage]:
    """Usage per role over the transcripts, without building two models per transcript (plain
    records skip validation; others get it). Money is summed exactly (`ExactSum`), so the
    totals are the same in any line order; None only when no call of the role was priced."""
    by_role: dict[str, tuple[list[int], ExactSum, ExactSum]] = {}
    for t in transcripts:
        for role, usage in (t.get("usage_by_role") or {}).items():
            row = _plain_usage(usage)
            acc = by_role.get(role)
            if acc is None:
                acc = by_role[role] = ([0, 0, 0, 0], ExactSum(), ExactSum())
            counts, cost, saved = acc
            for i in range(4):
                counts[i] += row[i]
            if row[4] is not None:
                cost.add(row[4])
            if row[5] is not None:
                saved.add(row[5])
    return {r: Usage(input_tokens=c[0], output_tokens=c[1], cache_read_tokens=c[2], cache_write_tokens=c[3],
                     cost_usd=cost.value, saved_usd=saved.value) for r, (c, cost, saved) in by_role.items()}


_USAGE_KEYS = frozenset(Usage.model_fields)
_COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def _plain_usage(usage: Any) -> tuple[int, int, int, int, float | None, float | None]:
    if isinstance(usage, dict) and usage.keys() <= _USAGE_KEYS:
        counts = [usage.get(k, 0) for k in _COUNTS]
        cost, saved = usage.get("cost_usd"), usage.get("saved_usd")
        if all(type(c) is int for c in counts) and all(v is None or type(v) is float for v in (cost, saved)):
            return counts[0], counts[1], counts[2], counts[3], cost, saved
    u = Usage.model_validate(usage)
    return u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, u.cost_usd, u.saved_usd


def _event_usage(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Calls and tokens per server in one transcript's events (cache hits excluded)."""
    out: dict[str, dict[str, int]] = {}
    for e in events:
        if e.get("type") == "model" and e.get("endpoint") and not e.get("cached"):
            row = out.setdefault(e["endpoint"], {"calls": 0, "input_tokens": 0, "output_tokens": 0})
            usage = e.get("usage") or {}
            row["calls"] += 1
            row["input_tokens"] += usage.get("input_tokens", 0)
            row["output_tokens"] += usage.get("output_tokens", 0)
    return out


def _sum_endpoints(per_transcript: Iterable[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    total: dict[str, dict[str, int]] = {}
    for usage in per_transcript:
        for endpoint, row in usage.items():
            acc = total.setdefault(endpoint, {"calls": 0, "input_tokens": 0, "output_tokens": 0})
            for key, value in row.items():
                acc[key] += value
    return dict(sorted(total.items()))


def endpoint_usage(transcripts: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Calls and tokens per server, for roles whose spec names several (cache hits excluded)."""
    return _sum_endpoints(_event_usage(t.get("events") or []) for t in transcripts)


def light(record: dict[str, Any], outcome_keys: Collection[str] | None,
          event_types: Collection[str] = ()) -> dict[str, Any]:
    """A transcript with only the events of `event_types` (and, if given, only the outcome fields
    metrics read)."""
    events = record.pop("events", None) or []
    if event_types:
        record["events"] = [e for e in events if e.get("type") in event_types]
    outcome = record.get("outcome")
    if outcome_keys is not None and isinstance(outcome, dict):
        record["outcome"] = {k: v for k, v in outcome.items() if k in outcome_keys}
    for key in _INTERNED:  # the same few strings on every line: keep one copy of each
        if isinstance(record.get(key), str):
            record[key] = sys.intern(record[key])
    return record


def stream_transcripts(
    folder: RunFolder, outcome_keys: Collection[str] | None = None, event_types: Collection[str] = (),
    every_attempt: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """Finished transcripts without events (of a retried unit's lines, the one that stands by
    `transcript_rank`, whatever the line order), sorted by id, and the per-server usage of those
    same transcripts, in one pass over the file. `every_attempt`, when given, receives the
    per-role usage of every line (every attempt of every session), which is what the run spent."""
    latest: dict[str, dict[str, Any]] = {}
    endpoints: dict[str, dict[str, dict[str, int]]] = {}
    for record in folder.iter_transcripts():
        if "id" not in record:
            continue
        usage = _event_usage(record.get("events") or [])
        if every_attempt is not None:
            every_attempt.append({"id": record["id"], "usage_by_role": record.get("usage_by_role")})
        slim = light(record, outcome_keys, event_types)  # held instead of the whole line: no events kept
        if record["id"] in latest and not stands_over(slim, latest[record["id"]]):
            continue
        if usage:
            endpoints[record["id"]] = usage
        else:
            endpoints.pop(record["id"], None)
        latest[record["id"]] = slim
    transcripts = [latest[k] for k in sorted(latest)]
    return transcripts, _sum_endpoints(endpoints[k] for k in sorted(endpoints))




def agreement_labels(protocol: Protocol[Any, Any]) -> Labels:
    """The protocol's `agreement_labels` hook as the agreement table reads it: a failed judgment
    (never answered) has nothing to compare whatever the hook says; a value that is not None or
    a dict of str to str is one line naming the protocol."""
    def labels(judgment: dict[str, Any]) -> dict[str, str] | None:
        if judgment.get("failed"):
            return None
        value = call_hook(protocol, "agreement_labels", judgment)
        if value is None or (isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                             for k, v in value.items())):
            return value
        raise UserError(f"protocol {protocol_label(protocol)!r}: its agreement_labels hook returned "
                        f"{bounded(repr(value))}, not None or a dict of sub-item to label")
    return labels


def view_reader(protocol: Protocol[Any, Any]) -> ViewOf:
    """The protocol's `judgment_view_key` hook as raters, agreement and exports read it: a value
    that is not None or a str is one line naming the protocol."""
    def view_of(judgment: dict[str, Any]) -> str | None:
        value = call_hook(protocol, "judgment_view_key", judgment)
        if value is None or isinstance(value, str):
            return value
        raise UserError(f"protocol {protocol_label(protocol)!r}: its judgment_view_key hook returned a "
                        f"{type(value).__name__}, not a str or None")
    return view_of


def compute_metrics(
    protocol: Protocol[Any, Any], params: Any, folder: RunFolder, *, n_units: int | None = None,
    planned: set[str] | None = None,
) -> dict[str, Any]:
    """Everything recomputed from the files, so a copied run folder reports the same numbers.

    With `planned` (the run's unit ids), transcripts of other ids are left out and counted as
    `units_outside_plan`, never as finished units.
    """
    with gc_paused():
        return _compute_metrics(protocol, params, folder, n_units, planned)


def _compute_metrics(protocol: Protocol[Any, Any], params: Any, folder: RunFolder, n_units: int | None,
                     planned: set[str] | None) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    transcripts, endpoints = stream_transcripts(folder, protocol.metrics_outcome_keys, protocol.metrics_event_types,
                                                every_attempt=lines)
    outside = 0
    if planned is not None:
        inside = [t for t in transcripts if t["id"] in planned]
        outside, transcripts = len(transcripts) - len(inside), inside
    judgments, dropped = folder.judgments(transcripts)
    ok = [t for t in transcripts if not t.get("error")]
    # Protocols see failed transcripts too (to count them per condition); judgments only
    # belong to finished ones, since the runner writes none for a failed unit.
    metrics = call_hook(protocol, "metrics", transcripts, judgments, params)
    if not isinstance(metrics, dict):
        raise UserError(f"protocol {protocol_label(protocol)!r}: its metrics hook returned a "
                        f"{type(metrics).__name__}, not a dict")
    table = metrics.get("table") or []
    if not (isinstance(table, list) and all(isinstance(row, dict) for row in table)):
        what = "a list with a row that is not a dict" if isinstance(table, list) else f"a {type(table).__name__}"
        raise UserError(f"protocol {protocol_label(protocol)!r}: its metrics hook gave a \"table\" that is "
                        f"{what}, not a list of row dicts")
    agreement = agreement_table(judgments, agreement_labels(protocol), view_reader(protocol))
    if agreement:
        metrics["agreement"] = agreement
    if planned is not None:
        lines = [line for line in lines if line["id"] in planned]
    by_role = run_usage(lines)
    total = sum(by_role.values(), Usage())
    metrics["run"] = {
        "run_id": folder.run_id,
        "units_planned": n_units,
        "units_finished": len(transcripts),
        "units_failed": len(transcripts) - len(ok),
        "units_outside_plan": outside if planned is not None else None,
        "judgments": len(judgments),
        "judgments_left_out": dropped,
        "usage_by_role": {r: u.model_dump() for r, u in sorted(by_role.items())},
        "usage": total.model_dump(),
        "usage_note": "usage of the whole run: every attempt of every session (a unit retried with "
                      "--retry-failed counts each attempt; a response-cache hit costs nothing)",
    }
    if endpoints:
        metrics["run"]["usage_by_endpoint"] = endpoints
    return metrics
