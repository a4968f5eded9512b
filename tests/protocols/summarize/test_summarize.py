"""The summarize protocol with scripted models: tree, logged inputs, budgets, judge views, resume."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.helpers.harness import context, run_units
from tests.helpers.inflight import inflight_provider

from oversight.cli.main import main
from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.models.types import Message
from oversight.protocol.contract import JudgeResponse, Recorder
from oversight.protocol.registry import get_protocol
from oversight.protocols.summarize import SummarizeParams, SummarizeProtocol
from oversight.protocols.summarize.data import TextItem
from oversight.protocols.summarize.tree import TEMPLATES, node_records, node_variables, source_record
from oversight.log.texts import MemoryTexts
from oversight.log.transcripts import Transcript

ROOT = Path(__file__).resolve().parents[3]
TEXT = "\n\n".join(
    f"Chapter {i}. The keeper of lighthouse {i} rowed out at dusk. " + "The sea was grey and the gulls were loud. " * 6
    for i in range(1, 13)
)  # 12 paragraphs of ~310 characters: one chunk each at 80 tokens (320 characters)


def summarizer(messages: list[Message]) -> str:
    """Short, deterministic summaries that say which inputs they read."""
    prompt = messages[-1].content
    part = (re.findall(r"Part (\d+) of", prompt) or ["?"])[-1]
    if prompt.rstrip().endswith("words:") and "Combined summary" in prompt:
        return "Merge of " + "+".join(re.findall(r"^\d+\. (\S+?)\.?$", prompt, re.M)) + "."
    if "Running summary of parts 1 to" in prompt:
        return f"Story to part {part}."
    if "The same summary in at most" in prompt:
        return "Short."
    return f"P{part}."


def setup(judge: Any = "5\nCoverage: 4", summ: Any = summarizer, merger: bool = False,
          pool: ModelPool | None = None, texts: MemoryTexts | None = None) -> tuple[SummarizeProtocol, Any]:
    scripted.register("summ", summ)
    scripted.register("judge", judge if callable(judge) or isinstance(judge, list) else [judge])
    scripted.register("merger", lambda m: "Merged by the merger.")
    pool = pool or ModelPool(cache=None)
    proto = SummarizeProtocol()
    models = {"summarizer": pool.get("scripted:summ"), "judge": pool.get("scripted:judge")}
    if merger:
        models["merger"] = pool.get("scripted:merger")
    return proto, context(proto, models, texts=texts)


async def run(params: SummarizeParams, text: str = TEXT, **kw: Any) -> list[tuple[Any, Recorder, dict[str, Any]]]:
    proto, ctx = setup(**kw)
    return await run_units(proto, params, ctx, [TextItem(id="book", title="Lights", text=text)])


def transcript_of(unit: Any, rec: Recorder, outcome: dict[str, Any]) -> dict[str, Any]:
    """The transcript line the runner would write."""
    return Transcript(run_id="test", id=unit.id, item_id=unit.item_id, protocol="summarize",
                      condition=unit.condition, events=rec.events, outcome=outcome, attempt=rec.attempt).to_record()


def models_by_step(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["step"]: e for e in record["events"] if e["type"] == "model"}


async def test_hierarchical_tree_runs_every_node_once_and_levels_in_parallel() -> None:
    Counting, state = inflight_provider(summarizer, delay=0.02)
    pool = ModelPool(provider_factory=Counting, max_connections=64, cache=None)
    params = SummarizeParams(chunk_tokens=80, fan_in=3, judge="none", coherence=False)
    [(unit, rec, out)] = await run(params, pool=pool)
    assert (out["chunks"], out["level_sizes"], out["depth"], out["width"]) == (12, [12, 4, 2, 1], 4, 12)
    assert out["root"] == "L3.0" and out["nodes"] == 19
    assert state["peak"] == 12  # all leaves at once
    nodes = node_records(transcript_of(unit, rec, out))
    assert sorted(nodes) == sorted([f"L0.{i}" for i in range(12)] + [f"L1.{i}" for i in range(4)] + ["L2.0", "L2.1", "L3.0"])
    assert nodes["L1.3"]["children"] == ["L0.9", "L0.10", "L0.11"] and nodes["L3.0"]["children"] == ["L2.0", "L2.1"]
    assert nodes["L3.0"]["span"] == [0, len(TEXT)] and nodes["L3.0"]["output"] == out["summary"]
    assert [nodes[f"L0.{i}"]["chunk"][1] for i in range(11)] == [nodes[f"L0.{i}"]["chunk"][0] for i in range(1, 12)]


async def test_each_node_logs_exactly_what_its_model_was_sent() -> None:
    texts = MemoryTexts()
    params = SummarizeParams(chunk_tokens=80, fan_in=3, context=True, judge="none", coherence=False,
                             strategies=["hierarchical", "incremental"])
    proto, ctx = setup(texts=texts)
    results = await run_units(proto, params, ctx, [TextItem(id="book", title="Lights", text=TEXT)])
    for unit, rec, out in results:
        record = json.loads(json.dumps(transcript_of(unit, rec, out)))  # as read back from disk
        source = texts.get_text(source_record(record)["ref"])
        assert source == TEXT
        nodes = node_records(record)
        outputs = {i: n["output"] for i, n in nodes.items()}
        calls = models_by_step(record)
        for node_id, node in nodes.items():
            assert TEXT not in json.dumps(node)  # inputs by reference only
            template = TEMPLATES[node["kind"]]
            sent = calls[f"{node_id} {template}"]["input"]
            rebuilt = ctx.prompts.render(template, node_variables(node, source, outputs, "Lights"))
            assert sent == [m.model_dump() for m in rebuilt]
        if unit.condition == "hierarchical":
            assert nodes["L0.3"]["context"] == "L0.2" and nodes["L1.1"]["context"] == "L1.0"
            assert outputs["L0.2"] in calls["L0.3 summarize_chunk"]["input"][-1]["content"]


async def test_incremental_keeps_one_running_summary_under_its_budget() -> None:
    long_update = "word " * 50

    def summ(messages: list[Message]) -> str:
        prompt = messages[-1].content
        if "The same summary in at most" in prompt:
            return "Shortened running summary."
        if "Running summary of parts 1 to 5 in at most" in prompt:
            return long_update  # S4 (part 5) is over the 30-word budget: retried shorter
        return summarizer(messages)

    params = SummarizeParams(chunk_tokens=80, strategies=["incremental"], running_words=30, judge="none", coherence=False)
    [(unit, rec, out)] = await run(params, summ=summ)
    assert (out["depth"], out["width"], out["root"]) == (12, 1, "S11")
    record = transcript_of(unit, rec, out)
    nodes = node_records(record)
    calls = models_by_step(record)
    for i in range(1, 12):
        prompt = calls[f"S{i} update"]["input"][-1]["content"]
        assert "at most 30 words" in prompt
        assert f"Running summary of parts 1 to {i}:\n{nodes[f'S{i - 1}']['output']}\n" in prompt
        assert nodes[f"S{i}"]["span"] == [0, nodes[f"S{i}"]["chunk"][1]]
    assert nodes["S4"]["retried"] and nodes["S4"]["output"] == "Shortened running summary."
    assert [n["id"] for n in nodes.values() if n["retried"]] == ["S4"]
    assert "Shortened running summary." in calls["S5 update"]["input"][-1]["content"]
    assert all(n["words"] <= 30 for n in nodes.values())


async def test_over_budget_is_retried_shorter_once_then_cut_with_a_warning() -> None:
    def summ(messages: list[Message]) -> str:
        prompt = messages[-1].content
        if "The same summary in at most" in prompt:
            return "still far too long " * 10 if "Part 2" not in prompt and "P2" not in prompt else "Fits now."
        if "Part 1 of" in prompt:
            return "too long " * 40
        if "Part 2 of" in prompt:
            return "P2 " + "long " * 40
        return summarizer(messages)

    params = SummarizeParams(chunk_tokens=80, summary_words=[12], judge="none", coherence=False)
    [(unit, rec, out)] = await run(params, summ=summ)
    record = transcript_of(unit, rec, out)
    nodes = node_records(record)
    steps = [e["step"] for e in record["events"] if e["type"] == "model"]
    assert steps.count("L0.0 shorten") == 1 and steps.count("L0.1 shorten") == 1 and "L0.2 shorten" not in steps
    cut = nodes["L0.0"]
    assert cut["retried"] and cut["cut"] and cut["words"] == 12
    assert cut["output"] == " ".join(["still", "far", "too", "long"] * 3)
    assert nodes["L0.1"]["retried"] and not nodes["L0.1"]["cut"] and nodes["L0.1"]["output"] == "Fits now."
    warnings = [e for e in record["events"] if e["type"] == "warning"]
    assert [w["node"] for w in warnings] == ["L0.0"] and "cut to 12 words" in warnings[0]["message"]
    shorten = models_by_step(record)["L0.0 shorten"]["input"][-1]["content"]
    assert "at most 12 words" in shorten and "too long too long" in shorten


async def test_merges_go_to_the_merger_when_one_is_bound() -> None:
    params = SummarizeParams(chunk_tokens=80, judge="none", coherence=False)
    [(unit, rec, out)] = await run(params, merger=True)
    roles = {e.step: e.role for e in rec.events if e.type == "model"}
    assert roles["L0.0 summarize_chunk"] == "summarizer" and roles["L1.0 merge"] == "merger"
    assert out["summary"] == "Merged by the merger."


async def test_judge_view_of_every_node_is_rebuilt_from_the_transcript_alone() -> None:
    texts = MemoryTexts()
    params = SummarizeParams(chunk_tokens=80, strategies=["hierarchical", "incremental"])
    proto, ctx = setup(judge=["6\nCoverage: 3", "2: causal omission\n1: salience"], texts=texts)
    results = await run_units(proto, params, ctx, [TextItem(id="book", title="Lights", text=TEXT)])
    for unit, rec, out in results:
        record = json.loads(json.dumps(transcript_of(unit, rec, out)))
        views = proto.judge_views(record, params, texts)
        sent = {e["step"]: e["input"] for e in record["events"] if e["type"] == "model" and e["role"] == "judge"}
        assert len(views) == out["nodes"] + 1 == len(sent) == len(rec.judgments)
        for view in views:
            assert sent[f"judge {view.key}"] == [m.model_dump() for m in ctx.prompts.render(view.template, view.variables)]
        node_view = next(v for v in views if v.key == "node:L0.1" or v.key == "node:S1")
        assert TEXT.split("\n\n")[1].strip()[:60] in node_view.variables["inputs"]
        coherence = views[-1]
        assert coherence.key == f"coherence:{out['root']}" and coherence.answer_kind == "flaws"
        # a person's answer goes through the same verdict function as the model's
        human = proto.verdict(coherence, record, JudgeResponse(flaws=[]), params)
        assert human["coherence"] == 1.0 and not human["invalid"]


async def test_source_is_stored_once_and_progress_counts_nodes() -> None:
    texts = MemoryTexts()
    proto, ctx = setup(texts=texts)
    seen: list[tuple[int, int]] = []
    ctx.on_progress = lambda advance, total: seen.append((advance, total))
    params = SummarizeParams(chunk_tokens=80, strategies=["hierarchical", "incremental"], judge="root")
    results = await run_units(proto, params, ctx, [TextItem(id="book", title="Lights", text=TEXT)])
    assert list(texts.texts.values()) == [TEXT]
    h, i = results[0][2], results[1][2]
    expected_total = h["nodes"] + 2 + i["nodes"] + 2  # nodes, then the root rating and coherence views
    assert sum(t for _, t in seen) == expected_total == sum(a for a, _ in seen)
    for unit, rec, out in results:
        assert json.dumps(transcript_of(unit, rec, out)["events"]).count(TEXT[:200]) <= 2


def experiment(tmp_path: Path, **overrides: Any) -> Path:
    (tmp_path / "book.txt").write_text(TEXT, encoding="utf-8")
    config = {"name": "sum-test", "protocol": "summarize", "task": {"path": "book.txt"},
              "models": {"summarizer": "scripted:summ", "judge": "scripted:judge"},
              "params": {"chunk_tokens": 80, "judge": "root"},
              "retry": {"max_attempts": 1, "base_delay_s": 0.0, "max_delay_s": 0.0}}
    config.update(overrides)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_resume_mid_book_does_not_call_finished_nodes_again(tmp_path: Path) -> None:
    calls: list[str] = []

    def dies_mid_book(messages: list[Message]) -> str:
        if len(calls) == 9:
            raise KeyboardInterrupt
        calls.append(messages[-1].content)
        return summarizer(messages)

    scripted.register("summ", dies_mid_book)
    scripted.register("judge", ["5\nCoverage: 5", "None"])
    runs = tmp_path / "runs"
    assert main(["run", str(experiment(tmp_path)), "--runs-dir", str(runs)]) == 130
    [run_dir] = [d for d in runs.iterdir() if d.is_dir()]
    assert len(calls) == 9
    before = list(calls)

    calls.clear()
    scripted.register("summ", lambda m: calls.append(m[-1].content) or summarizer(m))
    assert main(["run", "--resume", str(run_dir)]) == 0
    assert not set(calls) & set(before)  # the nine finished calls were cache hits
    assert len(calls) == 19 - 9  # 12 leaves + 4 + 2 + 1 merges, minus the nine already paid for
    [line] = [json.loads(x) for x in (run_dir / "transcripts.jsonl").read_text().splitlines()]
    cached = [e for e in line["events"] if e["type"] == "model" and e["role"] == "summarizer" and e["cached"]]
    assert len(cached) == 9 and line["error"] is None
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["run"]["units_finished"] == 1


def test_protocol_is_found_and_validates_roles(tmp_path: Path) -> None:
    scripted.register("summ", summarizer)
    scripted.register("judge", ["5"])
    assert isinstance(get_protocol("summarize"), SummarizeProtocol)
    assert main(["validate", str(experiment(tmp_path))]) == 0
    bad = experiment(tmp_path, params={"chunk_tokens": 80, "strategies": ["hierarchical", "hierarchical"]})
    assert main(["validate", str(bad)]) == 2
    no_judge = experiment(tmp_path, models={"summarizer": "scripted:summ"}, params={"judge": "none", "coherence": False})
    assert main(["validate", str(no_judge)]) == 0
    assert main(["validate", str(experiment(tmp_path, models={"summarizer": "scripted:summ"}))]) == 2


@pytest.mark.parametrize("strategy", ["hierarchical", "incremental"])
async def test_a_failed_call_fails_the_unit_and_keeps_finished_nodes(strategy: str) -> None:
    from oversight.models.providers.base import ProviderError

    def flaky(messages: list[Message]) -> Any:
        if "Part 3 of" in messages[-1].content:
            return ProviderError("HTTP 400 bad request", retryable=False, status=400)
        return summarizer(messages)

    proto, ctx = setup(summ=flaky)
    params = SummarizeParams(chunk_tokens=80, strategies=[strategy], judge="none", coherence=False)
    unit = proto.units([TextItem(id="book", text=TEXT)], params, 0)[0]
    rec = Recorder(ctx, unit)
    with pytest.raises(Exception, match="400"):
        await proto.run_unit(unit, params, rec)
    assert any(e.type == "model_error" for e in rec.events)
    assert any(e.type == "node" for e in rec.events)
