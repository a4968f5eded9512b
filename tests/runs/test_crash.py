"""`oversight run` processes killed, stopped and doubled against a fake server (issue 15, crash suite)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.fakes.llm_server import FakeLLM, serve

REPO = Path(__file__).resolve().parents[2]
OVERSIGHT = Path(sys.executable).parent / "oversight"


def experiment(tmp_path: Path, fake: FakeLLM) -> Path:
    shutil.copy(REPO / "tasks" / "critique_answers.jsonl", tmp_path / "items.jsonl")
    spec = f"openai:fake-gpt@{fake.openai_url}"
    config = {"name": "crash", "protocol": "critique", "task": {"path": "items.jsonl"},
              "models": {"critic": spec, "meta_critic": spec, "judge": spec},
              "generation": {"default": {"temperature": 0.0}},
              "params": {"grader": "lexical", "meta_depth": 1, "n_boot": 100},
              "limit": 5, "seed": 0, "concurrency": 2, "cache": False,
              "retry": {"max_attempts": 2, "base_delay_s": 0.001, "max_delay_s": 0.01}}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "OVERSIGHT_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_COMPATIBLE_API_KEY": "fake",
            "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}


def oversight(tmp_path: Path, *args: str, background: bool = False) -> subprocess.Popen[str]:
    """The command as a user starts it; `background`: as `cmd &` in a script or nohup starts it,
    with SIGINT ignored."""
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if background else None
    return subprocess.Popen([str(OVERSIGHT), *args], cwd=tmp_path, env=env(tmp_path), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=ignore)


def wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def transcripts(run: Path) -> list[dict[str, Any]]:
    out = []
    for line in (run / "transcripts.jsonl").read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # a line torn by the kill; resume cuts it
    return out


def full_run(tmp_path: Path) -> tuple[list[str], dict[str, int]]:
    """The requests of an uninterrupted run, and the model calls each unit makes."""
    folder = tmp_path / "full"
    folder.mkdir()
    with serve(FakeLLM()) as fake:
        proc = oversight(folder, "run", str(experiment(folder, fake)), "--runs-dir", "runs")
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    [run] = list((folder / "runs").iterdir())
    calls = {t["id"]: sum(e["type"] == "model" for e in t["events"]) for t in transcripts(run)}
    return list(fake.requests), calls


@pytest.mark.parametrize("kill_after", [3, 14])
def test_sigkill_then_resume_runs_every_unit_once_with_identical_requests(tmp_path: Path, kill_after: int) -> None:
    full, calls = full_run(tmp_path)
    assert len(full) > kill_after + 4
    with serve(FakeLLM(delay_s=0.03)) as fake:
        proc = oversight(tmp_path, "run", str(experiment(tmp_path, fake)), "--runs-dir", "runs")
        wait_for(lambda: len(fake.requests) >= kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        [run] = list((tmp_path / "runs").iterdir())
        finished = {t["id"] for t in transcripts(run)}
        before = len(fake.requests)
        resumed = oversight(tmp_path, "run", "--resume", str(run))
        out, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        # the lock of the killed process was taken over, with a message
        assert "taking over the writer lock" in err
    again = fake.requests[before:]
    ids = [t["id"] for t in transcripts(run)]
    assert sorted(ids) == sorted(calls) and len(ids) == len(set(ids))  # every unit exactly once
    assert len(again) == sum(n for uid, n in calls.items() if uid not in finished)  # no finished unit again
    assert set(fake.requests) == set(full)  # the same requests, byte for byte
    assert Counter(again) <= Counter(full)


@pytest.mark.parametrize("background", [False, True])
def test_sigterm_stops_like_ctrl_c_with_the_resume_hint(tmp_path: Path, background: bool) -> None:
    with serve(FakeLLM(delay_s=0.05)) as fake:
        proc = oversight(tmp_path, "run", str(experiment(tmp_path, fake)), "--runs-dir", "runs", background=background)
        wait_for(lambda: len(fake.requests) >= 3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    [run] = list((tmp_path / "runs").iterdir())
    assert proc.returncode == 130, err
    assert f"oversight run --resume runs/{run.name}" in err.replace("\n", "")
    for mess in ("Traceback", "never retrieved", "was destroyed but it is pending", "never awaited"):
        assert mess not in err, err
    assert not (run / "writer.lock").exists()  # released on the way out


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    with serve(FakeLLM(release=threading.Event())) as fake:
        first = oversight(tmp_path, "run", str(experiment(tmp_path, fake)), "--runs-dir", "runs")
        wait_for(lambda: len(fake.requests) >= 2)  # the first run is mid-way, held by the server
        [run] = list((tmp_path / "runs").iterdir())
        second = oversight(tmp_path, "run", "--resume", str(run))
        _, err = second.communicate(timeout=60)
        assert fake.release is not None
        fake.release.set()
        assert second.returncode == 2, err
        assert f"another process is writing this run folder (pid {first.pid} on" in err.replace("\n", "")
        assert first.wait(timeout=120) == 0
    ids = [t["id"] for t in transcripts(run)]
    assert len(ids) == len(set(ids)) == 10
