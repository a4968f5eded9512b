"""How long does `oversight report` take on 100,000 transcripts, and how much memory?

Builds a synthetic debate run (items x 4 conditions, each transcript with model events carrying
~1.5 KB of speech and a stored story reference, each judged in both answer orders), then times
the report's metrics pass (streamed: events dropped per line) and the whole report with its
figures, and measures the metrics pass's peak Python memory with tracemalloc. `--compare` also
measures loading every transcript with its events (what reports did before), for contrast.

    .venv/bin/python benchmarks/report_100k.py [--transcripts 100000] [--dir /tmp/report_100k] [--compare]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402

from oversight.report.build import report, run_metrics  # noqa: E402
from oversight.log.runfolder import RunFolder  # noqa: E402

CONDITIONS = ("debate", "consultancy", "blind", "expert")
SPEECH = ("The keeper counted ships every night, and the log he kept shows <quote>forty ships</quote> "
          "passed in the storm, which only answer A explains. ") * 10


def build(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    path.mkdir(parents=True)
    story_ref = "sha256:00000000deadbeef"
    exp = {"name": "bench", "protocol": "debate", "task": {"path": "x.jsonl"},
           "models": {r: "scripted:x" for r in ("debater_a", "debater_b", "consultant", "judge")},
           "params": {"swap": True, "n_boot": 2000},
           "oversight_run": {"run_id": path.name, "units_planned": n, "sweep_point": {}}}
    (path / "experiment.yaml").write_text(json.dumps(exp), encoding="utf-8")
    (path / "texts.jsonl").write_text(json.dumps({"ref": story_ref, "text": "story " * 3000}) + "\n")
    with open(path / "transcripts.jsonl", "w") as ft, open(path / "judgments.jsonl", "w") as fj:
        for k in range(n):
            item, condition = f"q{k // 4}", CONDITIONS[k % 4]
            tid, ci = f"{item}:{condition}", (k // 4) % 2
            events = [{"type": "model", "role": role, "step": f"round {r}", "model": "scripted:x",
                       "input": [{"role": "user", "parts": ["Story: ", {"ref": story_ref}, " Argue."]}],
                       "content": SPEECH, "usage": {"input_tokens": 3000, "output_tokens": 300},
                       "latency_s": 1.0, "cached": False}
                      for r in (1, 2) for role in ("debater_a", "debater_b")] if condition == "debate" else []
            ft.write(json.dumps({
                "schema": "oversight.transcript/1", "run_id": path.name, "id": tid, "item_id": item,
                "protocol": "debate", "condition": condition, "events": events,
                "outcome": {"condition": condition, "question": "Q?", "answers": ["a", "b"], "correct_index": ci,
                            "story_ref": story_ref, "speeches": [{"text": SPEECH}] * (4 if events else 0)},
                "usage": {"input_tokens": 12000, "output_tokens": 1200},
                "usage_by_role": {"judge": {"input_tokens": 400, "output_tokens": 2}},
                "error": "HTTP 500" if rng.random() < 0.002 else None, "attempt": "a1",
                "created_at": "2026-11-30T12:00:00+00:00"}) + "\n")
            for order in ("original", "swapped"):
                p_a = rng.random()
                invalid = rng.random() < 0.01
                chose = None if invalid else int(p_a < 0.5)
                fj.write(json.dumps({
                    "schema": "oversight.judgment/1", "transcript_id": tid,
                    "judge": {"kind": "model", "id": "logprob:scripted:x"}, "condition": condition, "order": order,
                    "shown_order": [0, 1] if order == "original" else [1, 0], "answer_index": chose,
                    "correct": None if invalid else chose == ci, "invalid": invalid,
                    "p_correct": None if invalid else (p_a if ci == 0 else 1 - p_a), "raw": " A", "attempt": "a1",
                    "created_at": "2026-11-30T12:00:00+00:00"}) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transcripts", type=int, default=100_000)
    ap.add_argument("--dir", default="/tmp/report_100k")
    ap.add_argument("--compare", action="store_true", help="also load every transcript with its events")
    args = ap.parse_args()
    path = Path(args.dir) / f"20261130T120000Z-bench-{args.transcripts}"
    if not path.exists():
        t0 = time.perf_counter()
        build(path, args.transcripts)
        print(f"built {args.transcripts} transcripts in {time.perf_counter() - t0:.1f} s")
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    print(f"run folder: {path} ({size / 1e6:.0f} MB)")
    folder = RunFolder.open(path)

    t0 = time.perf_counter()
    metrics = run_metrics(folder)
    print(f"metrics pass (streamed): {time.perf_counter() - t0:.1f} s, "
          f"{metrics['run']['units_finished']} transcripts, {metrics['run']['judgments']} judgments")

    tracemalloc.start()
    run_metrics(folder)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"metrics pass peak Python memory: {peak / 1e6:.0f} MB (tracemalloc)")

    t0 = time.perf_counter()
    report([path], Console(file=io.StringIO(), width=80))
    print(f"whole report (metrics.json, tables, figures): {time.perf_counter() - t0:.1f} s")

    if args.compare:
        tracemalloc.start()
        t0 = time.perf_counter()
        full = folder.transcripts()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"for contrast, every transcript with its events: {len(full)} in {time.perf_counter() - t0:.1f} s, "
              f"peak {peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
