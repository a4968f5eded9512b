"""`openai:MODEL` (the OpenAI API) and `openai:MODEL@BASE_URL` (any OpenAI-compatible server).

One provider serves both because vLLM, llama.cpp and Ollama all speak the same chat API;
only the key requirement differs. The SDK's own retries are off: models/model.py retries.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from oversight.errors import UserError
from oversight.models.providers.base import Provider, ProviderError
from oversight.models.providers.http_errors import connection_reason, redact, short_message, status_error
from oversight.models.types import (
    Completion,
    GenerateConfig,
    Message,
    TokenLogprob,
    TopLogprob,
    Usage,
)

if TYPE_CHECKING:  # the SDK is imported on first use, so a local-only run never loads it
    import httpx2
    from openai import AsyncOpenAI

    from oversight.models.spec import ModelSpec

KEY_ENV = "OPENAI_API_KEY"
COMPAT_KEY_ENV = "OPENAI_COMPATIBLE_API_KEY"
"""Key for `openai:MODEL@BASE_URL` servers; OPENAI_API_KEY is never sent to a third-party server."""
NO_KEY = "not-needed"
"""Sent to self-hosted servers when no key is set: the SDK insists on some key."""


class OpenAIProvider(Provider):
    """Chat completions through `openai.AsyncOpenAI`, with errors classified for the wrapper."""

    default_max_connections = 16

    def __init__(self, spec: ModelSpec, *, http_client: httpx2.AsyncClient | None = None) -> None:
        super().__init__(spec)
        self._http_client = http_client
        self._client: AsyncOpenAI | None = None

    def _api_key(self) -> str | None:
        if self.spec.base_url is not None:
            return os.environ.get(COMPAT_KEY_ENV) or NO_KEY
        return os.environ.get(KEY_ENV) or None

    def check_ready(self) -> None:
        if self._api_key() is None:
            raise UserError(
                f"{KEY_ENV} is not set: export it, or use a local model (local:gemma-3-270m)"
            )

    def _get_client(self) -> AsyncOpenAI:
        """Built on first use, so constructing a pool never needs the SDK or a key."""
        if self._client is None:
            from openai import AsyncOpenAI

            self.check_ready()
            kwargs: dict[str, Any] = {"api_key": self._api_key(), "max_retries": 0}
            if self.spec.base_url is not None:
                kwargs["base_url"] = self.spec.base_url
            if self._http_client is not None:
                kwargs["http_client"] = self._http_client
            self._client = AsyncOpenAI(**kwargs)
        return self._client

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

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        import openai

        client = self._get_client()
        secret = None if client.api_key == NO_KEY else client.api_key
        try:
            response = await client.chat.completions.create(**self.request_params(messages, config))
        except openai.APIStatusError as exc:
            raise status_error(exc.status_code, exc.body, exc.response.headers, secret) from None
        except openai.APITimeoutError as exc:
            raise ProviderError(
                connection_reason(exc, "request timed out", secret), retryable=True
            ) from None
        except openai.APIConnectionError as exc:
            raise ProviderError(
                connection_reason(exc, "connection error", secret), retryable=True
            ) from None
        except openai.OpenAIError as exc:
            reason = f"{type(exc).__name__}: {short_message(redact(str(exc), secret))}"
            raise ProviderError(reason, retryable=False) from None
        return parse_response(response, want_logprobs=config.logprobs)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        elif self._http_client is not None:
            await self._http_client.aclose()


def parse_response(response: Any, *, want_logprobs: bool) -> Completion:
    """Read a ChatCompletion defensively: self-hosted servers omit fields the API always sends."""
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise ProviderError("the server returned no choices", retryable=False)
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None) or ""
    usage = getattr(response, "usage", None)
    return Completion(
        text=text,
        usage=Usage(
            input_tokens=getattr(usage, "prompt_tokens", None) or 0,
            output_tokens=getattr(usage, "completion_tokens", None) or 0,
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
