"""One model-judge call for a view, in the structured form where the provider has one.

Shared by every protocol's built-in judge and by `oversight judge --model`, so the request a
judge is sent and how its answer is marked (structured or free text, and why) never differ
between a run and a re-judge.
"""

from __future__ import annotations

from typing import Any

from oversight.core.errors import UserError
from oversight.models.types import GenerateConfig, ModelOutput
from oversight.protocol.contract import JudgeResponse, JudgeView
from oversight.protocol.recorder import Recorder


def judge_format_fields(response: JudgeResponse) -> dict[str, Any]:
    """The judgment record's note of how the judge answered: `structured`, `text` or `human`."""
    human = response.choice is not None or response.ratings is not None or response.flaws is not None
    fields: dict[str, Any] = {"judge_format": "human" if human else "structured" if response.structured else "text"}
    if response.format_note:
        fields["judge_format_note"] = response.format_note
    return fields


def check_judge_call(protocol_name: str, call: dict[str, Any]) -> None:
    """A protocol's `judge_call` result, checked before the first call: `defaults` and `caps` as
    mappings of sampling fields, any other key a sampling field (an override)."""
    fields = set(GenerateConfig.model_fields)
    for key, value in call.items():
        wrong = (not isinstance(value, dict) or not set(value) <= fields) if key in ("defaults", "caps") else key not in fields
        if wrong:
            raise UserError(f"protocol {protocol_name!r}: its judge_call hook returned {key}={value!r}; give defaults "
                            f"and caps as mappings of sampling fields, other keys as sampling fields "
                            f"({', '.join(sorted(fields))})")


def wants_structured(rec: Recorder, role: str, schema: dict[str, Any] | None) -> bool:
    """Whether a call with `schema` will be made in structured form (the provider supports it)."""
    return schema is not None and rec.run.models[role].supports_structured


async def call_judge(rec: Recorder, role: str, view: JudgeView, schema: dict[str, Any] | None, *,
                     step: str, **overrides: Any) -> tuple[ModelOutput, JudgeResponse]:
    """Call the model bound to `role` on `view`. With a `schema` and a provider that supports
    structured output the answer is one JSON object; without support the call is made in free
    text and the fallback is noted in the transcript and on the response."""
    note = None
    structured = wants_structured(rec, role, schema)
    if structured:
        overrides["response_schema"] = {"name": f"{view.answer_kind}_verdict", "json_schema": schema}
    elif schema is not None:
        note = f"{rec.run.models[role].name} has no structured output; answered in free text"
        rec.note("judge_format", view=view.key, requested="structured", used="text", reason=note)
    out = await rec.call(role, view.template, view.variables, step=step, **overrides)
    cut_off = structured and out.completion.finish_reason in ("length", "max_tokens")
    return out, JudgeResponse(text=out.text, logprobs=out.completion.logprobs, structured=structured, format_note=note,
                              cut_off=cut_off)


__all__ = ["call_judge", "check_judge_call", "judge_format_fields", "wants_structured"]
