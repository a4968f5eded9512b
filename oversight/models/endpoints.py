"""Where calls go: one Endpoint per server, shared by every Model that talks to it.

An Endpoint is keyed by its provider's `limit_key` (the OpenAI API, one base URL, one local
GGUF file, ...). It holds the server's concurrency limit, its health (a server that failed
with a retryable error rests for a cool-down that doubles with each failure in a row and ends
at the first success) and what was spent there, which `ModelPool.endpoint_usage()` reports.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import NamedTuple

from oversight.models.providers.base import Provider, ProviderError
from oversight.models.types import Usage


@dataclass(frozen=True)
class Cooldown:
    """How long a failing server is left out of rotation (only matters with several servers)."""

    base_s: float = 1.0
    """Rest after the first retryable failure; doubles with each further failure in a row."""
    max_s: float = 60.0
    """Longest rest, a server's Retry-After included."""

    def rest(self, strikes: int, retry_after: float | None) -> float:
        backoff = self.base_s * (2 ** (strikes - 1))
        return min(self.max_s, max(backoff, retry_after or 0.0))


class Endpoint:
    """One server's limit, health and usage. Counters are plain ints: one event loop owns them."""

    def __init__(self, name: str, max_connections: int, cooldown: Cooldown | None = None) -> None:
        self.name = name
        self.semaphore = asyncio.Semaphore(max_connections)
        self.cooldown = cooldown or Cooldown()
        self.in_flight = 0
        """Calls given to this server and not finished, including those waiting for a slot."""
        self.started = 0
        self.calls = 0
        self.failures = 0
        self.usage = Usage()
        self.strikes = 0
        self.resting_until = 0.0
        """Monotonic time before which the server is only used if every other one rests too."""

    def available(self, now: float) -> bool:
        return now >= self.resting_until

    def succeeded(self, usage: Usage) -> None:
        self.calls += 1
        self.usage = self.usage + usage
        self.strikes = 0
        self.resting_until = 0.0

    def failed(self, error: ProviderError, now: float) -> None:
        """Count the failure; a retryable one (the server's fault) also rests the server."""
        self.failures += 1
        if error.retryable:
            self.strikes += 1
            self.resting_until = now + self.cooldown.rest(self.strikes, error.retry_after)

    def report(self) -> dict[str, int | float | None]:
        """Plain numbers for metrics.json: answered calls, failed attempts and tokens spent."""
        return {
            "calls": self.calls,
            "failures": self.failures,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cost_usd": self.usage.cost_usd,
            **{k: v for k, v in (("cache_read_tokens", self.usage.cache_read_tokens),
                                 ("cache_write_tokens", self.usage.cache_write_tokens)) if v},
        }


class Route(NamedTuple):
    """One way for a Model to make a call: this provider instance, on this server."""

    endpoint: Endpoint
    provider: Provider


def pick(routes: list[Route], now: float) -> Route:
    """The route to a server with the fewest calls in flight among those not resting (ties go
    to the server that got fewer calls so far); if every server rests, the one back soonest."""
    if len(routes) == 1:
        return routes[0]
    ready = [r for r in routes if r.endpoint.available(now)]
    if not ready:
        return min(routes, key=lambda r: r.endpoint.resting_until)
    return min(ready, key=lambda r: (r.endpoint.in_flight, r.endpoint.started))


def another_ready(routes: list[Route], failed: Endpoint, now: float) -> bool:
    """Whether a retry can go at once to a different server that is not resting."""
    return any(r.endpoint is not failed and r.endpoint.available(now) for r in routes)
