"""The thin interface every provider implements; the wrapper in models/model.py does the rest."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from oversight.models.spec import ModelSpec
from oversight.models.types import Completion, GenerateConfig, Message


class ProviderError(Exception):
    """A failed attempt, classified so the wrapper knows whether to retry and when."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def is_retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (HTTP also allows a date; we treat that as unknown)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class Provider(ABC):
    """One backend. Implementations translate their SDK's errors into ProviderError."""

    default_max_connections: ClassVar[int] = 8
    prompt_cache: bool = True
    """Whether requests may mark prompt-cache breakpoints (where the API takes them); the pool
    sets it from the experiment's `prompt_cache`."""
    prefix_min_chars: ClassVar[int] = 4096
    """Shortest opening worth reusing: about the 1,024 tokens both API caches need."""
    reuses_prefix: ClassVar[bool] = False
    """Whether the server bills or computes a repeated prompt opening for less (a prompt cache,
    a llama.cpp slot), so calls sharing one are worth starting after the first (models/warmup.py)."""
    computes_here: ClassVar[bool] = False
    """Whether a call is computed on this machine's cores (the embedded model) rather than
    waited for: then no wall-clock timeout applies, since giving up on the wait would leave the
    computation running and a retry would start a second one beside it on a loaded machine."""
    schema_in_prefix: ClassVar[bool] = False
    """Whether a structured-output schema (Anthropic's forced tool, OpenAI's json_schema) is part
    of the cached prompt, ahead of the messages: then a structured call shares no cache entry
    with a plain call of the same opening."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    @property
    def limit_key(self) -> str:
        """The server this provider talks to. Models with the same key share one concurrency
        limit, one health record and one usage line (`ModelPool.endpoint_usage`), so it must
        name no secret. By default every model of a provider shares one key, as API rate
        limits are per account."""
        return self.spec.provider

    def check_ready(self) -> None:
        """Raise UserError before any work starts if this provider cannot run (no key, no file)."""

    def supports_structured(self) -> bool:
        """Whether `GenerateConfig.response_schema` is honoured (else judges fall back to text)."""
        return False

    @abstractmethod
    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion: ...

    async def aclose(self) -> None:
        """Release clients; the wrapper calls this at the end of a run."""
