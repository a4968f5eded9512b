"""Builds Models from spec strings for one run, sharing servers' concurrency limits and health."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib import import_module

from oversight.models.cache import ResponseCache
from oversight.models.endpoints import Cooldown, Endpoint, Route
from oversight.models.model import Model
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
    ) -> None:
        """`provider_factory` replaces every provider (a dry run's estimator, a test's fake
        server); it is called once per server of a fleet, and no readiness check runs then.
        `max_connections` is per server; `cooldown` says how long a failing server rests."""
        self.provider_factory = provider_factory
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self.max_connections = max_connections
        self.seed = seed
        self.cooldown = cooldown or Cooldown()
        self._models: dict[ModelSpec, Model] = {}
        self._endpoints: dict[str, Endpoint] = {}
        self._pending: dict[str, asyncio.Future[Completion]] = {}

    def get(self, spec: str | ModelSpec) -> Model:
        """The Model for `spec`, built once; raises UserError if its provider cannot run."""
        parsed = parse_spec(spec) if isinstance(spec, str) else spec
        # Keyed by the real spec: two specs differing only in a hidden credential are two models.
        if parsed not in self._models:
            count = max(1, len(parsed.base_urls))
            single = [parsed.endpoint(i) if parsed.base_urls else parsed for i in range(count)]
            self._models[parsed] = Model(
                parsed,
                [self._route(one) for one in single],
                cache=self.cache,
                retry=self.retry,
                seed=self.seed,
                pending=self._pending,
            )
        return self._models[parsed]

    def _route(self, spec: ModelSpec) -> Route:
        if self.provider_factory is not None:
            provider = self.provider_factory(spec)
        else:
            provider = provider_class(spec.provider)(spec)
            provider.check_ready()
        key = provider.limit_key
        if key not in self._endpoints:
            limit = self.max_connections or provider.default_max_connections
            self._endpoints[key] = Endpoint(key, limit, self.cooldown)
        return Route(self._endpoints[key], provider)

    def endpoint_usage(self) -> dict[str, dict[str, int | float | None]]:
        """Per server (named by its `limit_key`, credentials hidden): answered `calls`, failed
        attempts (`failures`), `input_tokens`, `output_tokens` and `cost_usd` (None if unpriced).
        Cache hits and coalesced calls reach no server and are not counted. Plain dicts, sorted
        by name, ready for metrics.json."""
        return {name: self._endpoints[name].report() for name in sorted(self._endpoints)}

    async def aclose(self) -> None:
        for model in self._models.values():
            await model.aclose()
