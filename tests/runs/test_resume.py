"""Resume sends exactly the requests an uninterrupted run sends (issue 15, item 1)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.helpers.fakes.recording import critique_reply, record_requests
from oversight.cli.main import main
from oversight.models.providers import scripted

REPO = Path(__file__).resolve().parents[2]


def critique_experiment(tmp_path: Path) -> Path:
    shutil.copy(REPO / "tasks" / "critique_answers.jsonl", tmp_path / "items.jsonl")
    config = {
        "name": "critique-resume", "protocol": "critique", "task": {"path": "items.jsonl"},
        "models": {"critic": "scripted:crit", "meta_critic": "scripted:crit", "judge": "scripted:crit",
                   "grader": "scripted:crit"},
        # Only temperature is set: max_tokens and stop come from the protocol's per-call defaults,
        # which a resumed run must apply exactly as the first run did.
        "generation": {"default": {"temperature": 0.0}},
        "params": {"conditions": ["unassisted", "assisted"], "meta_depth": 1, "grader": "model", "n_boot": 100},
        "limit": 4, "seed": 3, "concurrency": 1, "cache": False,
        "retry": {"max_attempts": 1, "base_delay_s": 0.0, "max_delay_s": 0.0},
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def only_run(runs: Path) -> Path:
    [run] = [d for d in runs.iterdir() if d.is_dir()]
    return run


def test_killed_and_resumed_critique_run_sends_the_same_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = record_requests(monkeypatch)
    exp = critique_experiment(tmp_path)
    scripted.register("crit", critique_reply)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "full")]) == 0
    full = list(log)
    assert any('"stop": [' in r for r in full) and any('"max_tokens": 512' not in r for r in full)

    log.clear()
    calls = {"n": 0}

    def dies_midway(messages):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == len(full) // 2:
            raise KeyboardInterrupt
        return critique_reply(messages)

    scripted.register("crit", dies_midway)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "killed")]) == 130
    run = only_run(tmp_path / "killed")
    finished_before = {json.loads(line)["id"] for line in (run / "transcripts.jsonl").read_text().splitlines()}
    assert 0 < len(finished_before) < 8
    first_part = list(log)
    scripted.register("crit", critique_reply)
    assert main(["run", "--resume", str(run)]) == 0
    resumed_part = log[len(first_part):]

    # Every request of the full run was sent, byte for byte; the only extras are the repeated
    # requests of the one unit that was in flight when the run was killed.
    assert sorted(set(first_part + resumed_part)) == sorted(set(full))
    extra = Counter(first_part + resumed_part) - Counter(full)
    in_flight = Counter(first_part[-(sum(extra.values()) or 1):])
    assert extra <= in_flight
    # No finished unit was called again: the resume made exactly the calls the full run made
    # for the units that had not finished.
    calls_per_unit = {t["id"]: sum(e["type"] == "model" for e in t["events"])
                      for t in map(json.loads, (only_run(tmp_path / "full") / "transcripts.jsonl").read_text().splitlines())}
    assert len(resumed_part) == sum(n for uid, n in calls_per_unit.items() if uid not in finished_before)
    ids = [json.loads(line)["id"] for line in (run / "transcripts.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 8
