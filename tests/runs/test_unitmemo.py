"""The unit replay memo: a re-run replays finished units and writes what a cache-hit run writes;
any change to what a unit depends on runs it again; a broken memo never breaks a run."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.harness import TEST_PROTOCOLS
from tests.helpers.qa_protocol import QAProtocol
from oversight.runs import unitmemo
from oversight.config.experiment import read_yaml, validate_experiment
from oversight.config.overrides import apply_overrides
from oversight.models.pricing import PriceBook
from oversight.models.providers import scripted
from oversight.core.errors import ModelCallError
from oversight.models.providers.base import ProviderError
from oversight.models.types import Completion, Message, TokenLogprob, TopLogprob, Usage
from oversight.protocol.registry import protocol_names
from oversight.log.runfolder import RunFolder
from oversight.runs.runner import RunObserver, RunResult, execute, open_run_folder, plan
from oversight.log.transcripts import Transcript

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN = [name for name in protocol_names() if name not in TEST_PROTOCOLS]
PER_EXECUTION = {"transcript": ("run_id", "attempt", "created_at"), "judgment": ("attempt", "created_at")}
"""The only fields a replay may write differently from a cache-hit run (module docstring)."""

REPLY = (
    "1. The answer gives the wrong year.\n2. It leaves out who retired.\n"
    "I side with Answer A. Final answer: A, 70%. Rating: 5. <quote>the</quote> Summary: the keeper counts gulls."
)


def generic(messages: list[Message]) -> Completion:
    """A messy reply every role of every protocol can use, with logprobs for a logprob judge."""
    return Completion(
        text=REPLY, usage=Usage(input_tokens=sum(len(m.content) for m in messages) // 4, output_tokens=30),
        finish_reason="stop",
        logprobs=[TokenLogprob(token=" A", logprob=-0.4, top=[TopLogprob(token=" A", logprob=-0.4),
                                                              TopLogprob(token=" B", logprob=-1.2)])],
    )


@pytest.fixture(autouse=True)
def _priced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give scripted calls a price, so the memo is checked on what a cache hit does to cost."""
    def with_cost(self: Any, spec: Any, usage: Usage, *, batch: bool = False) -> Usage:
        return usage.model_copy(update={"cost_usd": usage.input_tokens * 1e-6 + usage.output_tokens * 3e-6})

    monkeypatch.setattr(PriceBook, "with_cost", with_cost)
    scripted.register("generic", generic)


class Counting(RunObserver):
    def __init__(self) -> None:
        self.finished_units = 0
        self.steps = [0, 0]

    def unit_finished(self, transcript: Transcript, spent: Usage) -> None:
        self.finished_units += 1

    def sub_progress(self, advance: int, total: int) -> None:
        self.steps[0] += advance
        self.steps[1] += total


def shipped_plan(name: str, *sets: str, limit: int = 2) -> Any:
    """protocols/<name>.yaml with every role on scripted:generic and the cache on."""
    path = ROOT / "protocols" / f"{name}.yaml"
    extra = {"summarize": ["params.strategies=[hierarchical, incremental]"]}.get(name, [])
    data = apply_overrides(read_yaml(path), ["cache=true", "retry.max_attempts=1", "retry.base_delay_s=0",
                                             *extra, *sets], [], limit)
    data["models"] = {role: "scripted:generic" for role in data["models"]}
    return plan(validate_experiment(data, str(path)), source=str(path), base_dir=path.parent)


def graph_runs(monkeypatch: pytest.MonkeyPatch, p: Any) -> list[str]:
    """Unit ids whose graph ran (the protocol's own run_unit was entered)."""
    ran: list[str] = []
    original = type(p.protocol).run_unit

    async def counting(self: Any, unit: Any, params: Any, rec: Any) -> dict[str, Any]:
        ran.append(unit.id)
        return await original(self, unit, params, rec)

    monkeypatch.setattr(type(p.protocol), "run_unit", counting)
    return ran


def run(p: Any, runs: Path, observer: RunObserver | None = None) -> tuple[RunResult, RunFolder]:
    folder = open_run_folder(p, runs_dir=runs, sweep_point={})
    return asyncio.run(execute(p, folder=folder, observer=observer)), folder


def calls() -> int:
    return len(scripted.CALLS.get("generic", []))


def without(record: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in PER_EXECUTION[kind]}


def judgments_by_unit(folder: RunFolder) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for j in folder.iter_judgments():
        out.setdefault(j["transcript_id"], []).append(without(j, "judgment"))
    return out


