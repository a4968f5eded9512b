"""A batched run SIGKILLed at each moment of collecting a batch never pays for it twice.

The fake Batch API is served over HTTP from this process, so the batch a killed child
submitted is still there for the child that resumes; every request either child made is
counted on the service.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.fake_batch import FakeBatchService, serve_http
from oversight.core import atomic
from oversight.cli.main import main
from tests.runs.test_batch_run import FAST, fake  # noqa: F401  (fixture)
from tests.runs.test_runner import lines, only_run, write_experiment

CHILD = Path(__file__).resolve().parents[1] / "helpers" / "batch_crash_child.py"
SPECS = {"openai": "openai:gpt-4.1-mini", "anthropic": "anthropic:claude-sonnet-4-5"}


def doubling(body: dict) -> str:  # type: ignore[type-arg]
    return str(2 * int(re.search(r"What is (\d+)", str(body)).group(1)))  # type: ignore[union-attr]


def child(tmp_path: Path, url: str, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test",
           "OPENAI_BASE_URL": f"{url}/v1", "ANTHROPIC_BASE_URL": url,
           "OVERSIGHT_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200",
           }
    env.pop("KILL_AT", None)
    if kill_at:
        env["KILL_AT"] = kill_at
    return subprocess.run([sys.executable, str(CHILD), *args], cwd=tmp_path, env=env, text=True,
                          capture_output=True, timeout=180)


@pytest.mark.parametrize(("provider", "kill_at"), [("openai", "after_collected"), ("openai", "before_collected"),
                                                   ("anthropic", "after_collected")])
def test_killed_at_collection_resumes_without_paying_again(tmp_path: Path, provider: str, kill_at: str) -> None:
    service = FakeBatchService(polls_to_end=1, answer=doubling)
    exp = write_experiment(tmp_path, models={"answerer": SPECS[provider]}, batch=True, batch_options=FAST,
                           concurrency=6)
    with serve_http(service) as url:
        killed = child(tmp_path, url, "run", str(exp), "--runs-dir", "runs", kill_at=kill_at)
        assert killed.returncode == -9, killed.stderr
        run = only_run(tmp_path / "runs")
        events = [line["event"] for line in lines(run / "batches.jsonl")]
        assert events == (["submitted", "collected"] if kill_at == "after_collected" else ["submitted"])
        assert lines(run / "transcripts.jsonl") == []  # died before any unit finished
        assert len(service.created) == 1 and len(service.batched_requests()) == 6
        resumed = child(tmp_path, url, "run", "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    # Nothing paid again: no second batch and no normal call.
    assert len(service.created) == 1 and service.normal_calls == []
    transcripts = lines(run / "transcripts.jsonl")
    assert len(transcripts) == 6 and all(t["outcome"]["correct"] for t in transcripts)
    assert all(t["events"][0]["cached"] for t in transcripts)  # read back from the cache
    assert [line["event"] for line in lines(run / "batches.jsonl")] == ["submitted", "collected"]


def test_batch_results_that_cannot_be_stored_leave_the_batch_to_collect_again(
        tmp_path: Path, fake: FakeBatchService, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    exp = write_experiment(tmp_path, models={"answerer": "openai:gpt-4.1-mini"}, batch=True, batch_options=FAST,
                           concurrency=6)
    real = atomic.write_atomic
    cache = os.environ["OVERSIGHT_CACHE_DIR"]

    def full_cache(path: Path, data: bytes, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if str(path).startswith(cache):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data, **kwargs)

    monkeypatch.setattr("oversight.models.cache.write_atomic", full_cache)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0  # the answers are still used
    run = only_run(tmp_path / "runs")
    err = capsys.readouterr().err
    assert "batch results could not be stored" in err and "Traceback" not in err
    assert [line["event"] for line in lines(run / "batches.jsonl")] == ["submitted"]  # never claimed collected
    monkeypatch.setattr("oversight.models.cache.write_atomic", real)
    # Had the run died before its units were written, a later session collects the same batch
    # into the cache instead of submitting its calls again.
    (run / "transcripts.jsonl").write_text("")
    (run / "judgments.jsonl").write_text("")
    assert main(["run", "--resume", str(run)]) == 0
    assert len(fake.created) == 1 and fake.normal_calls == []
    assert [line["event"] for line in lines(run / "batches.jsonl")] == ["submitted", "collected"]
    stored = list(Path(cache).rglob("*.json"))
    assert len(stored) == 6 and all(json.loads(p.read_text())["text"] for p in stored)
