"""`anthropic:MODEL`: the Anthropic Messages API through `anthropic.AsyncAnthropic`.

Anthropic gives no logprobs, so a judge that needs P(A) vs P(B) must use an
OpenAI-compatible or local model. 529 (overloaded) is retried like any 5xx.
"""

from __future__ import annotations

from typing import Any

from oversight.models.providers.sdk import SDKProvider, expect, token_count
from oversight.models.types import Completion, GenerateConfig, Message, Usage

KEY_ENV = "ANTHROPIC_API_KEY"


class AnthropicProvider(SDKProvider):
    """Messages API calls through the official SDK."""

    default_max_connections = 8
    sdk_module = "anthropic"
    base_error = "AnthropicError"
    key_env = KEY_ENV

    def make_client(self, kwargs: dict[str, Any]) -> Any:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(**kwargs)

    def request_params(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """The create() arguments. System messages go to `system`, as the API requires."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        params: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [
                {"role": m.role, "content": m.content} for m in messages if m.role != "system"
            ],
            "max_tokens": config.max_tokens,
            # An explicit timeout also stops the SDK refusing large max_tokens without streaming.
            "timeout": config.timeout_s,
        }
        if system:
            params["system"] = system
        if config.stop:
            params["stop_sequences"] = list(config.stop)
        # SDK 1.0 dropped these from the signature; the API still takes them on models that
        # allow sampling options, so they go in the body, and only when the user set them.
        sampling = {"temperature": config.temperature, "top_p": config.top_p}
        extra = {k: v for k, v in sampling.items() if v is not None}
        if extra:
            params["extra_body"] = extra
        return params

    async def send(self, client: Any, messages: list[Message], config: GenerateConfig) -> Any:
        return await client.messages.create(**self.request_params(messages, config))

    def parse(self, response: Any, config: GenerateConfig) -> Completion:
        return parse_message(response)


def parse_message(response: Any) -> Completion:
    """Text is every text block joined; thinking and tool blocks are not part of the answer.
    The SDK does not check types, so a body that is not a Message is caught here."""
    blocks = getattr(response, "content", None)
    expect(isinstance(blocks, list), "the response has no content blocks")
    texts = [getattr(b, "text", None) for b in blocks if getattr(b, "type", None) == "text"]
    expect(all(isinstance(t, str) for t in texts), "a text block holds no text")
    usage = getattr(response, "usage", None)
    # The API counts cached prompt tokens separately; all of them were the prompt.
    prompt = sum(
        token_count(getattr(usage, field, None), field)
        for field in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return Completion(
        text="".join(texts),  # type: ignore[arg-type]
        usage=Usage(input_tokens=prompt, output_tokens=token_count(getattr(usage, "output_tokens", None), "output_tokens")),
        logprobs=None,
        finish_reason=getattr(response, "stop_reason", None),
    )
