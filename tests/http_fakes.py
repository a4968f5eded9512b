"""A fake HTTP API for the SDK adapters: httpx2's MockTransport, since respx cannot see httpx2."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx2

from oversight.models import Endpoint, Model, ResponseCache, RetryPolicy, Route, parse_spec

Handler = Callable[[httpx2.Request], "httpx2.Response | Awaitable[httpx2.Response]"]


class FakeAPI:
    """Records requests and answers each with the next scripted reply (the last one repeats)."""

    def __init__(self, *replies: httpx2.Response | Handler) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if callable(reply):
            result = reply(request)
            return await result if asyncio.iscoroutine(result) else result  # type: ignore[return-value]
        return reply

    def body(self, index: int = -1) -> dict[str, object]:
        return json.loads(self.requests[index].content)


def model_over(provider_cls: type, spec: str, api: FakeAPI, cache_dir: Path | None) -> Model:
    """A Model whose provider talks to `api`, with fast retries so tests stay quick."""
    parsed = parse_spec(spec)
    provider = provider_cls(parsed, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(api)))
    return Model(
        parsed,
        [Route(Endpoint(provider.limit_key, 4), provider)],
        cache=ResponseCache(cache_dir) if cache_dir else None,
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.05),
    )