@pytest.mark.parametrize("name", BUILT_IN)
def test_replay_writes_what_a_cache_hit_run_writes(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = shipped_plan(name, "params.judge_kind=model") if name == "debate" else shipped_plan(name)
    if name == "debate":
        assert set(p.params.conditions) == {"debate", "consultancy", "blind", "expert"}
    ran = graph_runs(monkeypatch, p)
    first, a = run(p, tmp_path / "a")
    assert first.failed == 0 and first.replayed == 0 and calls() > 0 and len(ran) == len(p.units)

    monkeypatch.setenv(unitmemo.ENV, "0")
    ran.clear()
    before, seen_b = calls(), Counting()
    cached, b = run(p, tmp_path / "b", seen_b)
    assert cached.replayed == 0 and len(ran) == len(p.units) and calls() == before  # graphs ran, all hits

    monkeypatch.delenv(unitmemo.ENV)
    ran.clear()
    seen_c = Counting()
    replayed, c = run(p, tmp_path / "c", seen_c)
    assert replayed.replayed == replayed.ran == len(p.units) and replayed.failed == 0
    assert ran == [] and calls() == before  # no graph ran, no model was called
    assert seen_c.finished_units == seen_b.finished_units == len(p.units) and seen_c.steps == seen_b.steps

    tb = {t["id"]: t for t in b.iter_transcripts()}
    tc = {t["id"]: t for t in c.iter_transcripts()}
    assert tb.keys() == tc.keys() == {u.id for u in p.units}
    for uid, t in tc.items():
        assert without(t, "transcript") == without(tb[uid], "transcript"), uid
        assert t["run_id"] == c.run_id and t["attempt"] != tb[uid]["attempt"]
        assert all(e["cached"] is True and e["latency_s"] == 0.0 for e in t["events"] if e["type"] == "model")
        model_b = [e for e in tb[uid]["events"] if e["type"] == "model"]
        model_c = [e for e in t["events"] if e["type"] == "model"]
        assert [b.model_input(e) for e in model_b] == [c.model_input(e) for e in model_c]
    assert judgments_by_unit(c) == judgments_by_unit(b) and judgments_by_unit(c)
    attempts = {t["id"]: t["attempt"] for t in tc.values()}
    assert all(j["attempt"] == attempts[j["transcript_id"]] for j in c.iter_judgments())
    metrics_b, metrics_c = b.metrics(), c.metrics()
    assert metrics_b is not None and metrics_c is not None
    assert metrics_c["run"].pop("run_id") == c.run_id and metrics_b["run"].pop("run_id") == b.run_id
    assert metrics_c == metrics_b
    # Texts are copied into the new folder from the memo's own store, not read from the old run.
    assert all(c.get_text(ref) == b.get_text(ref) for ref in b._load_texts())


# ---- misses: any change to what a unit depends on runs it again ------------------------------

STORY = " ".join(f"On day {d} the keeper counted {d * 3} gulls and wrote it in the ledger." for d in range(1, 30))
ITEM = {"id": "gulls", "title": "Gulls", "story": STORY, "question": "What did the keeper count?",
        "answers": ["Gulls", "Boats"], "correct_index": 0}


def small_debate(tmp_path: Path, item: dict[str, Any] | None = None, **changes: Any) -> Any:
    (tmp_path / "items.jsonl").write_text(json.dumps(item or ITEM) + "\n")
    config: dict[str, Any] = {
        "name": "memo", "protocol": "debate", "task": {"path": "items.jsonl", "format": "native"},
        "models": {r: "scripted:generic" for r in ("debater_a", "debater_b", "consultant", "judge")},
        "params": {"rounds": 1, "judge_kind": "model", "conditions": ["debate", "blind"]},
        "retry": {"max_attempts": 1, "base_delay_s": 0.0},
    }
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) and key in config else value
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return plan(validate_experiment(read_yaml(path), str(path)), source=str(path), base_dir=tmp_path)


def test_unchanged_experiment_replays(tmp_path: Path) -> None:
    assert run(small_debate(tmp_path), tmp_path / "runs")[0].replayed == 0
    assert run(small_debate(tmp_path), tmp_path / "runs")[0].replayed == 2


