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


class LoopbackServer:
    """A real OpenAI-compatible chat server on 127.0.0.1 (HTTP/1.1, keep-alive), for tests that
    need sockets: it answers every POST with `body` and counts requests. Stops with `stop()`."""

    def __init__(self, body: dict[str, object]) -> None:
        self.payload = json.dumps(body).encode()
        self.requests = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                self.requests += 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             + f"content-length: {len(self.payload)}\r\n\r\n".encode() + self.payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def closed_port_url() -> str:
    """A 127.0.0.1 URL nothing listens on: connecting is refused at once."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
