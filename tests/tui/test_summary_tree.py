"""Summarization in the terminal UI (Pilot at 80x24): the review's node tree shows each node's
inputs exactly as the protocol rebuilds them, and people rate summary nodes blind to the rest."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from textual.widgets import TextArea, Tree

from oversight.protocol.contract import JudgeResponse
from oversight.protocols.summarize.judging import CONFUSIONS
from oversight.protocols.summarize.tree import inputs_block, node_records, source_record
from oversight.log.runfolder import RunFolder
from oversight.tui.judge_app import JudgeApp, JudgeScreen
from oversight.tui.review import ReviewApp
from oversight.tui.screens import SourceScreen, TranscriptScreen
from oversight.tui.session import JudgeSession
from oversight.tui.tree_view import TreeView
from tests.helpers.tui_runs import COHERENCE_VERDICT, NODE_VERDICT, screen_text
from tests.helpers.tui_runs import summarize_folder  # noqa: F401 (fixture)

SIZE = (80, 24)
INPUTS_HEADING = "Inputs (exactly what this node read)"


def flat(text: str) -> str:
    return " ".join(text.split())


async def tall_text(app: Any, pilot: Any) -> str:
    """The whole current screen on a very tall terminal, whitespace folded, then back to 80x24."""
    await pilot.resize_terminal(80, 400)
    await pilot.pause()
    text = screen_text(app)
    await pilot.resize_terminal(*SIZE)
    await pilot.pause()
    return flat(text)


def tree_of(run: Path, strategy: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]], str, dict[str, str]]:
    """A strategy's transcript, its node records, the source and every node's output."""
    t = next(t for t in RunFolder.open(run).transcripts() if t["condition"] == strategy)
    nodes = node_records(t)
    source = RunFolder.open(run).get_text(source_record(t)["ref"])
    return t, nodes, source, {i: n["output"] for i, n in nodes.items()}


def model_judgments(run: Path, transcript_id: str) -> list[dict[str, Any]]:
    rows = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    return [r for r in rows if r["transcript_id"] == transcript_id and r["judge"]["kind"] == "model"]


async def open_strategy(app: ReviewApp, pilot: Any, strategy: str) -> TreeView:
    await pilot.pause()
    ids = [e["id"] for e in app.index.entries]
    position = next(i for i, tid in enumerate(ids) if tid.endswith(f":{strategy}"))
    await pilot.press(*["down"] * position, "enter")
    await pilot.pause()
    assert isinstance(app.screen, TranscriptScreen)
    return app.screen.query_one(TreeView)


async def test_review_tree_walks_every_node_with_its_rebuilt_inputs(summarize_folder: Path) -> None:
    run = summarize_folder
    t, nodes, source, outputs = tree_of(run, "hierarchical")
    judged = model_judgments(run, t["id"])
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=SIZE) as pilot:
        view = await open_strategy(app, pilot, "hierarchical")
        small = screen_text(app)
        assert "L2.0 lv2 0-14193" in small and "L1.0 lv1 0-4718" in small  # root on top, children below
        tree = view.query_one(Tree)
        assert tree.has_focus
        visited = []
        for step in range(len(nodes)):
            if step:
                await pilot.press("down")
            node_id = view.highlighted
            assert node_id is not None and node_id not in visited
            visited.append(node_id)
            node = nodes[node_id]
            text = await tall_text(app, pilot)
            shown_inputs = text.split(INPUTS_HEADING, 1)[1].split(" Output ", 1)[0].strip()
            assert shown_inputs == flat(inputs_block(node, source, outputs))
            start, end = node["span"]
            assert f"{node['kind']} · level {node['level']}" in text
            assert f"source span: characters {start}-{end} of {len(source)}" in text
            assert f"children: {', '.join(node['children']) or 'none (a leaf)'}" in text
            assert f"Output {flat(node['output'])}" in text
            assert f"retried shorter: {'yes' if node['retried'] else 'no'}" in text
            assert f"cut to budget: {'yes' if node['cut'] else 'no'}" in text
            mine = [r for r in judged if r["node"] == node_id]
            assert f"Judgments ({len(mine)})" in text
            for r in mine:
                assert flat(r["raw"]) in text
                if r["answer_kind"] == "rating":
                    assert f"faithfulness {r['faithfulness']} coverage {r['coverage']}" in text
                else:
                    assert f"coherence {r['coherence']} of {r['sentences']} sentences" in text
        # depth first, children in order: every node once, the root first
        assert visited[:3] == ["L2.0", "L1.0", "L0.0"] and sorted(visited) == sorted(nodes)
        assert any(nodes[i]["retried"] for i in visited) and any(nodes[i]["cut"] for i in visited)
        # the highlighted node's span, selected in the source
        await pilot.press("home", "down", "down", "down")  # L0.1
        assert view.highlighted == "L0.1"
        await pilot.press("s")
        assert isinstance(app.screen, SourceScreen)
        start, end = nodes["L0.1"]["span"]
        assert app.screen.query_one(TextArea).selected_text == source[start:end]


async def test_review_incremental_chain_and_judgments_by_other_judges(summarize_folder: Path) -> None:
    run = summarize_folder
    t, nodes, source, outputs = tree_of(run, "incremental")
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=SIZE) as pilot:
        view = await open_strategy(app, pilot, "incremental")
        assert view.highlighted == "S8"
        await pilot.press("end")  # the deepest node: the first part
        assert view.highlighted == "S0"
        await pilot.press("up")
        text = await tall_text(app, pilot)
        assert "update · level 1" in text and "Running summary so far:" in text
        shown_inputs = text.split(INPUTS_HEADING, 1)[1].split(" Output ", 1)[0].strip()
        assert shown_inputs == flat(inputs_block(nodes["S1"], source, outputs))
        assert flat(NODE_VERDICT) in text and "model/model:scripted:sjudge" in text


async def test_review_shows_human_judgments_per_node_and_not_undone_ones(summarize_folder: Path) -> None:
    run = summarize_folder
    session = JudgeSession.open(RunFolder.open(run), "cy")
    kept, undone = session.units[:2]

    def response(unit: Any) -> JudgeResponse:
        if unit.view.answer_kind == "rating":
            return JudgeResponse(ratings={"faithfulness": 3, "coverage": 4}, comment="cy says")
        return JudgeResponse(flaws=["1: salience"])

    session.record(kept, response(kept), 4.0)
    session.record(undone, response(undone), 2.0)
    assert session.undo() is not None
    strategy = session.transcripts[kept.transcript_id]["condition"]
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=SIZE) as pilot:
        view = await open_strategy(app, pilot, strategy)
        for unit, stands in ((kept, True), (undone, False)):
            node_id = unit.view.key.split(":", 1)[1]
            await pilot.press("home")
            for _ in range(len(view.nodes)):
                if view.highlighted == node_id:
                    break
                await pilot.press("down")
            for _ in range(200):  # the node pane is redrawn after the highlight moves
                judged = (await tall_text(app, pilot)).partition("Judgments (")[2]
                if f"model/model:scripted:sjudge {unit.view.key} " in judged:
                    break
            expected = ("faithfulness 3 coverage 4" if unit.view.answer_kind == "rating"
                        else "flagged: 1: salience")
            assert (f"human/cy {unit.view.key}" in judged) == (expected in judged) == stands  # undone: gone
            assert "model/model:scripted:sjudge" in judged and "raw: None" not in judged
            assert ("comment: cy says" in judged) == (stands and unit.view.answer_kind == "rating")


async def test_review_shows_an_unfinished_tree(summarize_folder: Path, tmp_path: Path) -> None:
    """A unit that failed mid-tree: its written nodes are shown, the missing ones marked."""
    run = summarize_folder
    lines = (run / "transcripts.jsonl").read_text().splitlines()
    broken = []
    for line in lines:
        t = json.loads(line)
        if t["condition"] == "hierarchical":
            t["events"] = [e for e in t["events"] if e.get("id") not in ("L2.0", "L0.4")]
            t["error"] = "HTTP 500 after retries"
        broken.append(json.dumps(t))
    (run / "transcripts.jsonl").write_text("\n".join(broken) + "\n")
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=SIZE) as pilot:
        view = await open_strategy(app, pilot, "hierarchical")
        text = await tall_text(app, pilot)
        assert "unfinished tree (no single root)" in text and "L0.4 (not written)" in text
        assert view.highlighted is None
        await pilot.press("down")
        assert view.highlighted == "L1.0"


async def judge_session(run: Path, judge_id: str, texts: list[str], units: list[Any]) -> None:
    """Rate every node 5/6 with a comment naming the judge; flag sentence 1 on coherence views."""
    app = JudgeApp(JudgeSession.open(RunFolder.open(run), judge_id))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JudgeScreen)
        while screen.unit is not None:
            assert len(units) < 30, "the session does not move on: a confirmed unit was refused"
            units.append(screen.unit)
            texts.append(screen_text(app) + "\n" + await tall_text(app, pilot))
            if screen.unit.view.answer_kind == "rating":
                await pilot.press("5", "enter", "6", "enter", *f"note from {judge_id}", "ctrl+s")
            else:
                await pilot.press(*"1: causal omission", "ctrl+s")
            await pilot.pause()
        await pilot.press("f1")
        texts.append(screen_text(app))


async def test_people_rate_summary_nodes_seeing_only_each_nodes_inputs(summarize_folder: Path) -> None:
    run = summarize_folder
    folder = RunFolder.open(run)
    transcripts = {t["id"]: t for t in folder.transcripts()}
    model_raw = [r["raw"] for r in model_judgments(run, next(iter(transcripts)))]
    seen: dict[str, list[str]] = {}
    judged: dict[str, str] = {}
    for judge_id in ("ann", "bob"):
        texts: list[str] = []
        units: list[Any] = []
        await judge_session(run, judge_id, texts, units)
        seen[judge_id] = texts
        records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines()]
        mine = [r for r in records if r["judge"] == {"kind": "human", "id": judge_id}]
        assert len(mine) == len(units) and len({u.transcript_id for u in units}) == 1  # one strategy per person
        t = transcripts[units[0].transcript_id]
        judged[judge_id] = t["id"]
        nodes = node_records(t)
        assert {r["view_key"] for r in mine} == {f"node:{i}" for i in nodes} | {f"coherence:{r}" for r in nodes
                                                                                 if r == t["outcome"]["root"]}
        for r in mine:
            assert r["invalid"] is False and r["reason"] is None
            if r["answer_kind"] == "rating":
                assert (r["faithfulness"], r["coverage"], r["comment"]) == (5, 6, f"note from {judge_id}")
            else:
                assert r["confusions"] == [{"sentence": 1, "kind": "causal omission"}] and r["coherence"] == 0.0
        check_blind(t, folder.get_text(source_record(t)["ref"]), units, texts, model_raw)
    assert judged["ann"] != judged["bob"]  # the second person is given the other strategy
    assert not any("note from ann" in text for text in seen["bob"])  # no other person's verdict


def check_blind(t: dict[str, Any], source: str, units: list[Any], texts: list[str], model_raw: list[str]) -> None:
    """Each screen holds its node's inputs and summary and nothing else of the run."""
    nodes = node_records(t)
    outputs = {i: n["output"] for i, n in nodes.items()}
    assert len(set(outputs.values())) == len(outputs)  # each output can be told apart on screen
    chunks = {i: flat(source[n["chunk"][0]:n["chunk"][1]]) for i, n in nodes.items() if n.get("chunk")}
    for unit, text in zip(units, texts):
        shown = flat(text)
        kind, node_id = unit.view.key.split(":", 1)
        node = nodes[node_id]
        readable = ({node_id, *node["children"], *([node["context"]] if node.get("context") else [])}
                    if kind == "node" else {node_id})
        for other, output in outputs.items():
            assert (flat(output)[:60] in shown) == (other in readable), (unit.view.key, other)
        for other, chunk in chunks.items():
            mine = kind == "node" and other == node_id
            assert (chunk[len(chunk) // 2: len(chunk) // 2 + 80] in shown) == mine, (unit.view.key, other)
        if kind == "node":
            assert "faithfulness: 1-7" in shown and "coverage: 1-7" in shown
        else:
            assert 'e.g. "3: causal omission"' in shown and all(c in shown for c in CONFUSIONS)
    everything = "\n".join(texts)
    assert not re.search(r"scripted|sjudge|hierarchical|incremental|the_tide_clock", everything)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", everything)
    assert not any(line in everything for raw in model_raw for line in raw.splitlines()[2:])
    assert COHERENCE_VERDICT.splitlines()[1] not in everything
