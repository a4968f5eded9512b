"""One wrapper around every provider: cache, coalescing, retries, routing and limits in one place."""

from __future__ import annotations

import asyncio
import random
import time
from functools import lru_cache

from oversight.core.errors import ModelCallError
from oversight.core.keyguard import check_texts
from oversight.models.batch import Batcher
from oversight.models.bounds import check_completion, within_bounds
from oversight.models.cache import ResponseCache, cache_key
from oversight.models.endpoints import Endpoint, Route, another_ready, pick
from oversight.models.budget import SpendMeter
from oversight.models.pricing import DEFAULT as LIST_PRICES
from oversight.models.pricing import PriceBook
from oversight.models.warmup import PrefixWarmer
from oversight.models.providers.base import Provider, ProviderError
from oversight.models.retry import RetryPolicy
from oversight.models.spec import ModelSpec, redact_url
from oversight.models.types import Completion, GenerateConfig, Message, ModelOutput


@lru_cache(maxsize=256)
def _shown(spec: ModelSpec) -> str:
    return str(spec)


class Model:
    """A spec bound to one or more routes (one per server of a fleet). Servers, and so their
    concurrency limits, are shared with the pool's other Models that talk to them."""

    def __init__(
        self,
        spec: ModelSpec,
        routes: list[Route],
        *,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        seed: int | None = None,
        pending: dict[str, asyncio.Future[Completion]] | None = None,
        batcher: Batcher | None = None,
        meter: SpendMeter | None = None,
        prices: PriceBook | None = None,
        warmer: PrefixWarmer | None = None,
    ) -> None:
        """`pending` holds the calls in flight by cache key; the pool shares one among its Models
        so that specs naming the same fleet in another order coalesce too. With a `batcher`
        calls go through the provider's Batch API first; `meter` counts spend for a budget;
        `prices` prices calls (list prices unless the experiment overrides some); with a
        `warmer`, a call whose long opening another call is writing to a prompt cache waits for it."""
        if not routes:
            raise ValueError("a Model needs at least one route")
        self.spec = spec
        self.routes = routes
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self._rng = random.Random(seed)
        self._pending = pending if pending is not None else {}
        self.batcher = batcher
        self.meter = meter
        self.prices = prices or LIST_PRICES
        self.warmer = warmer

    @property
    def name(self) -> str:
        """The spec with credentials hidden: what transcripts and errors show (worked out once
        per spec, not on every call)."""
        return _shown(self.spec)

    @property
    def provider(self) -> Provider:
        """The first server's provider (the only one unless the spec names a fleet)."""
        return self.routes[0].provider

    @property
    def supports_structured(self) -> bool:
        """Whether every server of this model honours `GenerateConfig.response_schema`."""
        return all(route.provider.supports_structured() for route in self.routes)

    @property
    def endpoints(self) -> list[Endpoint]:
        return [route.endpoint for route in self.routes]

    async def generate(
        self,
        messages: list[Message] | str,
        config: GenerateConfig | None = None,
        *,
        role: str = "default",
    ) -> ModelOutput:
        """Answer from the cache if we can, else call with retries; raise ModelCallError if all fail.

        With the cache on, a request identical (same cache key) to one still in flight waits
        for it instead of calling again, and gets its completion marked `cached=True,
        coalesced=True`: like a cache hit it cost nothing more, so callers that count cached
        outputs as free (the Recorder) do not count it twice. With the cache off, identical
        requests are taken as wanted separately (e.g. several samples) and all are made.
        `role` is accepted for callers' convenience; usage per role is summed by the caller.
        """
        if isinstance(messages, str):
            messages = [Message(role="user", content=messages)]
        config = config or GenerateConfig()
        if self.cache is None:
            return await self._call(messages, config, None)
        key = cache_key(self.spec, messages, config)
        hit = self.cache.get(key)
        if hit is not None:
            return ModelOutput(completion=hit, model=self.name, cached=True)
        leader = self._pending.get(key)
        if leader is not None:
            return await self._follow(leader, messages, config)
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            out = await self._call(messages, config, key)
        except asyncio.CancelledError:
            self._pending.pop(key, None)
            future.cancel()  # followers then make the call themselves
            raise
        except Exception as exc:
            self._pending.pop(key, None)
            future.set_exception(exc)
            future.exception()  # marks it seen: with no follower asyncio would log it
            raise
        # No await from here on: a new identical request finds either `pending` or the cache.
        self._pending.pop(key, None)
        future.set_result(out.completion)
        if not out.batched:  # a batch's answers are in the cache already, stored before journaled
            self.cache.put(key, out.completion)
        return out

    async def _follow(
        self, leader: asyncio.Future[Completion], messages: list[Message], config: GenerateConfig
    ) -> ModelOutput:
        start = time.monotonic()
        try:
            completion = await asyncio.shield(leader)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if leader.cancelled() and task is not None and not task.cancelling():
                # The leader was cancelled (or a recovered batch did not answer it), not us.
                return await self.generate(messages, config)
            raise
        return ModelOutput(
            completion=completion,
            model=self.name,
            cached=True,
            coalesced=True,
            latency_s=round(time.monotonic() - start, 4),
        )

    async def _call(self, messages: list[Message], config: GenerateConfig, key: str | None) -> ModelOutput:
        """One request that reaches a provider (batched first if this Model batches), metered."""
        bound = 0.0
        if self.meter is not None:
            chars = sum(len(m.content) for m in messages)
            bound = self.prices.cost_bound(self.spec, chars, config.max_tokens, batch=self.batcher is not None)
            self.meter.start(bound)
        cost: float | None = None
        saved: float | None = None
        try:
            out = await self._call_unmetered(messages, config, key)
            cost, saved = out.completion.usage.cost_usd, out.completion.usage.saved_usd
            return out
        finally:
            if self.meter is not None:
                self.meter.finish(bound, cost, saved)

    async def _call_unmetered(self, messages: list[Message], config: GenerateConfig, key: str | None) -> ModelOutput:
        check_texts((m.content for m in messages), f"a call to {self.name}")  # no key leaves the process
        start = time.monotonic()
        if self.batcher is not None:
            key = key or cache_key(self.spec, messages, config)
            completion = await self.batcher.call(key, messages, config)
            if completion is not None and within_bounds(completion, config):
                self.routes[0].endpoint.succeeded(completion.usage)
                return ModelOutput(completion=completion, model=self.name, batched=True,
                                   latency_s=round(time.monotonic() - start, 4))
            # Expired, errored, canceled or too large in the batch, or no batch at all: a normal call.
        prefix = None if self.warmer is None else self.warmer.key(
            self.provider, self.routes[0].endpoint.name, self.spec.model, messages, config.response_schema)
        if prefix is None:
            completion, attempts, served_by = await self._call_with_retries(messages, config)
        else:
            async with self.warmer.turn(prefix):
                completion, attempts, served_by = await self._call_with_retries(messages, config)
        return ModelOutput(
            completion=completion,
            model=self.name,
            latency_s=round(time.monotonic() - start, 4),
            attempts=attempts,
            endpoint=served_by if len(self.routes) > 1 else None,
        )

    async def _call_with_retries(
        self, messages: list[Message], config: GenerateConfig
    ) -> tuple[Completion, int, str]:
        attempt = 0
        while True:
            attempt += 1
            route = pick(self.routes, time.monotonic())
            endpoint = route.endpoint
            endpoint.in_flight += 1
            endpoint.started += 1
            try:
                limit = None if route.provider.computes_here else config.timeout_s
                async with endpoint.semaphore, asyncio.timeout(limit):
                    completion = check_completion(await route.provider.generate(messages, config), config)
                completion = completion.model_copy(update={"usage": self.prices.with_cost(self.spec, completion.usage)})
                endpoint.succeeded(completion.usage)
                return completion, attempt, endpoint.name
            except TimeoutError:
                error = ProviderError(f"timed out after {config.timeout_s:g}s", retryable=True)
            except ProviderError as exc:
                error = exc
            finally:
                endpoint.in_flight -= 1
            now = time.monotonic()
            endpoint.failed(error, now)
            if not error.retryable or attempt >= self.retry.max_attempts:
                where = f" (last at {endpoint.name})" if len(self.routes) > 1 else ""
                tail = f" after {attempt} attempts" if attempt > 1 else ""
                # A reason may quote a URL (a proxy's error page): its credentials stay hidden.
                reason = redact_url(error.reason)
                raise ModelCallError(
                    f"{self.name}: {reason}{where}{tail}", attempts=attempt, status=error.status
                )
            # Another server that is not resting takes the retry at once; otherwise back off.
            if not another_ready(self.routes, endpoint, now):
                await asyncio.sleep(self.retry.delay(attempt, error.retry_after, self._rng))

    async def aclose(self) -> None:
        for route in self.routes:
            await route.provider.aclose()
