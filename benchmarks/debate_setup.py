"""What the scale benchmarks share: the QuALITY debate experiment, planned and run in-process.

`protocols/debate.yaml` with its task replaced by the first N QuALITY items of
/work/shared/data/quality_debate.jsonl (format `quality`), every role bound to one spec, and
the judge reading text (`judge_kind: model`), since fake servers send no logprobs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "helpers"))  # the fake batch service lives with the tests

from oversight.core import safe_paths  # noqa: E402
from oversight.config.experiment import read_yaml, validate_experiment  # noqa: E402
from oversight.config.overrides import apply_overrides  # noqa: E402
from oversight.models.pool import ModelPool  # noqa: E402
from oversight.log.runfolder import RunFolder  # noqa: E402
from oversight.runs.runner import Plan, RunResult, execute, open_run_folder, plan  # noqa: E402

QUALITY = Path(os.environ.get("OVERSIGHT_QUALITY", "/work/shared/data/quality_debate.jsonl"))
ROLES = ("debater_a", "debater_b", "consultant", "judge")


def loopback_only() -> None:
    """Never route loopback traffic through a proxy; never send a real key to a fake server."""
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    os.environ["no_proxy"] = os.environ["NO_PROXY"]
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(key, None)


def debate_plan(spec: str, items: int, *sets: str) -> Plan:
    """The debate experiment on `items` QuALITY stories, every role on `spec`."""
    path = ROOT / "protocols" / "debate.yaml"
    overrides = [f"task={{path: {QUALITY}, format: quality}}", f"limit={items}",
                 "params.judge_kind=model", *sets]
    data = apply_overrides(read_yaml(path), overrides, [f"{r}={spec}" for r in ROLES], None)
    safe_paths.allow([QUALITY.parent])  # the shared data folder, as --allow-path would
    return plan(validate_experiment(data, str(path)), source=str(path), base_dir=path.parent)


async def run_once(p: Plan, runs_dir: Path, pool: ModelPool | None = None) -> tuple[RunResult, float, RunFolder]:
    """Run the plan into a new folder; (result, wall seconds, folder)."""
    folder = open_run_folder(p, runs_dir=runs_dir, sweep_point={})
    start = time.perf_counter()
    result = await execute(p, folder=folder, pool=pool)
    return result, time.perf_counter() - start, folder


def model_calls(folder: RunFolder) -> tuple[int, int]:
    """(model events, of which answered by a provider: not cached, not coalesced)."""
    events = [e for t in folder.iter_transcripts() for e in t["events"] if e.get("type") == "model"]
    return len(events), sum(1 for e in events if not e.get("cached"))


def fmt(x: Any) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:.3f}"
