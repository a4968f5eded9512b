"""`anthropic:MODEL`: the Anthropic Messages API through `anthropic.AsyncAnthropic`.

The SDK's own retries are off (models/model.py retries). Anthropic gives no logprobs, so a
judge that needs P(A) vs P(B) must use an OpenAI-compatible or local model.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from oversight.errors import UserError
from oversight.models.providers.base import Provider, ProviderError
from oversight.models.providers.http_errors import (
    connection_reason,
    redact,
    short_message,
    status_error,
)
from oversight.models.types import Completion, GenerateConfig, Message, Usage

if TYPE_CHECKING:  # the SDK is imported on first use, so a local-only run never loads it
    import httpx2
    from anthropic import AsyncAnthropic

    from oversight.models.spec import ModelSpec

KEY_ENV = "ANTHROPIC_API_KEY"


class AnthropicProvider(Provider):
    """Messages API calls, with errors (529 overloaded included) classified for the wrapper."""

    default_max_connections = 8

    def __init__(self, spec: ModelSpec, *, http_client: httpx2.AsyncClient | None = None) -> None:
        super().__init__(spec)
        self._http_client = http_client
        self._client: AsyncAnthropic | None = None

    def check_ready(self) -> None:
        if not os.environ.get(KEY_ENV):
            raise UserError(
                f"{KEY_ENV} is not set: export it, or use a local model (local:gemma-3-270m)"
            )

    def _get_client(self) -> AsyncAnthropic:
        """Built on first use; the key is passed explicitly so the SDK never goes looking for profiles."""
        if self._client is None:
            from anthropic import AsyncAnthropic

            self.check_ready()
            kwargs: dict[str, Any] = {"api_key": os.environ[KEY_ENV], "max_retries": 0}
            if self._http_client is not None:
                kwargs["http_client"] = self._http_client
            self._client = AsyncAnthropic(**kwargs)
        return self._client

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

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        import anthropic

        client = self._get_client()
        secret = client.api_key
        try:
            response = await client.messages.create(**self.request_params(messages, config))
        except anthropic.APIStatusError as exc:
            raise status_error(exc.status_code, exc.body, exc.response.headers, secret) from None
        except anthropic.APITimeoutError as exc:
            raise ProviderError(
                connection_reason(exc, "request timed out", secret), retryable=True
            ) from None
        except anthropic.APIConnectionError as exc:
            raise ProviderError(
                connection_reason(exc, "connection error", secret), retryable=True
            ) from None
        except anthropic.AnthropicError as exc:
            reason = f"{type(exc).__name__}: {short_message(redact(str(exc), secret))}"
            raise ProviderError(reason, retryable=False) from None
        return parse_message(response)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        elif self._http_client is not None:
            await self._http_client.aclose()


def parse_message(response: Any) -> Completion:
    """Text is every text block joined; thinking and tool blocks are not part of the answer."""
    blocks = getattr(response, "content", None) or []
    text = "".join(
        getattr(b, "text", "") or "" for b in blocks if getattr(b, "type", None) == "text"
    )
    usage = getattr(response, "usage", None)
    # The API counts cached prompt tokens separately; all of them were the prompt.
    prompt = sum(
        getattr(usage, field, None) or 0
        for field in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return Completion(
        text=text,
        usage=Usage(input_tokens=prompt, output_tokens=getattr(usage, "output_tokens", None) or 0),
        logprobs=None,
        finish_reason=getattr(response, "stop_reason", None),
    )
