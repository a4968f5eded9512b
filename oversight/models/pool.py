"""Builds Models from spec strings for one run, sharing servers' concurrency limits and health."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib import import_module

from oversight.core.errors import UserError
from oversight.models.batch import BATCH_PROVIDERS, BatchRuntime
from oversight.models.budget import SpendMeter
from oversight.models.cache import ResponseCache
from oversight.models.endpoints import Cooldown, Endpoint, Route
from oversight.models.model import Model
from oversight.models.pricing import PriceBook
from oversight.models.warmup import PrefixWarmer
from oversight.models.providers.base import Provider
from oversight.models.retry import RetryPolicy
from oversight.models.spec import ModelSpec, parse_spec
from oversight.models.types import Completion

# Imported lazily so a run on the local model never imports the API SDKs (and vice versa).
_PROVIDER_CLASSES = {
    "anthropic": "oversight.models.providers.anthropic:AnthropicProvider",
    "openai": "oversight.models.providers.openai:OpenAIProvider",
    "local": "oversight.models.providers.local:LocalProvider",
    "scripted": "oversight.models.providers.scripted:ScriptedProvider",
}


def provider_class(name: str) -> type[Provider]:
    module, _, attr = _PROVIDER_CLASSES[name].partition(":")
    return getattr(import_module(module), attr)


class ModelPool:
    """Every Model of a run. Limits are per server (a provider's `limit_key`), as rate limits are."""

    def __init__(
        self,
        *,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int | None = None,
        seed: int | None = None,
        provider_factory: Callable[[ModelSpec], Provider] | None = None,
        cooldown: Cooldown | None = None,
        batching: BatchRuntime | None = None,
        prices: PriceBook | None = None,
        prompt_cache: bool = True,
    ) -> None:
        """`provider_factory` replaces every provider (a dry run's estimator, a test's fake
        server); it is called once per server of a fleet, and no readiness check runs then.
        `max_connections` is per server; `cooldown` says how long a failing server rests.
        Without `batching`, `get(spec, batch=True)` only checks the spec could be batched
        (a dry run prices it at batch rates but calls its stand-in normally). `prices` prices
        every call; `prompt_cache` lets providers mark prompt-cache breakpoints (`configure`
        sets both from an experiment)."""
        self.provider_factory = provider_factory
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self.max_connections = max_connections
        self.seed = seed
        self.cooldown = cooldown or Cooldown()
        self.batching = batching
        self.prices = prices or PriceBook()
        self.prompt_cache = prompt_cache
        self.warmer = PrefixWarmer()
        """Calls sharing a long opening go after the first has warmed the server's cache."""
        self.meter = SpendMeter()
        """Spend of every call this pool made, and bounds of those in flight (`max_cost_usd`)."""
        self._models: dict[tuple[ModelSpec, bool], Model] = {}
        self._endpoints: dict[str, Endpoint] = {}
        self.pending: dict[str, asyncio.Future[Completion]] = {}
        """Calls in flight by cache key, shared by every Model (and batches being recovered)."""

    def recover_batches(self) -> int:
        """Collect in the background the batches an earlier session submitted and never collected."""
        if self.batching is None:
            return 0
        return self.batching.recover(self.cache, self.pending, lambda spec: self.get(spec, batch=True).batcher)

    def get(self, spec: str | ModelSpec, *, batch: bool = False) -> Model:
        """The Model for `spec`, built once; raises UserError if its provider cannot run, or
        (with `batch`) has no Batch API. A batched and an unbatched Model of one spec share
        its servers, cache and calls in flight."""
        parsed = parse_spec(spec) if isinstance(spec, str) else spec
        if batch:
            check_batchable(parsed)
        # Keyed by the real spec: two specs differing only in a hidden credential are two models.
        if (parsed, batch) not in self._models:
            twin = self._models.get((parsed, not batch))
            if twin is not None:
                routes = twin.routes
            else:
                count = max(1, len(parsed.base_urls))
                routes = [self._route(parsed.endpoint(i) if parsed.base_urls else parsed) for i in range(count)]
            batcher = None
            if batch and self.batching is not None:
                self.batching.cache = self.batching.cache or self.cache  # answers stored before journaled
                batcher = self.batching.batcher(parsed, routes[0].provider, self.prices)
            self._models[(parsed, batch)] = Model(
                parsed, routes, cache=self.cache, retry=self.retry, seed=self.seed,
                pending=self.pending, batcher=batcher, meter=self.meter, prices=self.prices, warmer=self.warmer,
            )
        return self._models[(parsed, batch)]

    def _route(self, spec: ModelSpec) -> Route:
        if self.provider_factory is not None:
            provider = self.provider_factory(spec)
        else:
            provider = provider_class(spec.provider)(spec)
            provider.check_ready()
        provider.prompt_cache = self.prompt_cache
        key = provider.limit_key
        if key not in self._endpoints:
            limit = self.max_connections or provider.default_max_connections
            self._endpoints[key] = Endpoint(key, limit, self.cooldown)
        return Route(self._endpoints[key], provider)

    def configure(self, *, prices: PriceBook, prompt_cache: bool) -> None:
        """An experiment's prices and prompt-cache switch, also for Models built before (a pool
        handed to the runner by a test or benchmark)."""
        self.prices, self.prompt_cache = prices, prompt_cache
        for model in self._models.values():
            model.prices = prices
            if model.batcher is not None:
                model.batcher.prices = prices
            for route in model.routes:
                route.provider.prompt_cache = prompt_cache

    def endpoint_usage(self) -> dict[str, dict[str, int | float | None]]:
        """Per server (named by its `limit_key`, credentials hidden): answered `calls`, failed
        attempts (`failures`), `input_tokens`, `output_tokens` and `cost_usd` (None if unpriced).
        Cache hits and coalesced calls reach no server and are not counted. Plain dicts, sorted
        by name, ready for metrics.json."""
        return {name: self._endpoints[name].report() for name in sorted(self._endpoints)}

    async def aclose(self) -> None:
        if self.batching is not None:
            await self.batching.aclose()
        closed: set[int] = set()
        for model in self._models.values():
            if id(model.routes) not in closed:  # a batched twin shares its providers
                closed.add(id(model.routes))
                await model.aclose()


def check_batchable(spec: ModelSpec) -> None:
    """UserError unless `spec` names a provider's own API that has a Batch API."""
    if spec.provider not in BATCH_PROVIDERS or spec.base_urls:
        raise UserError(
            f"{spec} has no Batch API (batching works with anthropic: and openai: models on the "
            f"providers' own APIs); set batch to false for this role"
        )
