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

    def make_client(self, kwargs: dict[str, Any]) -> Any:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(**kwargs)

    def request_body(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """System messages go to `system`, as the API requires; temperature and top_p only
        when the user set them."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [
                {"role": m.role, "content": m.content} for m in messages if m.role != "system"
            ],
            "max_tokens": config.max_tokens,
        }
        if system:
            body["system"] = system
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


def parse_message(body: Any, tool: str | None = None) -> Completion:
    """A Message as decoded JSON. Text is every text block joined; thinking blocks are not part
    of the answer. A tool_use block is a structured answer (we send tools for nothing else): its
    `input` as JSON text is the answer (`tool` names the one asked for; a Batch result does not
    say, so any). A body of another shape is a malformed response."""
    expect(isinstance(body, dict), "the answer is not a JSON object")
    blocks = body.get("content")
    expect(isinstance(blocks, list), "the response has no content blocks")
    texts = [b.get("text") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
    expect(all(isinstance(t, str) for t in texts), "a text block holds no text")
    calls = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use" and (tool is None or b.get("name") == tool)]
    if calls:
        expect(isinstance(calls[-1].get("input"), dict), "a tool_use block holds no input object")
        texts = [json.dumps(calls[-1]["input"], ensure_ascii=False)]
    usage = body.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    # The API counts cached prompt tokens separately; all of them were the prompt.
    prompt = sum(
        token_count(usage.get(field), field)
        for field in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return Completion(
        text="".join(texts),  # type: ignore[arg-type]
        usage=Usage(input_tokens=prompt, output_tokens=token_count(usage.get("output_tokens"), "output_tokens")),
        logprobs=None,
        finish_reason=body.get("stop_reason"),
    )
