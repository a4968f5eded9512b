"""Builds Models from spec strings for one run, sharing providers' concurrency limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib import import_module

from oversight.models.cache import ResponseCache
from oversight.models.model import Model
from oversight.models.providers.base import Provider
from oversight.models.retry import RetryPolicy
from oversight.models.spec import ModelSpec, parse_spec

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
    """Every Model of a run. The concurrency limit is per provider endpoint, as rate limits are."""

    def __init__(
        self,
        *,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int | None = None,
        seed: int | None = None,
        provider_factory: Callable[[ModelSpec], Provider] | None = None,
    ) -> None:
        """`provider_factory` replaces every provider (a dry run's estimator); no readiness check then."""
        self.provider_factory = provider_factory
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self.max_connections = max_connections
        self.seed = seed
        self._models: dict[str, Model] = {}
        self._semaphores: dict[tuple[str, str | None], asyncio.Semaphore] = {}

    def get(self, spec: str | ModelSpec) -> Model:
        parsed = parse_spec(spec) if isinstance(spec, str) else spec
        key = str(parsed)
        if key not in self._models:
            if self.provider_factory is not None:
                provider = self.provider_factory(parsed)
            else:
                provider = provider_class(parsed.provider)(parsed)
                provider.check_ready()
            limit_key = (parsed.provider, parsed.base_url)
            if limit_key not in self._semaphores:
                limit = self.max_connections or provider.default_max_connections
                self._semaphores[limit_key] = asyncio.Semaphore(limit)
            self._models[key] = Model(
                parsed,
                provider,
                semaphore=self._semaphores[limit_key],
                cache=self.cache,
                retry=self.retry,
                seed=self.seed,
            )
        return self._models[key]

    @property
    def models(self) -> list[Model]:
        return list(self._models.values())

    async def aclose(self) -> None:
        for model in self._models.values():
            await model.aclose()
