"""Both protocols against a faulty fake OpenAI-compatible and Anthropic server (issue 15, "How it is checked")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.fakes.llm_server import FakeLLM, serve
from oversight.cli.main import main

REPO = Path(__file__).resolve().parents[2]
FAST_RETRY = {"max_attempts": 10, "base_delay_s": 0.001, "max_delay_s": 0.02}


def experiment(tmp_path: Path, protocol: str, fake: FakeLLM) -> Path:
    openai = f"openai:fake-gpt@{fake.openai_url}"
    anthropic = "anthropic:fake-claude"
    common: dict[str, Any] = {"limit": 2, "seed": 0, "concurrency": 4, "cache": False, "retry": FAST_RETRY,
                              "generation": {"default": {"timeout_s": 0.5, "temperature": 0.0}}}
    if protocol == "critique":
        shutil.copy(REPO / "tasks" / "critique_answers.jsonl", tmp_path / "items.jsonl")
        config = {"name": "faults-critique", "protocol": "critique", "task": {"path": "items.jsonl"},
                  "models": {"critic": anthropic, "judge": openai},
                  "params": {"grader": "lexical", "n_boot": 100}, **common}
    else:
        shutil.copy(REPO / "tasks" / "debate_stories.jsonl", tmp_path / "items.jsonl")
        config = {"name": "faults-debate", "protocol": "debate", "task": {"path": "items.jsonl"},
                  "models": {"debater_a": anthropic, "debater_b": anthropic, "judge": openai},
                  "params": {"conditions": ["debate", "blind"], "rounds": 1, "judge_kind": "model"}, **common}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_against(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str, fake: FakeLLM) -> list[dict[str, Any]]:
    with serve(fake):
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.anthropic_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake")
        code = main(["run", str(experiment(tmp_path, protocol, fake)), "--runs-dir", str(tmp_path / "runs")])
    [run] = list((tmp_path / "runs").iterdir())
    transcripts = [json.loads(line) for line in (run / "transcripts.jsonl").read_text().splitlines()]
    assert code == (1 if any(t["error"] for t in transcripts) else 0)
    assert len(transcripts) == len({t["id"] for t in transcripts}) == json.loads(
        (run / "metrics.json").read_text())["run"]["units_planned"]
    return transcripts


@pytest.mark.parametrize("protocol", ["critique", "debate"])
@pytest.mark.parametrize("fault", ["429", "500", "529", "hang", "drop", "malformed"])
def test_retryable_faults_lose_no_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str, fault: str) -> None:
    fake = FakeLLM(rate=0.3, faults=(fault,), seed=1, hang_s=1.5)
    transcripts = run_against(tmp_path, monkeypatch, protocol, fake)
    assert [t["error"] for t in transcripts if t["error"]] == []
    assert len(fake.requests) > len(fake.answered)  # faults really were injected


@pytest.mark.parametrize("protocol", ["critique", "debate"])
def test_mixed_faults_end_every_unit_done_or_failed_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str
) -> None:
    fake = FakeLLM(rate=0.4, faults=("429", "500", "529", "drop", "malformed"), seed=2)
    transcripts = run_against(tmp_path, monkeypatch, protocol, fake)
    for t in transcripts:
        assert t["error"] is None or (t["error"].strip() and "\n" not in t["error"] and len(t["error"]) < 600), t["error"]
    # Every fault kind, malformed bodies included, is a provider error: retried, never a protocol bug.
    assert [t["error"] for t in transcripts if t["error"]] == []
    assert list((tmp_path / "runs").glob("*/errors.log")) == []


@pytest.mark.parametrize("protocol", ["critique", "debate"])
def test_a_model_that_always_fails_fails_each_unit_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str
) -> None:
    fake = FakeLLM(rate=1.0, faults=("500",))
    transcripts = run_against(tmp_path, monkeypatch, protocol, fake)
    assert transcripts and all("500" in t["error"] and "\n" not in t["error"] for t in transcripts)
