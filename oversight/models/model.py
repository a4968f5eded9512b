"""One wrapper around every provider: cache, retries, concurrency and usage in one place."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict

from oversight.errors import ModelCallError
from oversight.models.cache import ResponseCache, cache_key
from oversight.models.pricing import with_cost
from oversight.models.providers.base import Provider, ProviderError
from oversight.models.retry import RetryPolicy
from oversight.models.spec import ModelSpec
from oversight.models.types import GenerateConfig, Message, ModelOutput, Usage


class Model:
    """A provider bound to a spec, sharing a concurrency limit with its provider's other models."""

    def __init__(
        self,
        spec: ModelSpec,
        provider: Provider,
        *,
        semaphore: asyncio.Semaphore,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        seed: int | None = None,
    ) -> None:
        self.spec = spec
        self.provider = provider
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self._semaphore = semaphore
        self._rng = random.Random(seed)
        self.usage_by_role: dict[str, Usage] = defaultdict(Usage)
        self.calls = 0

    @property
    def name(self) -> str:
        return str(self.spec)

    async def generate(
        self,
        messages: list[Message] | str,
        config: GenerateConfig | None = None,
        *,
        role: str = "default",
    ) -> ModelOutput:
        """Answer from the cache if we can, else call with retries; raise ModelCallError if all fail."""
        if isinstance(messages, str):
            messages = [Message(role="user", content=messages)]
        config = config or GenerateConfig()
        key = cache_key(self.spec, messages, config) if self.cache else None
        if self.cache and key:
            hit = self.cache.get(key)
            if hit is not None:
                return ModelOutput(completion=hit, model=self.name, cached=True)
        start = time.monotonic()
        completion, attempts = await self._call_with_retries(messages, config)
        completion = completion.model_copy(update={"usage": with_cost(self.spec, completion.usage)})
        self.calls += 1
        self.usage_by_role[role] = self.usage_by_role[role] + completion.usage
        if self.cache and key:
            self.cache.put(key, completion)
        return ModelOutput(
            completion=completion,
            model=self.name,
            latency_s=round(time.monotonic() - start, 4),
            attempts=attempts,
        )

    async def _call_with_retries(self, messages: list[Message], config: GenerateConfig):
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._semaphore, asyncio.timeout(config.timeout_s):
                    completion = await self.provider.generate(messages, config)
                return completion, attempt
            except TimeoutError:
                error = ProviderError(f"timed out after {config.timeout_s:g}s", retryable=True)
            except ProviderError as exc:
                error = exc
            if not error.retryable or attempt >= self.retry.max_attempts:
                tail = f" after {attempt} attempts" if attempt > 1 else ""
                raise ModelCallError(
                    f"{self.name}: {error.reason}{tail}", attempts=attempt, status=error.status
                )
            await asyncio.sleep(self.retry.delay(attempt, error.retry_after, self._rng))

    async def aclose(self) -> None:
        await self.provider.aclose()
