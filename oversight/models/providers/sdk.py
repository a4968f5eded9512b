"""What the Anthropic and OpenAI providers share: building the SDK client once, closing it,
and turning the SDK's exceptions into ProviderErrors the wrapper can retry or report.

Both SDKs name their error classes alike (`APIStatusError`, `APITimeoutError`,
`APIConnectionError`, `APIResponseValidationError`), so one mapping serves both. The SDK's
own retries are off (`max_retries=0`): models/model.py is the one retry layer.

A call posts the request body we built (orjson bytes) through the SDK's own `post`, which keeps
the SDK's authentication, headers, base URL and status errors, and reads the JSON answer with
orjson. Going through `create()` instead walks every message through the SDK's typed-dict
transform and builds pydantic objects for the answer: about a quarter of a call's CPU on this
machine, for a body we already know the exact shape of (benchmarks/debate_replay.py).
"""

from __future__ import annotations

import json
import os
from abc import abstractmethod
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from oversight.core.errors import UserError
from oversight.models.bounds import read_bounded
from oversight.models.providers.base import Provider, ProviderError
from oversight.models.providers.inflate import ACCEPT, bound_body
from oversight.models.providers.http_errors import (
    connection_reason,
    malformed_error,
    redact,
    short_message,
    status_error,
)
from oversight.models.types import Completion, GenerateConfig, Message

from oversight.models.spec import ModelSpec

if TYPE_CHECKING:  # the SDK is imported on first use, so a local-only run never loads it
    import httpx2


