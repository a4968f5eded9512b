"""Whitespace padding in a text to summarize: planned calls, time and memory of `--dry-run`.

Plans protocols/summarize.yaml (hierarchical, 450-token chunks, judge all) on the bundled story
alone, then followed by 200 kB and by 20 MB of spaces, and by a story with 1 MB of blank lines in
its middle. Each case runs `run --dry-run` in its own process (peak RSS is that process's own);
padding should plan the same calls as the story and cost time and memory linear in its length.

    .venv/bin/python benchmarks/chunking_whitespace.py [--timeout 300]
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

ROOT = Path(__file__).resolve().parents[1]
STORY = (ROOT / "tasks" / "the_tide_clock.txt").read_text(encoding="utf-8")
CASES = {
    "story": lambda: STORY,
    "story + 200 kB spaces": lambda: STORY + " " * 200_000,
    "story + 20 MB spaces": lambda: STORY + " " * 20_000_000,
    "1 MB blank lines mid-story": lambda: STORY[: len(STORY) // 2] + "\n" * 1_000_000 + STORY[len(STORY) // 2:],
}


def child(name: str, folder: Path) -> None:
    """One case in this process: print calls per role and the peak RSS as JSON."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from oversight.config.experiment import validate_experiment
    from oversight.runs.dryrun import run_estimate
    from oversight.runs.runner import plan

    text = folder / "text.txt"
    text.write_text(CASES[name](), encoding="utf-8")
    config = yaml.safe_load((ROOT / "protocols" / "summarize.yaml").read_text())
    config["task"] = {"path": str(text)}
    start = time.perf_counter()
    rows = run_estimate(plan(validate_experiment(config, "bench"), source="bench", base_dir=folder))
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"calls": {r["role"]: r["calls"] for r in rows}, "seconds": seconds, "rss_mb": rss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300.0, help="give up on a case after this many seconds")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        child(args.case, Path(args.folder))
        return
    print(f"{'case':<28} {'calls':>24} {'plan s':>8} {'peak RSS MB':>12}")
    for name in CASES:
        with tempfile.TemporaryDirectory() as folder:
            try:
                done = subprocess.run([sys.executable, __file__, "--case", name, "--folder", folder],
                                      capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                print(f"{name:<28} {'(gave up)':>24} {f'>{args.timeout:g}':>8}")
                continue
        if done.returncode != 0:
            print(f"{name:<28} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        calls = ", ".join(f"{role} {n}" for role, n in result["calls"].items())
        print(f"{name:<28} {calls:>24} {result['seconds']:>8.2f} {result['rss_mb']:>12}")


if __name__ == "__main__":
    main()
