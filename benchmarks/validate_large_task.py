"""How long does `oversight validate` take on a large task file?

Writes a debate task of N records (default 200,000; short stories, two answers each) and an
experiment pointing at it into a temporary folder, then times `oversight validate` in a
subprocess and reports its wall time and peak memory. Loading was quadratic once (the
duplicate-id check); the goal is seconds, with memory a small multiple of the file.

    .venv/bin/python benchmarks/validate_large_task.py [--n 200000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STORY = ("The lighthouse keeper counted the ships each night and wrote their names in a ledger. " * 4).strip()


def write_task(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({
                "id": f"item-{i}", "title": f"Story {i % 97}", "story": STORY,
                "question": f"How many ships did the keeper count on night {i}?",
                "answers": [f"{i % 13} ships", f"{i % 13 + 1} ships"], "correct_index": i % 2,
            }) + "\n")


def write_experiment(folder: Path, task: Path) -> Path:
    exp = folder / "large.yaml"
    exp.write_text(
        "name: large-validate\nprotocol: debate\n"
        f"task: {{path: {task.name}}}\n"
        "models: {debater_a: 'scripted:echo', debater_b: 'scripted:echo', consultant: 'scripted:echo', "
        "judge: 'scripted:echo'}\n"
        "params: {conditions: [debate, consultancy, blind, expert], judge_kind: model}\n"
    )
    return exp


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="oversight-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    task = folder / "large_task.jsonl"
    started = time.perf_counter()
    write_task(task, args.n)
    print(f"wrote {args.n:,} records ({task.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")
    exp = write_experiment(folder, task)
    oversight = Path(sys.executable).parent / "oversight"
    started = time.perf_counter()
    done = subprocess.run([str(oversight), "validate", str(exp)], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print((done.stdout + done.stderr).strip())
    # CPU time is what to compare on a shared machine; wall time grows with the load.
    print(f"validate: {elapsed:.1f}s wall, {usage.ru_utime + usage.ru_stime:.1f}s CPU, "
          f"peak memory {usage.ru_maxrss / 1024:.0f} MB, exit {done.returncode}")
    if args.keep is None:
        for path in (task, exp):
            path.unlink()
        folder.rmdir()
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
