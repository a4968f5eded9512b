"""The math debate end to end on the real GSM8K file, with scripted models (fast, offline).

    PYTHONPATH=$PWD python benchmarks/gsm8k_debate.py [N]

`protocols/debate_math.yaml` with its task pointed at /work/shared/data/gsm8k_expanded.json
(format `solib-math`, `passage: none`), the first N items (default 100). Scripted debaters
argue from the worked argument they are given; the scripted judge checks every `a op b = c`
step of each side's speeches and sides with the speaker whose steps hold up (an arithmetic
checker: it shows the pipeline carries the evidence to the judge, not how a model judges).
Prints records read, items skipped (equal numbers), transcripts, accuracy per condition and
the wall time. Never run on the local model: that takes hours for this many items.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oversight.core import safe_paths  # noqa: E402
from oversight.config.experiment import read_yaml, validate_experiment  # noqa: E402
from oversight.config.overrides import apply_overrides  # noqa: E402
from oversight.config.tasks import read_json_records  # noqa: E402
from oversight.models.providers import scripted  # noqa: E402
from oversight.models.types import Message  # noqa: E402
from oversight.protocols.debate.closed import solib_math_records  # noqa: E402
from oversight.runs.runner import execute, open_run_folder, plan  # noqa: E402

GSM8K = Path(os.environ.get("OVERSIGHT_GSM8K", "/work/shared/data/gsm8k_expanded.json"))
ROLES = ("debater_a", "debater_b", "consultant", "judge")
STEP = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×])\s*(-?\d+(?:\.\d+)?)\s*=\s*\$?(-?\d+(?:\.\d+)?)")
TURN = re.compile(r"^(Debater [AB]|Consultant) \(round \d+\):$")


def debater(messages: list[Message]) -> str:
    """The worked argument the speaker was given, as its speech."""
    prompt = messages[-1].content
    mine = re.search(r"^Your answer: (.+)$", prompt, re.MULTILINE)
    proof = prompt.split("which you may use:\n", 1)[-1].split("\n\nYou are", 1)[0]
    steps = " ".join(line.strip() for line in proof.splitlines()[1:] if line.strip() and not line.startswith("####"))
    return f"My answer is {mine.group(1) if mine else '?'}. {steps}"


def _holds(a: str, op: str, b: str, c: str) -> bool:
    x, y, z = float(a), float(b), float(c)
    value = {"+": x + y, "-": x - y, "*": x * y, "x": x * y, "×": x * y, "/": x / y if y else float("nan")}[op]
    return abs(value - z) <= 0.01 * max(1.0, abs(z))


def judge(messages: list[Message]) -> str:
    """Side with the speaker whose arithmetic holds up; 50% when it cannot tell."""
    prompt = messages[-1].content
    score: dict[str, int] = {}
    who = None
    for line in prompt.splitlines():
        turn = TURN.match(line.strip())
        if turn:
            who = turn.group(1)
            continue
        if who and line.startswith("│"):
            for a, op, b, c in STEP.findall(line):
                score[who] = score.get(who, 0) + (1 if _holds(a, op, b, c) else -2)
    if "Consultant" in score:
        letter = re.search(r"argues for answer ([AB])", prompt)
        mine = letter.group(1) if letter else "A"
        pick = mine if score["Consultant"] > 0 else "B" if mine == "A" else "A"
        return f"{pick}, 65%"
    a, b = score.get("Debater A", 0), score.get("Debater B", 0)
    if a == b:
        return "A, 50%"
    return f"{'A' if a > b else 'B'}, 80%"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = read_json_records(GSM8K)
        _, skipped = solib_math_records(records, str(GSM8K))
    print(f"{GSM8K}: {len(records)} records, {len(skipped)} skipped (both answers the same number), "
          f"{len(records) - len(skipped)} debatable")
    scripted.register("gsm8k-debater", debater)
    scripted.register("gsm8k-judge", judge)
    path = ROOT / "protocols" / "debate_math.yaml"
    data = apply_overrides(read_yaml(path), [f"task={{path: {GSM8K}, format: solib-math}}", f"limit={n}",
                                             "params.judge_kind=model", "cache=false", "concurrency=16"],
                           [f"{r}=scripted:gsm8k-{'judge' if r == 'judge' else 'debater'}" for r in ROLES], None)
    safe_paths.allow([GSM8K.parent])  # as --allow-path would
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = plan(validate_experiment(data, str(path)), source=str(path), base_dir=path.parent)
    with tempfile.TemporaryDirectory() as runs:
        folder = open_run_folder(p, runs_dir=Path(runs), sweep_point={})
        start = time.perf_counter()
        result = asyncio.run(execute(p, folder=folder, pool=None))
        wall = time.perf_counter() - start
        metrics = result.metrics
        failed = result.failed
    print(f"items {len(p.units) // len(p.params.conditions)}, transcripts {len(p.units)} ({failed} failed), "
          f"wall {wall:.1f} s")
    for row in metrics["table"]:
        print(f"  {row['condition']:<24} n {row.get('n')!s:>4}  acc {row.get('acc')}  95% CI {row.get('95% CI')}")


if __name__ == "__main__":
    main()
