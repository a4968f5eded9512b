"""`openai:MODEL` (the OpenAI API) and `openai:MODEL@BASE_URL` (any OpenAI-compatible server).

One provider serves both because vLLM, llama.cpp and Ollama all speak the same chat API;
only the key requirement differs. A spec naming several base URLs gets one provider per URL
(models/pool.py builds them); this class always talks to one server.
"""

from __future__ import annotations

import os
from typing import Any

from oversight.models.providers.sdk import SDKProvider, expect, token_count
from oversight.models.types import (
    Completion,
    GenerateConfig,
    Message,
    TokenLogprob,
    TopLogprob,
    Usage,
)

KEY_ENV = "OPENAI_API_KEY"
COMPAT_KEY_ENV = "OPENAI_COMPATIBLE_API_KEY"
"""Key for `openai:MODEL@BASE_URL` servers; OPENAI_API_KEY is never sent to a third-party server."""
NO_KEY = "not-needed"
"""Sent to self-hosted servers when no key is set: the SDK insists on some key."""


class OpenAIProvider(SDKProvider):
    """Chat completions through `openai.AsyncOpenAI`."""

    default_max_connections = 16
    schema_in_prefix = True

    @property
    def reuses_prefix(self) -> bool:  # type: ignore[override]
        """OpenAI's own API bills cached prompt tokens for less; a server of one's own may not
        cache at all, and waiting for a warm cache there would only slow a run."""
        return not self.spec.base_urls
    sdk_module = "openai"
    path = "/chat/completions"
    base_error = "OpenAIError"
    key_env = KEY_ENV

    @property
    def limit_key(self) -> str:
        """Each server has its own limit and health: the OpenAI API, or one base URL (shown redacted)."""
        return self.spec.endpoint_names[0] if self.spec.base_urls else "openai"

    def api_key(self) -> str | None:
        if self.spec.base_urls:
            return os.environ.get(COMPAT_KEY_ENV) or NO_KEY
        return super().api_key()

    def secret(self, client: Any) -> str | None:
        return None if client.api_key == NO_KEY else client.api_key

    def make_client(self, kwargs: dict[str, Any]) -> Any:
        from openai import AsyncOpenAI

        if self.spec.base_urls:
            kwargs["base_url"] = self.spec.base_urls[0]
        return AsyncOpenAI(**kwargs)

    def request_body(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """Unset sampling options are left to the server's defaults."""
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": config.max_tokens,
        }
        optional = {
            "temperature": config.temperature,
            "top_p": config.top_p,
            "stop": config.stop,
            "seed": config.seed,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if config.logprobs:
            body["logprobs"] = True
            if config.top_logprobs is not None:
                body["top_logprobs"] = config.top_logprobs
        if config.response_schema is not None:
            body["response_format"] = response_format(config)
        return body

    def supports_structured(self) -> bool:
        """The OpenAI API and the OpenAI-compatible servers we name (vLLM, llama.cpp) take a JSON schema."""
        return True

    def parse(self, body: Any, config: GenerateConfig) -> Completion:
        return parse_response(body, want_logprobs=config.logprobs)


def response_format(config: GenerateConfig) -> dict[str, Any]:
    """Chat completions' structured-output request: the schema, strictly enforced."""
    schema = config.response_schema
    assert schema is not None
    return {"type": "json_schema", "json_schema": {"name": schema.name, "schema": schema.json_schema, "strict": True}}


def parse_response(body: Any, *, want_logprobs: bool, chat: bool = True) -> Completion:
    """Read a chat completion (or, with `chat=False`, a text completion) as decoded JSON,
    defensively: self-hosted servers omit fields the API always sends, and a wrong type is
    a malformed response."""
    expect(isinstance(body, dict), "the answer is not a JSON object")
    choices = body.get("choices")
    expect(isinstance(choices, list) and len(choices) > 0 and isinstance(choices[0], dict),
           "the server returned no choices")
    choice = choices[0]
    if chat:
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else None
    else:
        text = choice.get("text")
    expect(text is None or isinstance(text, str), "the message content is not text")
    usage = body.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    prompt = token_count(usage.get("prompt_tokens"), "prompt_tokens")
    cached = cached_prompt_tokens(usage, body.get("timings"))
    expect(cached <= prompt or prompt == 0, "more cached prompt tokens than prompt tokens")
    if prompt == 0:
        cached = 0
    return Completion(
        text=text or "",
        usage=Usage(input_tokens=prompt, cache_read_tokens=cached,
                    output_tokens=token_count(usage.get("completion_tokens"), "completion_tokens")),
        logprobs=parse_logprobs(choice.get("logprobs")) if want_logprobs else None,
        finish_reason=choice.get("finish_reason"),
    )


def cached_prompt_tokens(usage: dict[str, Any], timings: Any) -> int:
    """Prompt tokens the server's cache served: OpenAI's `prompt_tokens_details.cached_tokens`
    (part of `prompt_tokens`); llama.cpp servers that omit it report `timings.cache_n`."""
    details = usage.get("prompt_tokens_details")
    if isinstance(details, dict) and details.get("cached_tokens") is not None:
        return token_count(details.get("cached_tokens"), "prompt_tokens_details.cached_tokens")
    if isinstance(timings, dict) and timings.get("cache_n") is not None:
        return token_count(timings.get("cache_n"), "timings.cache_n")
    return 0


def parse_logprobs(logprobs: Any) -> list[TokenLogprob] | None:
    """Per-token logprobs with their top alternatives; None when the server sent none."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not content:
        return None
    return [
        TokenLogprob(
            token=item["token"], logprob=float(item["logprob"]),
            top=[TopLogprob(token=alt["token"], logprob=float(alt["logprob"])) for alt in item.get("top_logprobs") or []],
        )
        for item in content
    ]
