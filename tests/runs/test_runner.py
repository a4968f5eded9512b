"""The runner end to end through the CLI, with a test-only protocol and scripted models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from oversight.cli.main import main
from oversight.config.experiment import validate_experiment
from oversight.runs.dryrun import run_estimate
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.runs.runner import plan


ITEMS = [{"id": f"q{i}", "question": f"What is {i} plus {i}?", "answer": str(2 * i)} for i in range(6)]


def arithmetic(messages) -> str:  # type: ignore[no-untyped-def]
    text = messages[-1].content
    n = int(text.split("What is ")[1].split(" plus")[0])
    return str(2 * n)


def write_experiment(tmp_path: Path, **overrides) -> Path:  # type: ignore[no-untyped-def]
    (tmp_path / "items.jsonl").write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n")
    config = {
        "name": "qa-test",
        "protocol": "qa",
        "task": {"path": "items.jsonl"},
        "models": {"answerer": "scripted:math"},
        "concurrency": 2,
        "retry": {"max_attempts": 2, "base_delay_s": 0.0, "max_delay_s": 0.0},
    }
    config.update(overrides)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def only_run(runs: Path) -> Path:
    dirs = [d for d in runs.iterdir() if d.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_run_writes_the_run_folder_contract(tmp_path: Path) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run = only_run(tmp_path / "runs")
    assert run.name.endswith("-qa-test") and run.name[:8].isdigit()
    transcripts = lines(run / "transcripts.jsonl")
    assert sorted(t["id"] for t in transcripts) == sorted(f"q{i}:plain" for i in range(6))
    first = transcripts[0]
    assert first["schema"] == "oversight.transcript/1" and first["error"] is None
    event = first["events"][0]
    assert {"type", "role", "model", "content", "usage", "latency_s", "cached"} <= set(event)
    assert event["model"] == "scripted:math" and event["role"] == "answerer"
    judgments = lines(run / "judgments.jsonl")
    assert len(judgments) == 6 and all(j["schema"] == "oversight.judgment/1" for j in judgments)
    assert all(j["judge"] == {"kind": "model", "id": "exact-match"} for j in judgments)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["accuracy"] == 1.0 and metrics["run"]["units_finished"] == 6
    saved = yaml.safe_load((run / "experiment.yaml").read_text())
    assert saved["models"] == {"answerer": "scripted:math"}
    assert "pydantic" in saved["oversight_run"]["versions"]


def flaky(messages):  # type: ignore[no-untyped-def]
    """`arithmetic`, except item q3's call fails as an overloaded server does, every time."""
    if "What is 3 plus" in messages[-1].content:
        return ProviderError("HTTP 503 overloaded", retryable=True, status=503)
    return arithmetic(messages)


def test_failing_item_is_recorded_and_others_finish(tmp_path: Path) -> None:
    scripted.register("math", flaky)
    exp = write_experiment(tmp_path)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 1
    transcripts = {t["id"]: t for t in lines(only_run(tmp_path / "runs") / "transcripts.jsonl")}
    assert len(transcripts) == 6
    assert "503" in transcripts["q3:plain"]["error"] and "2 attempts" in transcripts["q3:plain"]["error"]
    assert transcripts["q3:plain"]["events"][-1]["type"] == "model_error"
    assert all(t["error"] is None for tid, t in transcripts.items() if tid != "q3:plain")
    run = only_run(tmp_path / "runs")
    assert sorted(j["transcript_id"] for j in lines(run / "judgments.jsonl")) == sorted(
        tid for tid in transcripts if tid != "q3:plain"
    )
    assert json.loads((run / "metrics.json").read_text())["run"]["units_failed"] == 1


def test_resume_after_interrupt_runs_each_item_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls = {"n": 0}

    def dies_on_fourth(messages):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return arithmetic(messages)

    scripted.register("math", dies_on_fourth)
    exp = write_experiment(tmp_path, concurrency=1)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 130
    run = only_run(tmp_path / "runs")
    assert f"oversight run --resume {run}" in capsys.readouterr().err
    before = [t["id"] for t in lines(run / "transcripts.jsonl")]
    assert len(before) == 3

    scripted.register("math", arithmetic)
    assert main(["run", "--resume", str(run)]) == 0
    after = [t["id"] for t in lines(run / "transcripts.jsonl")]
    assert after[:3] == before
    assert sorted(after) == sorted(f"q{i}:plain" for i in range(6))  # none twice, none lost
    assert len(scripted.CALLS["math"]) == 3  # only the unfinished items were called again
    assert json.loads((run / "metrics.json").read_text())["run"]["units_finished"] == 6


