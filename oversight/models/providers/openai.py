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
    sdk_module = "openai"
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

    def request_params(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """The create() arguments; unset sampling options are left to the server's defaults."""
        params: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": config.max_tokens,
            "timeout": config.timeout_s,
        }
        optional = {
            "temperature": config.temperature,
            "top_p": config.top_p,
            "stop": config.stop,
            "seed": config.seed,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        if config.logprobs:
            params["logprobs"] = True
            if config.top_logprobs is not None:
                params["top_logprobs"] = config.top_logprobs
        return params

    async def send(self, client: Any, messages: list[Message], config: GenerateConfig) -> Any:
        return await client.chat.completions.create(**self.request_params(messages, config))

    def parse(self, response: Any, config: GenerateConfig) -> Completion:
        return parse_response(response, want_logprobs=config.logprobs)


def parse_response(response: Any, *, want_logprobs: bool) -> Completion:
    """Read a ChatCompletion defensively: self-hosted servers omit fields the API always sends,
    and the SDK does not check types, so a wrong one is caught here as a malformed response."""
    choices = getattr(response, "choices", None)
    expect(isinstance(choices, list) and len(choices) > 0, "the server returned no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None)
    expect(text is None or isinstance(text, str), "the message content is not text")
    usage = getattr(response, "usage", None)
    return Completion(
        text=text or "",
        usage=Usage(
            input_tokens=token_count(getattr(usage, "prompt_tokens", None), "prompt_tokens"),
            output_tokens=token_count(getattr(usage, "completion_tokens", None), "completion_tokens"),
        ),
        logprobs=parse_logprobs(getattr(choice, "logprobs", None)) if want_logprobs else None,
        finish_reason=getattr(choice, "finish_reason", None),
    )


def parse_logprobs(logprobs: Any) -> list[TokenLogprob] | None:
    content = getattr(logprobs, "content", None)
    if content is None:
        return None
    tokens: list[TokenLogprob] = []
    for item in content:
        top = [
            TopLogprob(token=alt.token, logprob=float(alt.logprob))
            for alt in (getattr(item, "top_logprobs", None) or [])
        ]
        tokens.append(TokenLogprob(token=item.token, logprob=float(item.logprob), top=top))
    return tokens
