"""Calls and wall time of recursive summarization against text length (10k to 200k words).

Starts the fixed-latency fake OpenAI-compatible server of `model_layer_overhead.py` on
127.0.0.1 (in a thread, 100 ms per request by default; each reply is a distinct short summary),
then runs `oversight run` with `protocol: summarize` on texts cut from the public-domain books
in ../shared/data/books (concatenated, repeated if a size needs more words than they hold).
Calls should grow linearly with length; with enough connections for a whole level, wall time
grows with the tree's depth, not with its length.

    .venv/bin/python benchmarks/summarize_scaling.py [--words 10000 25000 50000 100000 200000]
        [--latency-ms 100] [--chunk-tokens 2000] [--fan-in 5] [--strategy hierarchical]
    .venv/bin/python benchmarks/summarize_scaling.py --book ../shared/data/books/frankenstein.txt

Only loopback traffic; the response cache is off so every node is a real call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import model_layer_overhead as fake  # noqa: E402

from oversight.cli.main import main  # noqa: E402

BOOKS = HERE.parent.parent / "shared" / "data" / "books"


def distinct_replies() -> None:
    """Each reply a different short summary, so equal prompts never arise from equal children."""
    counter = iter(range(1, 10**9))
    plain = fake.reply_body

    def body(model: str) -> bytes:
        data = json.loads(plain(model))
        data["choices"][0]["message"]["content"] = f"Summary number {next(counter)} of what was read."
        return json.dumps(data).encode()

    fake.reply_body = body


class ServerThread:
    """The asyncio fake server on its own loop, so the CLI's asyncio.run can call it."""

    def __init__(self, latency_s: float) -> None:
        self.server = fake.FakeServer(latency_s)
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.port = self.loop.run_until_complete(self.server.start())
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def corpus() -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(BOOKS.glob("*.txt"))]
    if not texts:
        sys.exit(f"no books in {BOOKS}")
    return "\n\n".join(texts)


def first_words(text: str, n: int) -> str:
    """The first `n` words of `text` repeated as needed, whitespace kept."""
    words = text.split(" ")
    while len(" ".join(words).split()) < n:
        words += words
    out, count = [], 0
    for piece in words:
        out.append(piece)
        count += len(piece.split())
        if count >= n:
            break
    return " ".join(out)


def run_once(text: str, port: int, args: argparse.Namespace, tmp: Path, name: str) -> dict[str, object]:
    (tmp / f"{name}.jsonl").write_text(json.dumps({"id": name, "title": name, "text": text}) + "\n", encoding="utf-8")
    config = {
        "name": name, "protocol": "summarize", "task": {"path": f"{name}.jsonl"},
        "models": {"summarizer": f"openai:fake@http://127.0.0.1:{port}/v1", "judge": f"openai:fake@http://127.0.0.1:{port}/v1"},
        "params": {"strategies": [args.strategy], "chunk_tokens": args.chunk_tokens, "fan_in": args.fan_in,
                   "judge": args.judge, "coherence": args.judge != "none"},
        "cache": False, "concurrency": 1, "max_connections": args.connections,
    }
    exp = tmp / f"{name}.yaml"
    exp.write_text(yaml.safe_dump(config))
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["run", str(exp), "--runs-dir", str(tmp / "runs")])
    wall = time.perf_counter() - started
    if code != 0:
        sys.exit(f"run for {name} exited with {code}")
    run_dir = max((tmp / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    s = metrics["strategies"][args.strategy]
    return {"words": len(text.split()), "chunks": s["chunks"], "nodes": s["nodes"], "depth": s["depth"],
            "calls": s["calls"], "wall_s": round(wall, 2), "run": str(run_dir)}


def main_cli() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, nargs="+", default=[10_000, 25_000, 50_000, 100_000, 200_000])
    ap.add_argument("--book", type=Path, help="summarize this one text file instead of cut corpora")
    ap.add_argument("--latency-ms", type=float, default=100.0)
    ap.add_argument("--chunk-tokens", type=int, default=2000)
    ap.add_argument("--fan-in", type=int, default=5)
    ap.add_argument("--connections", type=int, default=256, help="max_connections: enough for a whole level")
    ap.add_argument("--strategy", choices=["hierarchical", "incremental"], default="hierarchical")
    ap.add_argument("--judge", choices=["all", "root", "none"], default="none")
    args = ap.parse_args()
    distinct_replies()
    rows = []
    with ServerThread(args.latency_ms / 1000) as server, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        run_once(first_words(corpus(), 2000), server.port, args, tmp, "warmup")  # imports, SDK client: not timed
        before = server.server.requests
        if args.book:
            rows.append(run_once(args.book.read_text(encoding="utf-8"), server.port, args, tmp, args.book.stem))
        else:
            text = corpus()
            for n in args.words:
                rows.append(run_once(first_words(text, n), server.port, args, tmp, f"w{n}"))
        requests = server.server.requests - before
    print(f"{args.strategy}, chunk {args.chunk_tokens} tokens, fan-in {args.fan_in}, judge {args.judge}, "
          f"{args.latency_ms:.0f} ms latency, {args.connections} connections")
    print(f"{'words':>8} {'chunks':>7} {'nodes':>6} {'depth':>6} {'calls':>6} {'wall s':>7} {'calls/1k words':>15}")
    for r in rows:
        print(f"{r['words']:>8} {r['chunks']:>7} {r['nodes']:>6} {r['depth']:>6} {r['calls']:>6} {r['wall_s']:>7} "
              f"{1000 * r['calls'] / r['words']:>15.2f}")  # type: ignore[operator]
    print(f"server answered {requests} requests")


if __name__ == "__main__":
    main_cli()