def test_torn_last_line_is_skipped_with_a_warning_and_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run = only_run(tmp_path / "runs")
    path = run / "transcripts.jsonl"
    records = lines(path)
    torn_id = records[-1]["id"]
    whole = "".join(json.dumps(r) + "\n" for r in records[:-1])
    path.write_text(whole + json.dumps(records[-1])[:57])  # a crash mid-write
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 0
    assert "torn last line" in capsys.readouterr().err
    after = lines(path)
    assert [r["id"] for r in after].count(torn_id) == 1 and len(after) == 6


def test_no_api_key_in_any_run_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 that echoes the key back in its error."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    secret = "sk-test-SECRET-0123456789abcdef"

    class EchoKey(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            key = self.headers.get("authorization", "").removeprefix("Bearer ")
            body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error"}})
            self.send_response(401)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoKey)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", secret)
        monkeypatch.setenv("OPENAI_API_KEY", secret)
        monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
        spec = f"openai:echo-key@http://127.0.0.1:{server.server_port}/v1"
        exp = write_experiment(tmp_path, models={"answerer": spec}, limit=2)
        assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 1
    finally:
        server.shutdown()
    run = only_run(tmp_path / "runs")
    errors = [t["error"] for t in lines(run / "transcripts.jsonl")]
    assert len(errors) == 2 and all("HTTP 401" in e and "***" in e for e in errors)
    for file in run.iterdir():
        assert secret not in file.read_text(), file.name


def test_prompt_override_reaches_the_model_and_the_transcript(tmp_path: Path) -> None:
    scripted.register("math", lambda messages: "4")
    (tmp_path / "mine.txt").write_text("Think hard. Q: {question}\nA:")
    exp = write_experiment(tmp_path, prompts={"answer": "mine.txt"}, limit=1)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    sent = scripted.CALLS["math"][0]
    assert [m.content for m in sent] == ["Think hard. Q: What is 0 plus 0?\nA:"]
    event = lines(only_run(tmp_path / "runs") / "transcripts.jsonl")[0]["events"][0]
    assert event["input"] == [{"role": "user", "content": "Think hard. Q: What is 0 plus 0?\nA:"}]


def test_shipped_prompt_sections_become_chat_messages(tmp_path: Path) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, limit=1)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert [m.role for m in scripted.CALLS["math"][0]] == ["system", "user"]


def test_sweep_2x2_gives_four_run_folders(tmp_path: Path) -> None:
    scripted.register("math", arithmetic)
    scripted.register("other", arithmetic)
    exp = write_experiment(
        tmp_path,
        limit=2,
        sweep={"params.conditions": [["plain"], ["plain", "hint"]], "models.answerer": ["scripted:math", "scripted:other"]},
    )
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    runs = sorted(d.name for d in (tmp_path / "runs").iterdir())
    assert len(runs) == 4
    assert any(r.endswith("qa-test-answerer=scripted_math-conditions=plain") for r in runs), runs
    counts = sorted(len(lines(tmp_path / "runs" / r / "transcripts.jsonl")) for r in runs)
    assert counts == [2, 2, 4, 4]
    assert main(["report", *[str(tmp_path / "runs" / r) for r in runs]]) == 0
    reported = [json.loads((tmp_path / "runs" / r / "metrics.json").read_text())["run"] for r in runs]
    assert sorted(m["units_planned"] for m in reported) == [2, 2, 4, 4]