@pytest.mark.parametrize("change", ["param", "prompt", "model", "generation", "seed", "item", "code"])
def test_any_change_runs_the_unit_again(change: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(small_debate(tmp_path), tmp_path / "runs")
    (tmp_path / "judge_blind.txt").write_text("Question: {question}\nA: {answer_a}\nB: {answer_b}\nAnswer:")
    scripted.register("generic2", generic)
    changed = {
        "param": lambda: small_debate(tmp_path, params={"word_limit": 77}),
        "prompt": lambda: small_debate(tmp_path, prompts={"judge_blind": "judge_blind.txt"}),
        "model": lambda: small_debate(tmp_path, models={"judge": "scripted:generic2"}),
        "generation": lambda: small_debate(tmp_path, generation={"default": {"max_tokens": 512}}),
        "seed": lambda: small_debate(tmp_path, seed=1),
        "item": lambda: small_debate(tmp_path, item={**ITEM, "story": STORY + " The end."}),
        "code": lambda: small_debate(tmp_path),
    }[change]
    if change == "code":
        monkeypatch.setattr(unitmemo, "code_fingerprint", lambda cls: "another version of the code")
    p = changed()
    ran = graph_runs(monkeypatch, p)
    result, _ = run(p, tmp_path / "runs")
    assert result.replayed == 0 and result.failed == 0
    # The blind judge's prompt is the only thing "prompt" changes, yet every unit runs again.
    assert sorted(ran) == ["gulls:blind", "gulls:debate"]
    assert run(changed(), tmp_path / "runs")[0].replayed == 2  # and is stored under its new key


# ---- what is never stored, and a broken memo ---------------------------------------------------


def memo_dir() -> Path:
    return Path(os.environ["OVERSIGHT_CACHE_DIR"]) / "units"


def entries() -> list[Path]:
    return sorted(memo_dir().glob("??/*.json"))


def test_failed_unit_is_not_memoised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted.register("generic", [ProviderError("HTTP 400 bad request", retryable=False, status=400)])
    first, folder = run(small_debate(tmp_path, params={"conditions": ["blind"]}), tmp_path / "runs")
    assert first.failed == 1 and entries() == []

    scripted.register("generic", generic)
    p = small_debate(tmp_path, params={"conditions": ["blind"]})
    ran = graph_runs(monkeypatch, p)
    again, _ = run(p, tmp_path / "runs")
    assert again.failed == 0 and again.replayed == 0 and ran == ["gulls:blind"] and len(entries()) == 1


def test_unit_that_caught_a_model_error_is_not_memoised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A protocol may catch a failed call and go on; a cache re-run would call that model again,
    so such a unit is run again, not replayed."""
    async def forgiving(self: Any, unit: Any, params: Any, rec: Any) -> dict[str, Any]:
        try:
            await rec.call("answerer", "answer", {"question": "Is the server up?"})
        except ModelCallError:
            pass
        out = await rec.call("answerer", "answer", {"question": unit.item.question})
        return {"answer": out.text}

    def down_once(messages: list[Message]) -> str | ProviderError:
        if "server up" in messages[-1].content:
            return ProviderError("HTTP 400 bad request", retryable=False, status=400)
        return "4"

    monkeypatch.setattr(QAProtocol, "run_unit", forgiving)
    scripted.register("qa", down_once)
    (tmp_path / "items.jsonl").write_text(json.dumps({"id": "q", "question": "2 plus 2?", "answer": "4"}) + "\n")
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"name": "qa", "protocol": "qa", "task": {"path": "items.jsonl"},
                                    "models": {"answerer": "scripted:qa"}, "retry": {"max_attempts": 1}}))
    p = plan(validate_experiment(read_yaml(path), str(path)), source=str(path), base_dir=tmp_path)
    first, folder = run(p, tmp_path / "runs")
    (t,) = folder.transcripts()
    assert t["error"] is None and [e["type"] for e in t["events"]] == ["model_error", "model"]
    assert entries() == []
    again, _ = run(p, tmp_path / "runs")
    assert again.replayed == 0 and len(scripted.CALLS["qa"]) == 3  # the failed call was made again


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong key", "text"])
def test_a_damaged_entry_is_a_miss(damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(small_debate(tmp_path), tmp_path / "runs")
    for path in entries():
        data = path.read_bytes()
        path.write_bytes({"garbage": b"\x00not json{", "truncated": data[: len(data) // 2], "empty": b"",
                          "wrong key": data.replace(path.stem.encode(), b"0" * 64),
                          "text": data}[damage])
    if damage == "text":
        texts = sorted(memo_dir().glob("texts/*/*.txt"))
        assert texts  # the story is stored once, by content
        for path in texts:
            path.write_text("a different story", encoding="utf-8")
    p = small_debate(tmp_path)
    ran = graph_runs(monkeypatch, p)
    result, folder = run(p, tmp_path / "runs")
    assert result.replayed == 0 and result.failed == 0 and sorted(ran) == ["gulls:blind", "gulls:debate"]
    assert all(t["error"] is None for t in folder.iter_transcripts())
    assert run(small_debate(tmp_path), tmp_path / "runs")[0].replayed == 2  # rewritten whole


def test_unwritable_memo_warns_and_the_run_succeeds(tmp_path: Path) -> None:
    memo_dir().parent.mkdir(parents=True, exist_ok=True)
    memo_dir().write_text("a file where the memo folder should be")
    with pytest.warns(unitmemo.UnitMemoWarning, match="could not be stored"):
        result, folder = run(small_debate(tmp_path), tmp_path / "runs")
        assert result.failed == 0 and len(list(folder.iter_transcripts())) == 2
        before = calls()
        again, _ = run(small_debate(tmp_path), tmp_path / "runs")
    assert again.replayed == 0 and calls() == before  # the response cache still answers


def test_cache_false_neither_reads_nor_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result, _ = run(small_debate(tmp_path, cache=False), tmp_path / "runs")
    assert result.replayed == 0 and not memo_dir().exists()
    run(small_debate(tmp_path), tmp_path / "runs")
    assert len(entries()) == 2
    stamps = {p: p.stat().st_mtime_ns for p in entries()}
    p = small_debate(tmp_path, cache=False)
    ran = graph_runs(monkeypatch, p)
    result, _ = run(p, tmp_path / "runs")
    assert result.replayed == 0 and len(ran) == 2
    assert {p: p.stat().st_mtime_ns for p in entries()} == stamps


def test_batched_roles_and_the_environment_switch_turn_it_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oversight.models.cache import ResponseCache
    from oversight.models.pool import ModelPool
    from oversight.runs.runner import make_context

    p = small_debate(tmp_path)
    ctx = make_context(p, ModelPool(), None)
    cache = ResponseCache()
    assert unitmemo.UnitMemo.open(p, ctx, cache) is not None
    assert unitmemo.UnitMemo.open(p, ctx, None) is None
    p.exp = p.exp.model_copy(update={"batch": {"judge": True}})
    assert unitmemo.UnitMemo.open(p, ctx, cache) is None
    p.exp = p.exp.model_copy(update={"batch": False})
    for off in ("0", "false", "OFF"):
        monkeypatch.setenv(unitmemo.ENV, off)
        assert unitmemo.UnitMemo.open(p, ctx, cache) is None


def test_items_that_cannot_be_hashed_surely_are_not_memoised() -> None:
    class Opaque:
        def __init__(self, text: str) -> None:
            self.text = text

    assert unitmemo.fingerprint(Opaque("a")) is None
    assert unitmemo.fingerprint({"a": 1}) == unitmemo.fingerprint({"a": 1}) != unitmemo.fingerprint({"a": 2})
    assert unitmemo.fingerprint({"a": Opaque("x")}) is None


def test_code_fingerprint_covers_a_protocol_package_outside_oversight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    package = tmp_path / "memo_probe_pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from memo_probe_pkg.sub.proto import Probe\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "proto.py").write_text("class Probe:\n    pass\n")
    (package / "helpers.py").write_text("WORDS = 50\n")
    (tmp_path / "memo_probe_mod.py").write_text("class Loose:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = importlib.import_module("memo_probe_pkg").Probe
    loose = importlib.import_module("memo_probe_mod").Loose
    monkeypatch.setattr(unitmemo, "_tree_digest", unitmemo._tree_digest.__wrapped__)  # see each edit at once

    inside = unitmemo.code_fingerprint(QAProtocol.__mro__[1])  # oversight.protocol.contract.Protocol: oversight only
    before = unitmemo.code_fingerprint(probe)
    assert before != inside
    (package / "helpers.py").write_text("WORDS = 60\n")  # a module the protocol's package holds, not its own file
    assert unitmemo.code_fingerprint(probe) != before
    lone = unitmemo.code_fingerprint(loose)
    (tmp_path / "memo_probe_mod.py").write_text("class Loose:\n    words = 1\n")
    assert unitmemo.code_fingerprint(loose) != lone


def test_the_cli_says_how_many_units_were_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from oversight.cli.main import main

    scripted.register("qa", lambda messages: "4")
    (tmp_path / "items.jsonl").write_text("".join(
        json.dumps({"id": f"q{i}", "question": f"{i} plus {4 - i}?", "answer": "4"}) + "\n" for i in range(3)))
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"name": "qa", "protocol": "qa", "task": {"path": "items.jsonl"},
                                    "models": {"answerer": "scripted:qa"}}))
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert "replayed" not in capsys.readouterr().out
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert "replayed: 3 unchanged units from the unit memo" in capsys.readouterr().out
