"""The Recorder: every model call of a unit goes through it, so the transcript shows exactly
what each model was sent and answered, and what the unit spent."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from oversight.models.model import Model
from oversight.models.types import Completion, GenerateConfig, Message, ModelOutput, TokenLogprob, Usage
from oversight.protocol.journal import UnitJournal
from oversight.protocol.prompts import PromptSet
from oversight.protocol.unit import Unit
from oversight.log.transcripts import MIN_SHARED_CHARS, Event, JudgeRef, Judgment, compact_messages
from oversight.core.shapes import GENERIC, RecordShapes, event_problem, judgment_problem
from oversight.core.errors import UserError


@dataclass
class RunContext:
    """What every unit of a run shares: resolved roles, prompts, sampling settings."""

    run_id: str
    models: dict[str, Model]
    generation: dict[str, GenerateConfig]
    prompts: PromptSet
    seed: int
    put_text: Callable[[str], str]
    """Stores a large text once per run and returns its reference (see RunFolder.put_text)."""
    on_progress: Callable[[int, int], None] | None = None
    """Sub-unit progress (advance, total) for the progress display; None when nobody listens."""
    estimating: bool = False
    """True in a dry run: models answer with filler, so a protocol whose next calls depend on
    reading a reply may take the costliest reading instead (the estimate is an upper bound)."""
    shapes: RecordShapes = GENERIC
    """The field types readers check (the protocol's `protocol_shapes`): a note or judgment of
    another type is refused where it is made, not skipped by every reader later."""
    settings: dict[tuple[str, bytes], GenerateConfig] = field(default_factory=dict, repr=False)
    """`settings_for` results: a protocol asks for the same few settings on every call."""

    def settings_for(self, role: str, defaults: dict[str, Any] | None, caps: dict[str, Any] | None,
                     overrides: dict[str, Any]) -> GenerateConfig:
        """`settings_for` over this run's `generation`, worked out once per distinct request
        (the GenerateConfig returned is shared: nobody changes one after it is made)."""
        try:
            key = (role, orjson.dumps([defaults, caps, overrides], option=orjson.OPT_SORT_KEYS))
        except TypeError:  # a value orjson cannot write: work it out every time
            return settings_for(self.generation, role, defaults, caps, overrides)
        config = self.settings.get(key)
        if config is None:
            config = self.settings[key] = settings_for(self.generation, role, defaults, caps, overrides)
        return config


def settings_for(
    generation: dict[str, GenerateConfig],
    role: str,
    defaults: dict[str, Any] | None = None,
    caps: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> GenerateConfig:
    """The one rule for per-call settings.

    The experiment's `generation:` block for the role (else `default`) is the base. A
    protocol's `defaults` fill only fields the experiment did not set explicitly (so a
    researcher's YAML always wins); `caps` are upper bounds (`max_tokens`: the smaller wins);
    `overrides` always apply (e.g. a logprob judge's one-token answer).
    """
    configured = generation.get(role) or generation.get("default")
    base = configured or GenerateConfig()
    explicit = configured.model_fields_set if configured is not None else set()
    merged: dict[str, Any] = {k: v for k, v in (defaults or {}).items() if k not in explicit}
    for key, cap in (caps or {}).items():
        current = merged.get(key, getattr(base, key))
        merged[key] = cap if current is None else min(current, cap)
    merged.update(overrides or {})
    return base.merged(**merged)


class Recorder:
    """One per unit attempt: renders prompts, calls models, logs events, collects judgments."""

    def __init__(self, run: RunContext, unit: Unit[Any], journal: UnitJournal | None = None) -> None:
        """With a `journal` (a unit that may pause and resume), every event is journaled at
        once, and a resumed unit starts from the journaled ones (oversight.protocol.journal)."""
        self.run = run
        self.unit = unit
        self.journal = journal
        self.attempt = journal.attempt if journal is not None else uuid.uuid4().hex[:12]
        self.events: list[Event] = []
        self.judgments: list[Judgment] = []
        self.usage_by_role: dict[str, Usage] = {}
        if journal is not None:
            self.events = [Event.model_construct(**{**e, "usage": Usage(**e["usage"])} if e.get("usage") else e)
                           for e in journal.events]
            self.judgments = [Judgment.model_construct(**j) for j in journal.judgments]
            for e in journal.events:
                if e.get("type") == "model" and e.get("usage") and not e.get("cached"):
                    self.usage_by_role[e["role"]] = self.usage_by_role.get(e["role"], Usage()) + Usage(**e["usage"])
        self._large: dict[str, str] = {}
        """Texts this unit stored once per run; model inputs refer to them instead of copying."""

    async def call(
        self,
        role: str,
        template: str,
        variables: dict[str, Any],
        *,
        step: str | None = None,
        defaults: dict[str, Any] | None = None,
        caps: dict[str, Any] | None = None,
        history: Sequence[Message] = (),
        **overrides: Any,
    ) -> ModelOutput:
        """Render `template`, call the model bound to `role`, log the exchange, return the output.

        `history` goes before the rendered messages: a conversation continued from an earlier
        call (`render`), forked there. Settings follow `settings_for`. A ModelCallError
        propagates: the runner records the unit as failed with the events so far.
        """
        messages = [*history, *self.run.prompts.render(template, variables)]
        config = self.run.settings_for(role, defaults, caps, overrides)
        model = self.run.models[role]
        if self.journal is not None:
            done = self.journal.find_call(role, step or template, self._compact(messages))
            if done is not None:  # answered before the unit paused or crashed: never asked again
                return _journaled_output(done)
        try:
            out = await model.generate(messages, config, role=role)
        except Exception as exc:
            self._add(Event.model_construct(type="model_error", role=role, step=step or template, model=model.name,
                                            input=self._compact(messages), error=str(exc)))
            raise
        usage = out.completion.usage
        # Totals count what this run spent: a cache hit costs nothing (its event keeps the
        # original call's usage, marked cached).
        spent = Usage.model_construct(cost_usd=None if usage.cost_usd is None else 0.0) if out.cached else usage
        self.usage_by_role[role] = self.usage_by_role.get(role, Usage()) + spent
        self._add(
            Event.model_construct(
                type="model", role=role, step=step or template, model=out.model,
                input=self._compact(messages), content=out.text, usage=usage,
                latency_s=out.latency_s, cached=out.cached,
                **({"coalesced": True} if out.coalesced else {}), **({"endpoint": out.endpoint} if out.endpoint else {}),
                **({"batched": True} if out.batched else {}),
                logprobs=[t.model_dump() for t in out.completion.logprobs] if out.completion.logprobs else None,
            )
        )
        return out

    def render(self, template: str, variables: dict[str, Any]) -> list[Message]:
        """The messages `call` would send for `template`, without calling (to continue them later)."""
        return self.run.prompts.render(template, variables)

    @property
    def estimating(self) -> bool:
        """A dry run's filler answers (see RunContext.estimating)."""
        return self.run.estimating

    def note(self, type: str, **data: Any) -> None:
        """A non-model event (quote checks, parsed verdicts, tree structure...): the protocol's
        JSON-able data as given. Events are built without pydantic's validation pass (a tenth
        of a debate call's CPU went to it): model events come from typed values made here."""
        problem = event_problem(data, self.run.shapes)
        if problem:  # readers would drop the whole transcript as a hand edit: say so where it is made
            raise UserError(f"note {type!r}: {problem} ({self.run.shapes.reserved()})")
        self._add(Event.model_construct(type=type, **data))

    def _add(self, event: Event) -> None:
        if self.journal is not None and self.journal.claim_event(event.model_dump(mode="json")):
            return  # made again by a node re-run after a pause: already in `events`
        self.events.append(event)

    def judgment(self, judge_id: str, **verdict: Any) -> None:
        """A built-in model judge's verdict; written to judgments.jsonl with this attempt's id."""
        record = Judgment.model_construct(transcript_id=self.unit.id, judge=JudgeRef(kind="model", id=judge_id),
                                          attempt=self.attempt, **verdict)
        self._check_judgment(judge_id, record)
        self._add_judgment(record)

    def human_judgment(self, judge_id: str, **verdict: Any) -> None:
        """A person's verdict given inside the unit (a live judge); recorded as `judge --human`
        records one: judge kind "human", an `id`, no attempt."""
        record = Judgment.model_construct(transcript_id=self.unit.id, judge=JudgeRef(kind="human", id=judge_id),
                                          attempt=None, id=uuid.uuid4().hex[:16], **verdict)
        self._check_judgment(judge_id, record)
        self._add_judgment(record)

    def _check_judgment(self, judge_id: str, record: Judgment) -> None:
        problem = judgment_problem(record.to_record(), self.run.shapes)
        if problem:  # readers would skip the line as a hand edit: say so where it is made
            raise UserError(f"judgment by {judge_id!r}: {problem} ({self.run.shapes.reserved()})")

    def _add_judgment(self, record: Judgment) -> None:
        if self.journal is not None and self.journal.claim_judgment(record.to_record()):
            return
        self.judgments.append(record)

    def model_name(self, role: str) -> str:
        """The spec of the model bound to `role`, as judge ids and notes name it."""
        return self.run.models[role].name

    def progress(self, advance: int = 1, total: int = 0) -> None:
        """Sub-unit progress (e.g. the nodes of a book): `total` adds to the expected count."""
        if self.run.on_progress is not None:
            self.run.on_progress(advance, total)

    def put_text(self, text: str) -> str:
        """Store a large text once per run (a book, a story) and get a reference to it.

        From then on a model input that contains the text records the reference instead of
        a copy (see `oversight.log.transcripts.compact_messages`)."""
        ref = self.run.put_text(text)
        if len(text) >= MIN_SHARED_CHARS:
            self._large[ref] = text
        return ref

    def _compact(self, messages: list[Message]) -> list[dict[str, Any]]:
        return compact_messages([{"role": m.role, "content": m.content} for m in messages], self._large)


def _journaled_output(event: dict[str, Any]) -> ModelOutput:
    """A journaled model event as the output its call returned (it costs nothing now)."""
    logprobs = [TokenLogprob(**t) for t in event["logprobs"]] if event.get("logprobs") else None
    return ModelOutput(completion=Completion(text=event.get("content") or "", usage=Usage(**(event.get("usage") or {})),
                                             logprobs=logprobs),
                       model=event.get("model") or "", cached=True)
