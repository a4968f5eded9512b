"""The whole `oversight run` command, as a user runs it, against a raw replay of its requests.

A fake OpenAI-compatible server runs in its own process (fixed latency per request, records
every body). Each repeat: `oversight run` on the QuALITY debate as a subprocess, timed from
spawn to exit, minus a bare interpreter's start-up (`python -c pass`, measured alongside);
then, in another subprocess, a plain asyncio loop with the openai SDK replays exactly the
bodies that run sent, at the same concurrency, timed inside its own loop (the strict ratio) and
as a whole process minus start-up, like ours (its SDK import and warm-up then count too). Everything the
command does besides waiting for the server counts against it: reading the task, planning,
metrics, the final table, figures. Goal: median <= 1.15x.

    .venv/bin/python benchmarks/cli_replay.py [--items 100] [--latency-ms 100] [--connections 50] [--repeat 3] [--profile F]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
QUALITY = Path(os.environ.get("OVERSIGHT_QUALITY", "/work/shared/data/quality_debate.jsonl"))
ROLES = ("debater_a", "debater_b", "consultant", "judge")

SERVER = """
import asyncio, sys
sys.path.insert(0, {bench!r})
from model_layer_overhead import FakeServer

async def main():
    server = FakeServer({latency}, record=True)
    port = await server.start()
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if line.strip() != "-":  # "-": forget what came so far (the replay's own requests)
            with open(line.strip(), "wb") as fh:  # the bodies so far, one JSON per line; then forget them
                fh.write(b"\\n".join(server.bodies))
        server.bodies.clear()
        print("ok", flush=True)
    await server.stop()

asyncio.run(main())
"""

REPLAY = """
import asyncio, json, sys, time
import openai

async def main(url, path, connections):
    bodies = [json.loads(line) for line in open(path, "rb").read().split(b"\\n") if line]
    client = openai.AsyncOpenAI(base_url=url, api_key="not-needed", max_retries=0)
    gate = asyncio.Semaphore(connections)
    async def one(body):
        async with gate:
            reply = await client.chat.completions.create(**body)
            assert reply.choices[0].message.content is not None
    await asyncio.gather(*(one({"model": "fake", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5})
                           for _ in range(connections)))  # warm: connections open, imports done
    start = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    print(time.perf_counter() - start, len(bodies))
    await client.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def clean_env() -> dict[str, str]:
    """Loopback never through a proxy; no real key ever reaches the fake server."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL")}
    env["NO_PROXY"] = env["no_proxy"] = ",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    return env


def experiment(folder: Path, url: str, items: int, connections: int, units: int) -> Path:
    data = yaml.safe_load((ROOT / "protocols" / "debate.yaml").read_text())
    data.update(task={"path": str(QUALITY), "format": "quality"}, limit=items, concurrency=units,
                max_connections=connections, cache=False)
    data["params"]["judge_kind"] = "model"  # the fake server sends no logprobs
    data["models"] = {role: f"openai:fake@{url}" for role in ROLES}
    path = folder / "debate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


CPU = [0.0]
"""The CPU seconds (user + system) of the last command timed: steadier than wall time on a
loaded machine, where other processes stretch every wait."""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return took, done.stdout


def main(args: argparse.Namespace) -> None:
    env = clean_env()
    work = Path(tempfile.mkdtemp(prefix="oversight-cli-bench-"))
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(bench=str(BENCH), latency=args.latency_ms / 1000)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert server.stdout is not None and server.stdin is not None
    url = f"http://127.0.0.1:{server.stdout.readline().strip()}/v1"
    exp = experiment(work, url, args.items, args.connections, args.units_in_flight)
    oversight = str(Path(sys.executable).with_name("oversight"))
    rows = []
    cpu: list[tuple[float, float]] = []
    try:
        for rep in range(args.repeat):
            server.stdin.write("-\n")  # only this repeat's run is replayed, not the last replay's requests
            server.stdin.flush()
            assert server.stdout.readline().strip() == "ok"
            bare, _ = timed([sys.executable, "-c", "pass"], env)
            bare_cpu = CPU[0]
            prefix = [sys.executable, "-m", "cProfile", "-o", args.profile, "-m", "oversight"] if args.profile else [oversight]
            ours, _ = timed([*prefix, "run", str(exp), "--runs-dir", str(work / f"runs-{rep}"),
                             "--allow-path", str(QUALITY.parent)], env)
            ours_cpu = CPU[0] - bare_cpu
            bodies = work / f"bodies-{rep}.jsonl"
            server.stdin.write(f"{bodies}\n")
            server.stdin.flush()
            assert server.stdout.readline().strip() == "ok"
            whole, out = timed([sys.executable, "-c", REPLAY, url, str(bodies), str(args.connections)], env)
            raw, n = float(out.split()[0]), int(out.split()[1])
            rows.append((ours - bare, raw, n, whole - bare))
            cpu.append((ours_cpu, CPU[0] - bare_cpu))
            print(f"repeat {rep + 1}: oversight run {ours:.2f}s - start-up {bare:.2f}s = {ours - bare:.2f}s; "
                  f"raw replay of the same {n} bodies {raw:.2f}s in its loop ({(ours - bare) / raw:.2f}x), "
                  f"{whole - bare:.2f}s as a process ({(ours - bare) / (whole - bare):.2f}x); CPU {cpu[-1][0]:.2f}s "
                  f"against the replay process's {cpu[-1][1]:.2f}s", flush=True)
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    ratios = [o / r for o, r, _, _ in rows]
    process = [o / w for o, _, _, w in rows]
    print(f"debate, {args.items} QuALITY items, {args.latency_ms:g} ms latency, {args.connections} connections: "
          f"median {statistics.median(ratios):.2f}x against the replay's loop alone (goal <= 1.15x), "
          f"{statistics.median(process):.2f}x against the replay as a process (its SDK import and connection "
          f"warm-up included, as ours are); runs in {work}")
    print(f"CPU seconds beyond start-up, median: oversight run {statistics.median(c for c, _ in cpu):.2f}s, "
          f"the replay process {statistics.median(r for _, r in cpu):.2f}s")
    print(json.dumps({"ratios": [round(r, 3) for r in ratios], "process_ratios": [round(r, 3) for r in process],
                      "cpu_s": [[round(c, 2), round(r, 2)] for c, r in cpu]}))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--units-in-flight", type=int, default=400, help="the experiment's concurrency")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="run the command under cProfile, writing FILE")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