def test_dry_run_calls_no_model_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path)
    assert main(["run", str(exp), "--dry-run", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "answerer" in out and "6" in out
    assert scripted.CALLS["math"] == []
    assert not (tmp_path / "runs").exists()


def test_dry_run_prices_known_models_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    exp_path = write_experiment(tmp_path, models={"answerer": "openai:gpt-4.1-mini"})
    exp = validate_experiment(yaml.safe_load(exp_path.read_text()), str(exp_path))
    [row] = run_estimate(plan(exp, source=str(exp_path), base_dir=tmp_path))
    assert row["role"] == "answerer" and row["calls"] == 6
    assert row["output tokens (max)"] == 6 * 512  # each call counted at its max_tokens
    expected = (row["input tokens (est.)"] * 0.4 + 6 * 512 * 1.6) / 1e6
    assert row["cost USD (max)"] == f"{expected:.4f}"


def test_cache_makes_a_rerun_free(tmp_path: Path) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert len(scripted.CALLS["math"]) == 6
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs2")]) == 0
    assert len(scripted.CALLS["math"]) == 6
    transcripts = lines(only_run(tmp_path / "runs2") / "transcripts.jsonl")
    assert all(t["events"][0]["cached"] and t["events"][0]["usage"]["output_tokens"] > 0 for t in transcripts)
    assert all(t["usage"]["input_tokens"] == 0 for t in transcripts)  # nothing spent this time
    metrics = json.loads((only_run(tmp_path / "runs2") / "metrics.json").read_text())
    assert metrics["run"]["usage"]["input_tokens"] == 0


def test_units_in_flight_never_exceed_concurrency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers.inflight import inflight_provider

    Slow, state = inflight_provider(arithmetic, delay=0.02)
    monkeypatch.setattr(scripted, "ScriptedProvider", Slow)
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, concurrency=2, max_connections=50)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert state["peak"] == 2
    assert len(lines(only_run(tmp_path / "runs") / "transcripts.jsonl")) == 6


def test_a_bad_sweep_point_stops_the_sweep_before_any_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, sweep={"models.answerer": ["scripted:math", "scripted:missing"]})
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "models.answerer: no script named 'missing'" in capsys.readouterr().err
    assert scripted.CALLS["math"] == [] and not (tmp_path / "runs").exists()


def test_resume_refuses_flags_that_would_change_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, limit=1)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run = only_run(tmp_path / "runs")
    capsys.readouterr()
    assert main(["run", "--resume", str(run), "--dry-run", "--limit", "3"]) == 2
    assert "drop --limit, --dry-run" in capsys.readouterr().err


def test_nan_in_metrics_is_written_as_null(tmp_path: Path) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, limit=1)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run = only_run(tmp_path / "runs")
    (run / "judgments.jsonl").write_text("")  # no verdicts: the test protocol's accuracy is NaN
    assert main(["report", str(run)]) == 0
    text = (run / "metrics.json").read_text()
    assert "NaN" not in text and json.loads(text)["accuracy"] is None


def test_judgments_of_a_crashed_attempt_are_not_counted_after_resume(tmp_path: Path) -> None:
    from oversight.log.runfolder import RunFolder

    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, limit=2)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run = only_run(tmp_path / "runs")
    # A crash between the judgment line and the transcript line of an earlier attempt leaves an
    # orphan with another attempt id; a later human judgment (no attempt) must be kept.
    with open(run / "judgments.jsonl", "a") as fh:
        fh.write(json.dumps({"schema": "oversight.judgment/1", "transcript_id": "q0:plain", "attempt": "stale",
                             "judge": {"kind": "model", "id": "exact-match"}, "correct": False}) + "\n")
        fh.write(json.dumps({"schema": "oversight.judgment/1", "transcript_id": "q1:plain", "attempt": None,
                             "judge": {"kind": "human", "id": "ann"}, "correct": True}) + "\n")
        fh.write(json.dumps({"schema": "oversight.judgment/1", "transcript_id": "q9:plain", "attempt": None,
                             "judge": {"kind": "human", "id": "ann"}, "correct": True}) + "\n")
    kept, left_out = RunFolder.open(run).judgments()
    assert sorted((j["transcript_id"], j["judge"]["kind"]) for j in kept) == [
        ("q0:plain", "model"), ("q1:plain", "human"), ("q1:plain", "model")]
    assert all(j.get("attempt") != "stale" for j in kept)
    assert left_out == {"unknown_transcript": 1, "stale_attempt": 1, "retracted": 0, "retried": 0}
    assert main(["report", str(run)]) == 0
    assert json.loads((run / "metrics.json").read_text())["run"]["judgments_left_out"] == left_out


