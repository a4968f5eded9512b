"""A run as an Inspect AI eval log, so `inspect view` browses our transcripts.

Mapping: one `EvalSample` per finished transcript (id = transcript id); every model call is an
Inspect `ModelEvent` with the exact messages the model saw (stored texts expanded) and its
output; other events (quote checks, verdict notes) are `InfoEvent`s named by their type. The
sample's messages are the first call's input followed by each call's output, headed by its role
and step. Each judgment is a score named `<judge>[/<view>]` (the view as the protocol's
`judgment_view_key` reads it), valued by the protocol (`export_score`; by default "C" / "I" for
a right / wrong verdict and "N" when invalid, Inspect's own letters); all verdict fields in its
metadata.
The eval's results carry our headline estimates with their intervals in each metric's metadata.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from oversight.core.atomic import named, temp_path
from oversight.core.errors import UserError
from oversight.log.runfolder import RunFolder
from oversight.protocol.contract import Protocol
from oversight.protocol.registry import get_protocol
from oversight.protocol.reporting import ExportScore
from oversight.report.results import view_reader
from oversight.report.sidebyside import headline
from oversight.stats.estimates import judge_name
from oversight.protocol.hooks import call_hook, call_hook_as

try:
    from inspect_ai.event import InfoEvent, ModelEvent
    from inspect_ai.log import (EvalConfig, EvalDataset, EvalError, EvalLog, EvalMetric, EvalResults, EvalSample,
                                EvalScore, EvalSpec, write_eval_log)
    from inspect_ai.model import (ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig,
                                  ModelOutput, ModelUsage)
    from inspect_ai.scorer import Score
except ImportError:  # pragma: no cover - exercised only without the extra
    EvalLog = None  # type: ignore[assignment,misc]


def _message(m: dict[str, Any]) -> Any:
    role, content = m.get("role"), str(m.get("content", ""))
    if role == "system":
        return ChatMessageSystem(content=content)
    if role == "assistant":
        return ChatMessageAssistant(content=content)
    return ChatMessageUser(content=content)


def _when(text: Any) -> datetime:
    try:
        stamp = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.now(timezone.utc)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def _usage(u: dict[str, Any] | None) -> ModelUsage:
    u = u or {}
    inp, out = int(u.get("input_tokens") or 0), int(u.get("output_tokens") or 0)
    # Inspect counts cache reads and writes apart from input_tokens (ours include them).
    read, write = int(u.get("cache_read_tokens") or 0), int(u.get("cache_write_tokens") or 0)
    return ModelUsage(input_tokens=inp - read - write, output_tokens=out, total_tokens=inp + out,
                      total_cost=u.get("cost_usd"), input_tokens_cache_read=read or None,
                      input_tokens_cache_write=write or None)


def _score(protocol: Protocol[Any, Any], j: dict[str, Any]) -> Score:
    """A judgment as the protocol scores it (`export_score`), with every verdict field in its metadata."""
    score = call_hook_as(ExportScore, protocol, "export_score", j)
    raw = j.get("raw")
    meta = {k: v for k, v in j.items() if k not in ("raw",)}
    return Score(value=score.value, answer=score.answer, explanation=raw if isinstance(raw, str) else None,
                 metadata=meta)


def _sample(folder: RunFolder, protocol: Protocol[Any, Any], t: dict[str, Any], judgments: list[dict[str, Any]],
            target: str) -> EvalSample:
    events: list[Any] = []
    view_of = view_reader(protocol)
    calls = [e for e in t.get("events") or [] if e.get("type") == "model"]
    first_input = [_message(m) for m in folder.model_input(calls[0])] if calls else []
    messages = list(first_input)
    for e in t.get("events") or []:
        stamp = _when(e.get("created_at") or t.get("created_at"))
        if e.get("type") != "model":
            data = {k: v for k, v in e.items() if k != "type"}
            events.append(InfoEvent(source=str(e.get("type")), data=data, timestamp=stamp))
            continue
        model, content = str(e.get("model") or "?"), str(e.get("content") or "")
        output = ModelOutput.from_content(model=model, content=content)
        output.usage = _usage(e.get("usage"))
        events.append(ModelEvent(model=model, role=e.get("role"), input=[_message(m) for m in folder.model_input(e)],
                                 tools=[], tool_choice="none", config=GenerateConfig(), output=output,
                                 cache="read" if e.get("cached") else None, timestamp=stamp,
                                 metadata={"step": e.get("step"), "latency_s": e.get("latency_s")}))
        messages.append(ChatMessageAssistant(content=f"[{e.get('role')} | {e.get('step')}]\n{content}", model=model))
    scores: dict[str, Score] = {}
    for j in judgments:
        part = view_of(j)
        name = judge_name(j) + (f"/{part}" if part else "")
        key, n = name, 2
        while key in scores:  # the same judge twice on the same view (a person re-judging)
            key, n = f"{name}#{n}", n + 1
        scores[key] = _score(protocol, j)
    error = EvalError(message=str(t["error"]), traceback="", traceback_ansi="") if t.get("error") else None
    return EvalSample(
        id=t["id"], epoch=1, input=first_input or f"transcript {t['id']}", target=target, messages=messages,
        output=ModelOutput.from_content(model=str(calls[-1].get("model")) if calls else "none",
                                        content=str(calls[-1].get("content") or "") if calls else ""),
        scores=scores, events=events, error=error,
        metadata={"item_id": t.get("item_id"), "condition": t.get("condition"), "protocol": t.get("protocol"),
                  "attempt": t.get("attempt"), "outcome": t.get("outcome") or {}},
        role_usage={r: _usage(u) for r, u in (t.get("usage_by_role") or {}).items()},
    )


def _results(metrics: dict[str, Any], n: int) -> EvalResults:
    rows = headline(metrics)
    score_metrics = {r["metric"]: EvalMetric(name=r["metric"], value=r["estimate"] if r["estimate"] is not None
                                             else float("nan"),
                                             metadata={"ci": r["ci"], "ci_method": r["ci_method"], "n": r["n"],
                                                       "ci_reason": r.get("ci_reason")})
                     for r in rows}
    return EvalResults(total_samples=n, completed_samples=n,
                       scores=[EvalScore(name="oversight", scorer="oversight report", metrics=score_metrics)])


def write_inspect_log(folder: RunFolder, out: Path) -> Path:
    """`<out>/<run_id>.eval`, readable with `inspect_ai.log.read_eval_log` and `inspect view`."""
    if EvalLog is None:
        raise UserError("--format inspect needs Inspect AI: pip install 'oversight[inspect]' (or inspect_ai)")
    from oversight.report.build import run_metrics

    exp, meta = folder.experiment()
    transcripts = sorted(folder.transcripts(), key=lambda t: t["id"])
    judgments, _ = folder.judgments(transcripts)
    by_t: dict[str, list[dict[str, Any]]] = {}
    for j in judgments:
        by_t.setdefault(j["transcript_id"], []).append(j)
    protocol = get_protocol(exp.protocol)
    samples = [_sample(folder, protocol, t, by_t.get(t["id"], []), call_hook(protocol, "reference_answer", t)) for t in transcripts]
    models = exp.models
    spec = EvalSpec(
        created=str(meta.get("created_at") or datetime.now(timezone.utc).isoformat()), task=f"oversight/{exp.protocol}",
        task_id=folder.run_id, run_id=folder.run_id, dataset=EvalDataset(name=exp.name, samples=len(samples)),
        model=str(models.get("judge") or next(iter(models.values()), "none")), config=EvalConfig(),
        metadata={"experiment": exp.model_dump(mode="json"), "models": dict(models),
                  "sweep_point": meta.get("sweep_point")},
    )
    log = EvalLog(status="success", eval=spec, samples=samples, results=_results(run_metrics(folder), len(samples)))
    path = out / f"{folder.run_id}.eval"
    # Written under a temporary name (keeping the extension Inspect picks its format by), then
    # renamed: a kill or a full disk mid-write leaves no torn log.
    tmp = temp_path(path, suffix=".eval")
    try:
        write_eval_log(log, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise named(exc, path) from None
        raise
    return path
