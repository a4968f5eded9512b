"""Batching wired through the experiment YAML, the runner, the dry run and --resume."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx2
import pytest

from tests.helpers.fake_batch import FakeBatchService
from oversight.cli.main import main
from oversight.config.experiment import validate_experiment
from oversight.models import pool as pool_module
from oversight.models.providers.anthropic import AnthropicProvider
from oversight.models.providers.openai import OpenAIProvider
from oversight.log.runfolder import RunFolder
from oversight.runs.runner import execute, open_run_folder, plan
from tests.runs.test_runner import lines, only_run, write_experiment

FAST = {"window_s": 0.01, "poll_s": 0.001, "poll_max_s": 0.004}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeBatchService:
    """Every openai:/anthropic: provider the CLI builds talks to one fake service."""
    service = FakeBatchService(answer=lambda body: str(2 * int(re.search(r"What is (\d+)", str(body)).group(1))))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    real = pool_module.provider_class

    def provider_class(name: str):  # type: ignore[no-untyped-def]
        if name not in ("openai", "anthropic"):
            return real(name)
        cls = OpenAIProvider if name == "openai" else AnthropicProvider
        return lambda spec: cls(spec, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(service)))

    monkeypatch.setattr(pool_module, "provider_class", provider_class)
    return service


def test_batch_true_runs_every_call_through_one_batch(tmp_path: Path, fake: FakeBatchService) -> None:
    exp = write_experiment(tmp_path, models={"answerer": "openai:gpt-4.1-mini"}, batch=True, batch_options=FAST,
                           concurrency=6)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run = only_run(tmp_path / "runs")
    transcripts = lines(run / "transcripts.jsonl")
    assert len(transcripts) == 6 and all(t["outcome"]["correct"] for t in transcripts)
    assert all(t["events"][0]["batched"] is True for t in transcripts)
    assert len(fake.created) == 1 and fake.normal_calls == []
    batches = lines(run / "batches.jsonl")
    assert batches[0]["event"] == "submitted" and batches[0]["model"] == "openai:gpt-4.1-mini"
    assert len(batches[0]["requests"]) == 6 and all(len(r["key"]) == 64 for r in batches[0]["requests"])


def test_batch_per_role_batches_only_the_named_role(tmp_path: Path, fake: FakeBatchService) -> None:
    exp = write_experiment(tmp_path, models={"answerer": "anthropic:claude-sonnet-4-5", "judge": "scripted:echo"},
                           params={"with_judge": True}, batch={"default": False, "answerer": True},
                           batch_options=FAST, concurrency=6)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert len(fake.created) == 1 and len(fake.batched_requests()) == 6


def test_dry_run_prices_batched_roles_at_half(tmp_path: Path, fake: FakeBatchService, capsys) -> None:  # type: ignore[no-untyped-def]
    def dry(batch: bool) -> str:
        exp = write_experiment(tmp_path, models={"answerer": "openai:gpt-4.1"}, batch=batch)
        assert main(["run", str(exp), "--dry-run"]) == 0
        return capsys.readouterr().out

    plain, batched = dry(False), dry(True)
    cost = lambda out: float(next(w for w in out.split() if w.count(".") == 1 and w[0] == "0"))  # noqa: E731
    assert "(batch)" in batched and "(batch)" not in plain
    assert cost(batched) == pytest.approx(cost(plain) / 2, rel=1e-3) and cost(plain) > 0
    assert fake.created == [] and fake.normal_calls == []


@pytest.mark.parametrize(("overrides", "message"), [
    ({"models": {"answerer": "scripted:echo"}, "batch": True}, "models.answerer: scripted:echo has no Batch API"),
    ({"models": {"answerer": "openai:gpt-4.1-mini"}, "batch": {"answerr": True}}, "batch.answerr: no such role"),
    ({"models": {"answerer": "openai:gpt-4.1-mini"}, "batch": True, "cache": False}, "batching needs cache: true"),
    ({"batch_options": {"window": 1}}, "batch_options.window: unknown field"),
])
def test_bad_batch_settings_are_one_line_errors(tmp_path: Path, fake: FakeBatchService, capsys,  # type: ignore[no-untyped-def]
                                                overrides: dict, message: str) -> None:
    exp = write_experiment(tmp_path, **overrides)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split()) and "Traceback" not in err


def test_resume_collects_the_interrupted_batch_and_submits_nothing_new(tmp_path: Path, fake: FakeBatchService) -> None:
    fake.polls_to_end = 10_000  # the provider is slow: the run is interrupted while polling
    path = write_experiment(tmp_path, models={"answerer": "openai:gpt-4.1-mini"}, batch=True, batch_options=FAST,
                            concurrency=6)
    from oversight.config.experiment import read_yaml

    p = plan(validate_experiment(read_yaml(path), str(path)), source=str(path), base_dir=tmp_path)
    folder = open_run_folder(p, runs_dir=tmp_path / "runs", sweep_point={})

    async def interrupted() -> None:
        task = asyncio.ensure_future(execute(p, folder=folder))
        while not fake.retrieves:
            await asyncio.sleep(0.001)
        task.cancel()  # what Ctrl-C does to the run
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    assert lines(folder.path / "transcripts.jsonl") == [] and len(fake.created) == 1
    fake.polls_to_end = 0  # the batch finished while we were away
    assert main(["run", "--resume", str(folder.path)]) == 0
    transcripts = RunFolder.open(folder.path).transcripts()
    assert len(transcripts) == 6 and all(t["outcome"]["correct"] for t in transcripts)
    assert len(fake.created) == 1 and fake.normal_calls == []  # collected, not paid again
    events = [line["event"] for line in lines(folder.path / "batches.jsonl")]
    assert events == ["submitted", "collected"]
    metrics = json.loads((folder.path / "metrics.json").read_text())
    assert metrics["run"]["units_finished"] == 6
