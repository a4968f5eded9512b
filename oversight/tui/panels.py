"""The parts of a transcript every protocol shares: its verdicts, its model calls and usage,
and the run's metrics (rich renderables)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from oversight.report.tables import fitted_tables, legend_for
from oversight.tui.records import judge_label, withdrawn_ids
from oversight.protocol.contract import Protocol
from oversight.core.errors import UserError
from oversight.log.transcripts import expand_messages
from oversight.protocol.review import heading
from oversight.tui.views import Notice, judgment_extra

_SHOWN_ELSEWHERE = frozenset({"schema", "transcript_id", "judge", "raw", "created_at"})


def _raw(value: Any) -> str:
    if value is None:
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def verdicts(transcript: dict[str, Any], records: list[dict[str, Any]],
             protocol: Protocol[Any, Any] | None = None, notice: Notice | None = None) -> RenderableType:
    """Every judgment on the transcript, each judge and order, withdrawn ones struck through;
    the protocol's `judgment_body` under each (a failing one: a line saying so, and `notice`)."""
    if not records:
        return Text("No judgments on this transcript.", style="dim")
    withdrawn = withdrawn_ids(records)
    shown_elsewhere = _SHOWN_ELSEWHERE | (protocol.judgment_fields_shown if protocol else frozenset())
    parts: list[RenderableType] = []
    for r in records:
        if r.get("retracted"):
            continue
        gone = r.get("id") in withdrawn
        title = Text(f"{judge_label(r)}", style="bold magenta strike" if gone else "bold magenta")
        if r.get("order"):
            title.append(f"  order {r['order']}", style="bold")
        if gone:
            title.append("  (withdrawn by its judge)", style="dim")
        parts.append(title)
        overview = Table.grid(padding=(0, 1))
        for key, value in r.items():
            if key not in shown_elsewhere and value is not None:
                overview.add_row(Text(key, style="dim"), Text(_raw(value)))
        parts.append(overview)
        extra = judgment_extra(protocol, transcript, r, notice)
        if extra is not None:
            parts.append(extra)
        if r.get("raw") is not None:  # a judge whose words live in its call (critique's) has none of its own
            parts += [Text("raw:", style="dim"), Text(_raw(r.get("raw")))]
        parts.append(Text(""))
    return Group(*parts)


def _tokens(usage: dict[str, Any] | None) -> tuple[Text, Text, Text]:
    """Cells as Text: a transcript is data, and a table reads plain strings as markup."""
    usage = usage or {}
    cost = usage.get("cost_usd")
    shown = "n/a" if cost is None else f"${cost:.4f}" if isinstance(cost, (int, float)) else str(cost)
    return Text(str(usage.get("input_tokens", 0))), Text(str(usage.get("output_tokens", 0))), Text(shown)


def call_label(event: dict[str, Any]) -> str:
    """A call's role and step, the role said once when the step starts with it
    ("debater_a round 1", not "debater_a / debater_a round 1")."""
    role, step = str(event.get("role") or "-"), str(event.get("step") or "")
    if not step or step == role:
        return role
    return step if step.startswith(role + " ") else f"{role} / {step}"


def calls(transcript: dict[str, Any]) -> RenderableType:
    """Usage, cost, latency, cache hits and errors of every model call, then the totals."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    for name, just in (("#", "right"), ("role/step", "left"), ("in", "right"), ("out", "right"),
                       ("s", "right"), ("cache", "left")):
        table.add_column(name, justify=just, no_wrap=name != "role/step")  # type: ignore[arg-type]
    events = [e for e in transcript.get("events") or [] if e.get("type") in ("model", "model_error")]
    errors: list[RenderableType] = []
    for n, e in enumerate(events, start=1):
        tin, tout, _ = _tokens(e.get("usage"))
        latency = e.get("latency_s")
        table.add_row(str(n), Text(call_label(e)), tin, tout,  # Text: never markup
                      "-" if latency is None else f"{latency:.2f}", "hit" if e.get("cached") else "")
        if e.get("error"):
            errors.append(Text(f"call {n}: {e['error']}", style="red"))
    totals = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, title="usage (a cache hit costs nothing)")
    for name in ("role", "in", "out", "cost"):
        totals.add_column(name, justify="left" if name == "role" else "right")
    for role, usage in sorted((transcript.get("usage_by_role") or {}).items()):
        totals.add_row(Text(role), *_tokens(usage))
    totals.add_row(Text("total", style="bold"), *_tokens(transcript.get("usage")))
    parts: list[RenderableType] = [table, totals]
    models = sorted({str(e.get("model")) for e in events if e.get("model")})
    if models:
        parts.append(Text("models: " + ", ".join(models), style="dim"))
    if transcript.get("error"):
        parts.append(Text(f"unit failed: {transcript['error']}", style="bold red"))
    parts += errors
    parts.append(Text("i: every call's input and output in full", style="dim"))
    return Group(*parts)


def call_details(transcript: dict[str, Any], texts: Callable[[str], str | None]) -> RenderableType:
    """Each model call's messages exactly as sent (stored texts such as the story put back in
    place; `texts` reads them, cleaned for the terminal) and its reply, in order."""
    def text_of(ref: str) -> str:
        try:
            found = texts(ref)
        except UserError:
            found = None
        return f"[text {ref} is missing from texts.jsonl]" if found is None else found

    parts: list[RenderableType] = []
    events = [e for e in transcript.get("events") or [] if e.get("type") in ("model", "model_error")]
    for n, e in enumerate(events, start=1):
        parts.append(heading(f"call {n}: {call_label(e)} ({e.get('model')})"))
        for m in expand_messages(e.get("input") or [], text_of):
            parts += [Text(f"[{m.get('role')}]", style="bold cyan"), Text(str(m.get("content", "")))]
        parts += [Text("[reply]", style="bold green"), Text(str(e.get("content") or e.get("error") or ""))]
    return Group(*parts) if parts else Text("No model calls.", style="dim")


def metrics_view(metrics: dict[str, Any] | None, width: int = 76) -> RenderableType:
    """metrics.json: its table first, laid out as `oversight report` prints it (short headers, a
    legend, split or vertical when narrow), then everything else as data."""
    if metrics is None:
        return Text("No metrics.json yet (oversight report RUN_DIR writes it).", style="dim")
    parts: list[RenderableType] = []
    rows = metrics.get("table") or []
    for sub, table in fitted_tables(rows, width) if rows else []:
        if sub:
            parts.append(Text(sub, style="italic"))
        parts.append(table)
    protocol = metrics.get("protocol")  # its own column notes, never another protocol's
    parts.extend(Text(line, style="dim") for line in legend_for(rows, [str(protocol)] if protocol else []))
    rest = {k: v for k, v in metrics.items() if k != "table"}
    parts += [heading("metrics.json"), Text(yaml.safe_dump(rest, sort_keys=False, allow_unicode=True, width=1_000_000))]
    return Group(*parts)


__all__ = ["call_details", "calls", "metrics_view", "verdicts"]
