"""The protocol contract, checked for every installed protocol through its shipped experiment
file (`protocols/<name>.yaml`): units, a scripted run end to end, a dry run, metrics on an
empty and a failed-only run, and judge views rebuilt from transcripts equal to what the
judge was sent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.harness import TEST_PROTOCOLS
from oversight.config.experiment import read_yaml, validate_experiment
from oversight.config.overrides import apply_overrides
from oversight.runs.dryrun import estimate
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.models.types import Completion, Message, TokenLogprob, TopLogprob, Usage
from oversight.protocol.prompts import PromptSet
from oversight.protocol.registry import protocol_names
from oversight.report.build import run_metrics
from oversight.log.runfolder import RunFolder
from oversight.runs.runner import execute, open_run_folder, plan

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN = [name for name in protocol_names() if name not in TEST_PROTOCOLS]

GENERIC = (
    "1. The answer gives the wrong year.\n2. It leaves out who retired.\n"
    "I side with Answer A. Final answer: A, 70%. Rating: 5. <quote>the</quote>"
)


def generic(messages: list[Message]) -> Completion:
    """One messy reply every role of every protocol can work with (lists, letters, ratings)."""
    return Completion(
        text=GENERIC, usage=Usage(input_tokens=10, output_tokens=10), finish_reason="stop",
        logprobs=[TokenLogprob(token=" A", logprob=-0.4, top=[TopLogprob(token=" A", logprob=-0.4),
                                                              TopLogprob(token=" B", logprob=-1.2)])],
    )


def scripted_plan(name: str, model: str, limit: int = 2) -> Any:
    path = ROOT / "protocols" / f"{name}.yaml"
    data = read_yaml(path)
    data = apply_overrides(data, ["cache=false", "retry.max_attempts=1", "retry.base_delay_s=0"], [], limit)
    data["models"] = {role: f"scripted:{model}" for role in data["models"]}
    return plan(validate_experiment(data, str(path)), source=str(path), base_dir=path.parent)


def test_every_protocol_ships_an_experiment_file() -> None:
    assert {"debate", "critique"} <= set(BUILT_IN)
    for name in BUILT_IN:
        assert (ROOT / "protocols" / f"{name}.yaml").is_file(), name


@pytest.mark.parametrize("name", BUILT_IN)
def test_units_are_unique_and_cover_the_items(name: str) -> None:
    scripted.register("generic", generic)
    p = scripted_plan(name, "generic")
    ids = [u.id for u in p.units]
    assert ids and len(ids) == len(set(ids))
    assert 1 <= len({u.item_id for u in p.units}) == p.n_items <= 2


@pytest.mark.parametrize("name", BUILT_IN)
def test_scripted_run_end_to_end_and_judge_views_rebuilt(name: str, tmp_path: Path) -> None:
    scripted.register("generic", generic)
    p = scripted_plan(name, "generic")
    folder = open_run_folder(p, runs_dir=tmp_path, sweep_point={})
    result = asyncio.run(execute(p, folder=folder))
    transcripts = folder.transcripts()
    assert result.failed == 0, [t["error"] for t in transcripts]
    assert sorted(t["id"] for t in transcripts) == sorted(u.id for u in p.units)
    for t in transcripts:
        assert t["schema"] == "oversight.transcript/1" and t["protocol"] == name and t["error"] is None
    json.loads((folder.path / "metrics.json").read_text())  # strict JSON
    reopened = RunFolder.open(folder.path)
    prompts = PromptSet(p.protocol.prompt_package, p.protocol.templates)
    rebuilt = 0
    for t in transcripts:
        sent = [reopened.model_input(e) for e in t["events"] if e["type"] == "model"]
        for view in p.protocol.judge_views(t, p.params, reopened):
            messages = [m.model_dump() for m in prompts.render(view.template, view.variables)]
            assert messages in sent, (t["id"], view.key)
            rebuilt += 1
    assert rebuilt > 0


@pytest.mark.parametrize("name", BUILT_IN)
def test_dry_run_counts_calls_without_calling(name: str) -> None:
    scripted.register("generic", generic)
    p = scripted_plan(name, "generic")
    rows = asyncio.run(estimate(p))
    assert rows and all(r["calls"] > 0 for r in rows)
    assert scripted.CALLS.get("generic", []) == []


@pytest.mark.parametrize("name", BUILT_IN)
def test_metrics_on_empty_and_failed_only_runs(name: str, tmp_path: Path) -> None:
    scripted.register("broken", [ProviderError("server said no", retryable=False)])
    p = scripted_plan(name, "broken")
    empty = open_run_folder(p, runs_dir=tmp_path / "empty", sweep_point={})
    metrics = run_metrics(empty)
    assert metrics["run"]["units_finished"] == 0
    json.dumps(metrics, allow_nan=False)
    failed = open_run_folder(p, runs_dir=tmp_path / "failed", sweep_point={})
    result = asyncio.run(execute(p, folder=failed))
    assert result.failed == len(p.units)
    assert all("server said no" in t["error"] for t in failed.transcripts())
    assert result.metrics["run"]["units_failed"] == len(p.units)
    json.dumps(result.metrics, allow_nan=False)
