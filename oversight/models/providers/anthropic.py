"""`anthropic:MODEL`: the Anthropic Messages API through `anthropic.AsyncAnthropic`.

Anthropic gives no logprobs, so a judge that needs P(A) vs P(B) must use an
OpenAI-compatible or local model. 529 (overloaded) is retried like any 5xx.
"""

from __future__ import annotations

import json
from typing import Any

from oversight.models.providers.sdk import SDKProvider, expect, token_count
from oversight.models.types import Completion, GenerateConfig, Message, Usage

KEY_ENV = "ANTHROPIC_API_KEY"


class AnthropicProvider(SDKProvider):
    """Messages API calls through the official SDK."""

    default_max_connections = 8
    sdk_module = "anthropic"
    path = "/v1/messages"
    base_error = "AnthropicError"
    key_env = KEY_ENV
    schema_in_prefix = True

    @property
    def reuses_prefix(self) -> bool:  # type: ignore[override]
        """Only with breakpoints: Anthropic caches nothing unmarked."""
        return self.prompt_cache

    def make_client(self, kwargs: dict[str, Any]) -> Any:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(**kwargs)

    def request_body(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """System messages go to `system`, as the API requires; temperature and top_p only
        when the user set them. With `prompt_cache` on, the system prompt and the shared opening
        of the conversation carry cache breakpoints (`cache_breakpoints`)."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [m for m in messages if m.role != "system"]
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": cache_breakpoints(turns) if self.prompt_cache else
                        [{"role": m.role, "content": m.content} for m in turns],
            "max_tokens": config.max_tokens,
        }
        if system:
            body["system"] = [{"type": "text", "text": system, "cache_control": EPHEMERAL}] if self.prompt_cache else system
        if config.stop:
            body["stop_sequences"] = list(config.stop)
        body.update({k: v for k, v in {"temperature": config.temperature, "top_p": config.top_p}.items()
                       if v is not None})
        schema = config.response_schema
        if schema is not None:
            # Structured output: one tool whose input is the answer, and the model must call it.
            body["tools"] = [{"name": schema.name, "description": "Record your answer.", "input_schema": schema.json_schema}]
            body["tool_choice"] = {"type": "tool", "name": schema.name}
        return body

    def supports_structured(self) -> bool:
        return True

    def parse(self, body: Any, config: GenerateConfig) -> Completion:
        return parse_message(body, tool=config.response_schema.name if config.response_schema else None)


EPHEMERAL = {"type": "ephemeral"}
"""Anthropic's five-minute cache entry, refreshed each time it is read."""


def cache_breakpoints(turns: list[Message]) -> list[dict[str, Any]]:
    """The conversation with cache breakpoints closing its first message and the one before the
    last. By the prompt layout rule (prompts READMEs) the first is the opening shared by the calls
    of one item (the story): marked on its own, it is read back whatever instructions follow it,
    in one message or several (the API writes entries only at breakpoints). The second covers
    what else repeats. Consecutive messages of one role become one message of several text
    blocks, which the API reads as one turn; the text the model sees is unchanged. These two and
    one on the system prompt stay within the API's four."""
    marked = {i for i in (0, len(turns) - 2) if 0 <= i < len(turns) - 1}
    out: list[dict[str, Any]] = []
    for i, m in enumerate(turns):
        block: dict[str, Any] = {"type": "text", "text": m.content}
        if i in marked and m.content:
            block["cache_control"] = EPHEMERAL
        if out and out[-1]["role"] == m.role:
            out[-1]["content"].append(block)
        else:
            out.append({"role": m.role, "content": [block]})
    for message in out:  # a message of one plain block is sent as plain text, as before
        blocks = message["content"]
        if len(blocks) == 1 and "cache_control" not in blocks[0]:
            message["content"] = blocks[0]["text"]
    return out


def parse_message(body: Any, tool: str | None = None) -> Completion:
    """A Message as decoded JSON. Text is every text block joined; thinking blocks are not part
    of the answer. A tool_use block is a structured answer (we send tools for nothing else): its
    `input` as JSON text is the answer (`tool` names the one asked for; a Batch result does not
    say, so any); several calls with different inputs become a JSON list of them. A body of another shape is a malformed response."""
    expect(isinstance(body, dict), "the answer is not a JSON object")
    blocks = body.get("content")
    expect(isinstance(blocks, list), "the response has no content blocks")
    texts = [b.get("text") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
    expect(all(isinstance(t, str) for t in texts), "a text block holds no text")
    calls = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use" and (tool is None or b.get("name") == tool)]
    if calls:
        expect(all(isinstance(c.get("input"), dict) for c in calls), "a tool_use block holds no input object")
        inputs = [c["input"] for c in calls]
        # Several calls that disagree are several answers: kept as a JSON list, which no
        # structured reader takes for one answer (identical repeats are one answer).
        answer = inputs[0] if all(i == inputs[0] for i in inputs) else inputs
        texts = [json.dumps(answer, ensure_ascii=False)]
    usage = body.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    # The API counts cached prompt tokens apart from `input_tokens` (the uncached rest); all
    # of them were the prompt, billed at three rates.
    plain = token_count(usage.get("input_tokens"), "input_tokens")
    written = token_count(usage.get("cache_creation_input_tokens"), "cache_creation_input_tokens")
    read = token_count(usage.get("cache_read_input_tokens"), "cache_read_input_tokens")
    return Completion(
        text="".join(texts),  # type: ignore[arg-type]
        usage=Usage(input_tokens=plain + written + read, cache_read_tokens=read, cache_write_tokens=written,
                    output_tokens=token_count(usage.get("output_tokens"), "output_tokens")),
        logprobs=None,
        finish_reason=body.get("stop_reason"),
    )
