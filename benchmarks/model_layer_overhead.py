"""How much does our model layer cost over calling the OpenAI SDK directly?

Starts a fake OpenAI-compatible server on 127.0.0.1 (stdlib asyncio, HTTP/1.1 keep-alive,
fixed latency per request), then makes N concurrent chat calls with at most C in flight,
(a) with raw `openai.AsyncOpenAI` + a semaphore and (b) through `ModelPool(...).get(...)`,
and prints both wall times and their ratio. The goal is a ratio of at most 1.1.

    .venv/bin/python benchmarks/model_layer_overhead.py [--n 200] [--concurrency 32] [--latency-ms 50]

Only loopback traffic; stops by itself (the whole run is bounded by --deadline-s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oversight.models import GenerateConfig, ModelPool  # noqa: E402


def reply_body(model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1764000000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "The answer is B."},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        }
    ).encode()


class FakeServer:
    """Just enough HTTP/1.1 to answer POST /v1/chat/completions, keeping connections alive."""

    def __init__(self, latency_s: float, *, record: bool = False) -> None:
        """With `record`, every request body is kept (in order) for a replay."""
        self.latency_s = latency_s
        self.requests = 0
        self.bodies: list[bytes] | None = [] if record else None
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener, then any keep-alive connection a client left open."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                model = json.loads(body or b"{}").get("model", "fake")
                self.requests += 1
                if self.bodies is not None:
                    self.bodies.append(body)
                await asyncio.sleep(self.latency_s)
                payload = reply_body(model)
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(payload)}\r\nconnection: keep-alive\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client hung up, or stop() is closing the connection
        finally:
            self._handlers.discard(task)
            writer.close()


async def run_raw(base_url: str, n: int, concurrency: int, tag: str) -> float:
    """The baseline: what a careful researcher would write by hand."""
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with semaphore:
            response = await client.chat.completions.create(
                model="fake",
                messages=[{"role": "user", "content": f"{tag} question {i}"}],
                max_tokens=512,
            )
            assert response.choices[0].message.content

    try:
        return await timed(lambda: asyncio.gather(*(one(i) for i in range(n))))
    finally:
        await client.close()


async def run_layer(base_url: str, n: int, concurrency: int, tag: str) -> float:
    """The same calls through ModelPool (no cache: we measure the call path, not disk)."""
    pool = ModelPool(max_connections=concurrency, cache=None)
    model = pool.get(f"openai:fake@{base_url}")
    config = GenerateConfig(max_tokens=512)

    async def one(i: int) -> None:
        out = await model.generate(f"{tag} question {i}", config)
        assert out.text

    try:
        return await timed(lambda: asyncio.gather(*(one(i) for i in range(n))))
    finally:
        await pool.aclose()


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def main(args: argparse.Namespace) -> None:
    server = FakeServer(args.latency_ms / 1000.0)
    port = await server.start()
    base_url = f"http://127.0.0.1:{port}/v1"
    raw_times: list[float] = []
    layer_times: list[float] = []
    try:
        # Warm-up (imports, first connections) is not measured; rounds alternate the order.
        await run_raw(base_url, args.concurrency, args.concurrency, "warm")
        await run_layer(base_url, args.concurrency, args.concurrency, "warm")
        for r in range(args.rounds):
            runs = [(run_raw, raw_times), (run_layer, layer_times)]
            for fn, times in runs if r % 2 == 0 else reversed(runs):
                times.append(await fn(base_url, args.n, args.concurrency, f"r{r}"))
    finally:
        await server.stop()

    raw, layer = statistics.median(raw_times), statistics.median(layer_times)
    ideal = -(-args.n // args.concurrency) * args.latency_ms / 1000.0
    print(f"{args.n} calls, concurrency {args.concurrency}, {args.latency_ms:g} ms server latency, "
          f"{args.rounds} rounds (median); ideal {ideal:.3f}s; {server.requests} requests served")
    print(f"raw AsyncOpenAI + semaphore: {raw:.3f}s  (rounds: {', '.join(f'{t:.3f}' for t in raw_times)})")
    print(f"oversight ModelPool:         {layer:.3f}s  (rounds: {', '.join(f'{t:.3f}' for t in layer_times)})")
    ratio = layer / raw
    print(f"ratio layer/raw: {ratio:.3f}x  ({'within' if ratio <= 1.1 else 'ABOVE'} the 1.1x goal)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="calls per run (default 200)")
    parser.add_argument("--concurrency", "-c", type=int, default=32, help="max calls in flight (default 32)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="server latency per request (default 50)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each kind; the median is reported")
    parser.add_argument("--deadline-s", type=float, default=300.0, help="abort if the benchmark takes longer")
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1 or args.latency_ms < 0 or args.rounds < 1:
        parser.error("--n, --concurrency and --rounds must be >= 1 and --latency-ms >= 0")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    # Loopback only: never route through a proxy, and never send a real key to the fake server.
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    os.environ["no_proxy"] = os.environ["NO_PROXY"]
    os.environ.pop("OPENAI_API_KEY", None)
    try:
        asyncio.run(asyncio.wait_for(main(arguments), timeout=arguments.deadline_s))
    except TimeoutError:
        sys.exit(f"benchmark did not finish within {arguments.deadline_s:g}s")