class SDKProvider(Provider):
    """A provider whose calls go through an official async SDK client."""

    sdk_module: ClassVar[str]
    """Import name of the SDK (`openai`, `anthropic`)."""
    base_error: ClassVar[str]
    """The SDK's root exception class name; anything under it that is not mapped is not retried."""
    key_env: ClassVar[str]
    """Environment variable holding the key for the provider's own API."""
    path: ClassVar[str]
    """The endpoint a generation is posted to, relative to the client's base URL."""

    def __init__(self, spec: ModelSpec, *, http_client: httpx2.AsyncClient | None = None) -> None:
        """`http_client` lets tests put an httpx2.MockTransport under the SDK."""
        super().__init__(spec)
        self._http_client = http_client
        self._client: Any = None
        # Imported now, before a run starts (and freezes what exists, core.gctune.gc_frozen), not
        # in the middle of it; a run with no role on this SDK never gets here.
        import_module(self.sdk_module)

    def api_key(self) -> str | None:
        """The key to send, or None when it is missing (the default: `key_env`)."""
        return os.environ.get(self.key_env) or None

    def secret(self, client: Any) -> str | None:
        """The key as sent, to redact from error messages (None when it is no secret)."""
        return client.api_key

    def check_ready(self) -> None:
        if self.api_key() is None:
            raise UserError(
                f"{self.key_env} is not set: export it, or use a local model (local:gemma-3-270m)"
            )

    @abstractmethod
    def make_client(self, kwargs: dict[str, Any]) -> Any:
        """Build the SDK client from `kwargs` (api_key, max_retries, http_client) plus its own."""

    @abstractmethod
    def request_body(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """The JSON body of the request, exactly as sent (and as a Batch API request carries it)."""

    @abstractmethod
    def parse(self, body: Any, config: GenerateConfig) -> Completion:
        """Read the decoded JSON answer; raise ProviderError (or ValueError/TypeError) when it is malformed."""

    async def send(self, client: Any, messages: list[Message], config: GenerateConfig) -> Any:
        """Post the body through the SDK and return the raw httpx2 response, its body not yet read
        (STREAM_BODY), so `generate` can stop reading past the answer's bound (errors are the SDK's)."""
        import httpx2

        return await client.post(
            self.path, content=orjson.dumps(self.request_body(messages, config)), cast_to=httpx2.Response,
            options={"timeout": config.timeout_s, "headers": STREAM_BODY},  # the SDK's default headers say JSON
        )

    def client(self) -> Any:
        """Built on first use, so building a pool never needs the SDK; the key is passed
        explicitly so the SDK never goes looking for it elsewhere."""
        if self._client is None:
            self.check_ready()
            http = self._http_client or import_module(self.sdk_module).DefaultAsyncHttpxClient()
            http.event_hooks = {**http.event_hooks, "response": [*http.event_hooks["response"], cap_error_body]}
            kwargs: dict[str, Any] = {"api_key": self.api_key(), "max_retries": 0, "http_client": http}
            self._client = self.make_client(kwargs)
        return self._client

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        client = self.client()
        secret = self.secret(client)
        try:
            response = await self.send(client, messages, config)
        except Exception as exc:
            raise self.map_error(exc, secret) from None
        content = await _read(response, config, secret)
        try:
            return self.parse(orjson.loads(content), config)
        except ProviderError:
            raise
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            raise malformed_error(exc, secret) from None

    def map_error(self, exc: Exception, secret: str | None) -> Exception:
        """The ProviderError for an exception raised by the SDK call; other exceptions unchanged."""
        sdk = import_module(self.sdk_module)
        if isinstance(exc, sdk.APIStatusError):
            return status_error(exc.status_code, exc.body, exc.response.headers, secret)
        if isinstance(exc, sdk.APITimeoutError):  # a subclass of APIConnectionError: test it first
            return ProviderError(connection_reason(exc, "request timed out", secret), retryable=True)
        if isinstance(exc, sdk.APIConnectionError):
            return ProviderError(connection_reason(exc, "connection error", secret), retryable=True)
        if isinstance(exc, (sdk.APIResponseValidationError, json.JSONDecodeError, UnicodeDecodeError)):
            # A 200 whose body is not what the API sends (HTML, truncated JSON): like a 5xx.
            return malformed_error(exc, secret)
        if isinstance(exc, getattr(sdk, self.base_error)):
            reason = f"{type(exc).__name__}: {short_message(redact(str(exc), secret))}"
            return ProviderError(reason, retryable=False)
        return exc

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        elif self._http_client is not None:
            await self._http_client.aclose()


ERROR_BODY_LIMIT = 1024 * 1024
"""An error answer (4xx, 5xx) is cut here: the SDK reads it whole, and only its start is shown."""


async def cap_error_body(response: Any) -> None:
    """httpx response hook: a body is decoded by us in bounded pieces (oversight.models.providers.inflate),
    an error body read at most ERROR_BODY_LIMIT decoded bytes (a proxy streaming an endless or
    compressed error page cannot fill memory); an answer is bounded by `_read`."""
    bound_body(response, ERROR_BODY_LIMIT)


STREAM_BODY = {"X-Stainless-Raw-Response": "stream", **ACCEPT}
"""Both SDKs then hand back the response with its body unread (their raw-response mode)."""


async def _read(response: Any, config: GenerateConfig, secret: str | None) -> bytes:
    """The body, read in chunks up to its bound (oversight.models.bounds); the connection is
    closed either way. A connection lost mid-body is retryable, as the SDK maps it before."""
    import httpx2

    try:
        return await read_bounded(response.aiter_bytes(), config)
    except httpx2.TransportError as exc:
        raise ProviderError(connection_reason(exc, "connection error while reading the answer", secret),
                            retryable=True) from None
    finally:
        await response.aclose()


def token_count(value: object, field: str) -> int:
    """A usage field as an int: absent is 0; anything but a non-negative int is a malformed body."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProviderError(
            f"malformed response: usage field {field} is {short_message(repr(value), 40)}, not a token count",
            retryable=True,
        )
    return value


def expect(condition: bool, what: str) -> None:
    """Raise the retryable malformed-response error when a response lacks what the API always sends."""
    if not condition:
        raise ProviderError(f"malformed response: {what}", retryable=True)