def test_credentials_in_a_sweep_never_reach_the_run_folder(tmp_path: Path) -> None:
    from oversight.config.experiment import read_yaml, validate_experiment
    from oversight.runs.runner import open_run_folder, plan

    spec = "openai:m@http://alice:SECRETKEY@127.0.0.1:9/v1"
    path = write_experiment(tmp_path, models={"answerer": spec})
    p = plan(validate_experiment(read_yaml(path), str(path)), source=str(path), base_dir=tmp_path)
    folder = open_run_folder(p, runs_dir=tmp_path / "runs", sweep_point={"models.answerer": spec})
    text = (folder.path / "experiment.yaml").read_text()
    assert "SECRETKEY" not in text and "alice:***@127.0.0.1" in text


def test_an_out_folder_that_cannot_be_made_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path, limit=1)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    capsys.readouterr()
    (tmp_path / "taken").write_text("a file, not a folder")
    for argv in (["report", str(only_run(tmp_path / "runs")), "--out", str(tmp_path / "taken")],
                 ["export", str(only_run(tmp_path / "runs")), "--format", "csv", "--out", str(tmp_path / "taken")]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err and "--out" in err


def test_a_run_leaves_the_collector_as_it_found_it(tmp_path: Path) -> None:
    """During a run what existed is frozen and the young are collected less often; a process that
    runs many experiments (a sweep, a notebook) gets the collector back unchanged after each."""
    import gc

    during: list[tuple[int, int]] = []

    def answer(messages) -> str:  # type: ignore[no-untyped-def]
        during.append((gc.get_freeze_count(), gc.get_threshold()[0]))
        return arithmetic(messages)

    scripted.register("math", answer)
    before = (gc.get_freeze_count(), gc.get_threshold())
    assert main(["run", str(write_experiment(tmp_path)), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert len(during) == len(ITEMS)
    assert all(frozen > before[0] and young >= 10_000 for frozen, young in during)
    assert (gc.get_freeze_count(), gc.get_threshold()) == before


def test_per_call_settings_are_worked_out_once_per_distinct_request() -> None:
    from oversight.models.types import GenerateConfig
    from oversight.protocol.recorder import RunContext, settings_for

    generation = {"judge": GenerateConfig(max_tokens=50, stop=["X"]), "default": GenerateConfig(temperature=0.3)}
    ctx = RunContext(run_id="r", models={}, generation=generation, prompts=None, seed=0,  # type: ignore[arg-type]
                     put_text=lambda text: text)
    asks = [("judge", {"stop": ["Y"]}, {"max_tokens": 20}, {}), ("judge", None, {"max_tokens": 80}, {}),
            ("debater_a", {"max_tokens": 300}, None, {"logprobs": True}), ("debater_a", None, None, {})]
    for role, defaults, caps, overrides in asks:
        got = ctx.settings_for(role, defaults, caps, overrides)
        assert got == settings_for(generation, role, defaults, caps, overrides)
        assert ctx.settings_for(role, dict(defaults or {}) or None, caps, dict(overrides)) is got
    assert len({id(c) for c in ctx.settings.values()}) == len(asks) == len(ctx.settings)
    import numpy as np

    odd = {"temperature": np.float64(0.5)}  # orjson cannot write it: worked out each time, still right
    assert ctx.settings_for("judge", None, None, odd).temperature == 0.5
    assert len(ctx.settings) == len(asks)


async def test_overlapping_runs_restore_the_collector_once_both_end() -> None:
    import asyncio
    import gc

    from oversight.core.gctune import gc_frozen

    before = (gc.get_freeze_count(), gc.get_threshold())
    first_in, second_out = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        with gc_frozen():
            first_in.set()
            await second_out.wait()  # the second run ends while the first still runs
            assert gc.get_threshold()[0] >= 10_000

    async def second() -> None:
        await first_in.wait()
        with gc_frozen():
            pass
        second_out.set()

    await asyncio.gather(first(), second())
    assert (gc.get_freeze_count(), gc.get_threshold()) == before


def test_a_run_answered_by_the_cache_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero tokens after a run is a cache at work, and the run must say so (a newcomer sees 0 tok)."""
    monkeypatch.setenv("OVERSIGHT_REPLAY_UNITS", "0")  # every graph runs: the calls themselves hit the cache
    scripted.register("math", arithmetic)
    exp = write_experiment(tmp_path)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert "answered by the response cache" not in capsys.readouterr().out
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs2")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "6 of 6 model calls answered by the response cache (cache: true)" in out and "--set cache=false" in out
