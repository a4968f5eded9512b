"""max_cost_usd: no unit starts once spend plus in-flight bounds reach it; --resume --set raises it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.models import Completion, GenerateConfig, Message, ModelPool, Usage
from oversight.models import pool as pool_module
from oversight.models.pricing import cost_bound
from oversight.models.providers import scripted
from oversight.models.providers.base import Provider
from oversight.models.providers.scripted import ScriptedProvider
from oversight.models.spec import parse_spec
from oversight.log.runfolder import RunFolder
from tests.runs.test_runner import lines, only_run, write_experiment

SPEC = "openai:gpt-4.1-mini"  # $0.40 per million input tokens
CALL_USD = 0.04  # each answer below reports 100,000 input tokens


def priced_answer(messages: list[Message]) -> Completion:
    n = int(re.search(r"What is (\d+)", messages[-1].content).group(1))  # type: ignore[union-attr]
    return Completion(text=str(2 * n), usage=Usage(input_tokens=100_000, output_tokens=0))


@pytest.fixture(autouse=True)
def _priced_scripted_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """`openai:gpt-4.1-mini` answered by a script, so it is priced like the real model."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    real = pool_module.provider_class
    monkeypatch.setattr(pool_module, "provider_class", lambda name: ScriptedProvider if name == "openai" else real(name))
    scripted.register("gpt-4.1-mini", priced_answer)


def run_cli(*args: str) -> int:
    return main(["run", *args])


def test_the_budget_stops_new_units_and_resume_with_a_new_budget_finishes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    exp = write_experiment(tmp_path, models={"answerer": SPEC}, concurrency=1, max_cost_usd=0.1)
    assert run_cli(str(exp), "--runs-dir", str(tmp_path / "runs")) == 1
    run = only_run(tmp_path / "runs")
    # 0.00, 0.04, 0.08 are under 0.1: three units start; after them 0.12 is not.
    assert len(lines(run / "transcripts.jsonl")) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "budget reached: $0.1200 spent" in err and "max_cost_usd $0.1" in err
    assert "3 units not started" in err and f"oversight run --resume {run} --set max_cost_usd=" in err

    # Earlier sessions' spend counts: 0.12 < 0.13 lets one more unit start, then it stops again.
    assert run_cli("--resume", str(run), "--set", "max_cost_usd=0.13") == 1
    assert len(lines(run / "transcripts.jsonl")) == 4
    assert "budget reached: $0.1600 spent" in " ".join(capsys.readouterr().err.split())

    assert run_cli("--resume", str(run), "--set", "max_cost_usd=1") == 0
    transcripts = RunFolder.open(run).transcripts()
    assert len(transcripts) == 6 and all(t["outcome"]["correct"] for t in transcripts)
    assert "stopped" not in capsys.readouterr().err


@pytest.mark.parametrize(("flag", "message"), [
    ("params.with_judge=true", "only max_cost_usd may change"),
    ("max_cost_usd=-1", "max_cost_usd: Input should be greater than 0"),
    ("max_cost_usd=lots", "max_cost_usd: Input should be a valid number"),
])
def test_resume_accepts_only_a_valid_budget(tmp_path: Path, capsys, flag: str, message: str) -> None:  # type: ignore[no-untyped-def]
    exp = write_experiment(tmp_path, models={"answerer": SPEC}, concurrency=1, max_cost_usd=0.05)
    assert run_cli(str(exp), "--runs-dir", str(tmp_path / "runs")) == 1
    run = only_run(tmp_path / "runs")
    capsys.readouterr()
    assert run_cli("--resume", str(run), "--set", flag) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err
    assert len(lines(run / "transcripts.jsonl")) == 2  # nothing ran


def test_an_api_model_without_a_price_cannot_have_a_budget(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scripted.register("gpt-99-unknown", priced_answer)
    exp = write_experiment(tmp_path, models={"answerer": "openai:gpt-99-unknown"}, max_cost_usd=1)
    assert run_cli(str(exp), "--runs-dir", str(tmp_path / "runs")) == 2
    assert "no known price for openai:gpt-99-unknown" in " ".join(capsys.readouterr().err.split())


class GatedProvider(Provider):
    """Answers only when the test opens the gate, so calls stay in flight meanwhile."""

    gate: asyncio.Event

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        await self.gate.wait()
        return Completion(text="B", usage=Usage(input_tokens=1000, output_tokens=10))


async def test_calls_in_flight_count_at_their_upper_bound() -> None:
    GatedProvider.gate = asyncio.Event()
    pool = ModelPool(cache=None, provider_factory=GatedProvider)
    model = pool.get(SPEC)
    prompt = "Which answer is right, A or B? " * 40
    config = GenerateConfig(max_tokens=2000)
    calls = [asyncio.ensure_future(model.generate(prompt, config)) for _ in range(3)]
    await asyncio.sleep(0)
    bound = cost_bound(parse_spec(SPEC), len(prompt), 2000)
    assert pool.meter.in_flight_calls == 3 and pool.meter.committed_usd == pytest.approx(3 * bound)
    GatedProvider.gate.set()
    await asyncio.gather(*calls)
    real = 3 * (1000 * 0.4 + 10 * 1.6) / 1e6
    assert pool.meter.in_flight_calls == 0 and pool.meter.committed_usd == pytest.approx(real)
    assert real < 3 * bound


async def test_concurrent_units_stop_on_in_flight_bounds(tmp_path: Path) -> None:
    """Two units in flight whose max_tokens bounds pass the budget keep a third from starting."""
    from oversight.config.experiment import read_yaml, validate_experiment
    from oversight.runs.runner import execute, open_run_folder, plan

    GatedProvider.gate = asyncio.Event()
    path = write_experiment(tmp_path, models={"answerer": SPEC}, concurrency=3, max_cost_usd=0.2,
                            generation={"default": {"max_tokens": 100_000}})  # bound ~$0.16 a call
    p = plan(validate_experiment(read_yaml(path), str(path)), source=str(path), base_dir=tmp_path)
    folder = open_run_folder(p, runs_dir=tmp_path / "runs", sweep_point={})
    pool = ModelPool(cache=None, provider_factory=GatedProvider)
    run = asyncio.ensure_future(execute(p, folder=folder, pool=pool))
    for _ in range(20):
        await asyncio.sleep(0)
    # The first unit's call is in flight ($0.16 bound); the second started before it was seen
    # at 0.16 < 0.2, and the third saw 0.32 >= 0.2 and did not start.
    assert pool.meter.in_flight_calls == 2
    GatedProvider.gate.set()
    result = await run
    assert result.ran == 2 and result.stopped and "max_cost_usd $0.2" in result.stopped
