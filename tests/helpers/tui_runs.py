"""Run folders for the terminal-UI tests, made by the real runner with scripted models."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App

from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.models.types import Message

ROOT = Path(__file__).resolve().parents[2]
REAL_QUOTE = "twice a day seawater climbed a copper pipe"
FAKE_QUOTE = "the clock was powered by a windmill on the roof"


def debater(messages: list[Message]) -> str:
    """Names itself and its round, quotes the story once truly and once falsely."""
    prompt = messages[-1].content
    found = re.findall(r"(Debater [AB]|Consultant) \(round (\d+)\):\s*$", prompt)
    name, rnd = found[-1] if found else ("Speaker", "1")
    return (f"{name} in round {rnd}: the story says <quote>{REAL_QUOTE}</quote> and "
            f"<quote>{FAKE_QUOTE}</quote>.")


def debate_run(tmp_path: Path, *, limit: int = 2, rounds: int = 2, judge: Any = None, status: int = 0) -> Path:
    """protocols/debate.yaml on `limit` stories, all four conditions, both answer orders; the
    judge says "Answer: A, 70%" unless `judge` (a scripted reply function) says otherwise."""
    scripted.register("debater", debater)
    scripted.register("judge", judge or (lambda messages: "Answer: A, 70%"))
    args = ["run", str(ROOT / "protocols" / "debate.yaml"), "--runs-dir", str(tmp_path), "--limit", str(limit),
            "--set", "params.judge_kind=model", "--set", f"params.rounds={rounds}", "--set", "cache=false",
            "--model", "judge=scripted:judge"]
    for role in ("debater_a", "debater_b", "consultant"):
        args += ["--model", f"{role}=scripted:debater"]
    assert main(args) == status
    return _only_run(tmp_path)


CRITIQUE = "The answer gets the year Agnes Morrow became keeper wrong."


def critique_run(tmp_path: Path, *, limit: int = 2, meta_depth: int = 1) -> Path:
    """protocols/critique.yaml with a scripted critic, meta-critic and judge; lexical grading."""
    scripted.register("critic", lambda m: f"1. {CRITIQUE}\n2. The answer is vague about the light.")
    scripted.register("meta", lambda m: "This point is right: the passage gives 1902.")
    scripted.register("judge", lambda m: "1. The year is wrong.\n2. Something about kerosene.")
    args = ["run", str(ROOT / "protocols" / "critique.yaml"), "--runs-dir", str(tmp_path), "--limit", str(limit),
            "--set", f"params.meta_depth={meta_depth}", "--set", "params.show_critique_tree=true",
            "--set", "cache=false", "--model", "critic=scripted:critic", "--model", "meta_critic=scripted:meta",
            "--model", "judge=scripted:judge", "--model", "grader=scripted:judge"]
    assert main(args) == 0
    return _only_run(tmp_path)


def summarizer(messages: list[Message]) -> str:
    """A unique, traceable summary per node: leaves name their part, merges the parts they cover,
    running summaries their last part. Part 2 is over budget once (retried); part 5 stays over
    (cut)."""
    prompt = messages[-1].content
    if "The same summary in at most" in prompt:
        return ("Still far too long " * 30) if "part 5 " in prompt else "Short leaf summary of part 2."
    parts = [int(p) for p in re.findall(r"^Part (\d+) of \d+:$", prompt, re.M)]
    if "Running summary of parts 1 to" in prompt:
        return f"Running summary through part {parts[-1]}."
    if parts:
        return f"Leaf summary of part {parts[-1]} " + ("with many words " * 30 if parts[-1] in (2, 5) else "alone.")
    covered = [int(n) for n in re.findall(r"part(?:s \d+-)?(?: )?(\d+)", prompt.split("consecutive parts:")[-1])]
    firsts = [int(n) for n in re.findall(r"(?:part |parts )(\d+)", prompt.split("consecutive parts:")[-1])]
    return f"Merged summary of parts {min(firsts)}-{max(covered)}."


NODE_VERDICT = "Faithfulness: 6\nCoverage: 5\nThe judge liked the lighthouse detail."
COHERENCE_VERDICT = "2: causal omission\nThe judge found sentence two abrupt."


def summarize_run(tmp_path: Path, strategies: str = "[hierarchical, incremental]") -> Path:
    """protocols/summarize.yaml (the 2,700-word story, 9 chunks, fan-in 3) with scripted models."""
    scripted.register("summ", summarizer)
    scripted.register("sjudge", lambda m: COHERENCE_VERDICT if "Confusing sentences:" in m[-1].content else NODE_VERDICT)
    args = ["run", str(ROOT / "protocols" / "summarize.yaml"), "--runs-dir", str(tmp_path), "--set", "cache=false",
            "--set", f"params.strategies={strategies}", "--model", "summarizer=scripted:summ",
            "--model", "judge=scripted:sjudge"]
    assert main(args) == 0
    return _only_run(tmp_path)


def _only_run(tmp_path: Path) -> Path:
    [run] = [d for d in tmp_path.iterdir() if d.is_dir()]
    return run


def screen_text(app: App[object]) -> str:
    """The characters on the terminal right now, as a person would read them."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


# ---- a protocol with rating views (the shape summary nodes have), for the generic view and rating form ----

from oversight.protocol.contract import JudgeResponse, JudgeView, TextReader  # noqa: E402
from tests.helpers.qa_protocol import QAProtocol  # noqa: E402


class RatedProtocol(QAProtocol):
    """The runner's `qa` protocol plus one rating view per transcript, on two scales."""

    name = "rated"
    rating_scales = ("faithfulness", "coverage")

    def judge_views(self, transcript: dict[str, Any], params: Any, texts: TextReader) -> list[JudgeView]:
        return [JudgeView(key="node:0", template="judge_node", answer_kind="rating",
                          variables={"inputs": f"QUESTION-{transcript['item_id']}",
                                     "summary": transcript["outcome"]["answer"]})]

    def verdict(self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse, params: Any) -> dict[str, Any]:
        return {"key": view.key, **(response.ratings or {}), "comment": response.comment}


def rated_run(tmp_path: Path, monkeypatch: Any) -> Path:
    """A finished run of the `rated` protocol: 3 items x 2 conditions."""
    import json

    import yaml
    from importlib import metadata

    from oversight.protocol import registry as protocol

    known = protocol._entry_points()
    rated = metadata.EntryPoint(name="rated", value="tests.helpers.tui_runs:RatedProtocol", group=protocol.ENTRY_POINT_GROUP)
    monkeypatch.setattr(protocol, "_entry_points", lambda: {**known, "rated": rated})
    (tmp_path / "items.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i} plus {i}?",
                                                              "answer": str(2 * i)}) + "\n" for i in range(3)))
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump({
        "name": "rated", "protocol": "rated", "task": {"path": "items.jsonl"},
        "models": {"answerer": "scripted:math"}, "params": {"conditions": ["plain", "hint"]}}))
    scripted.register("math", lambda messages: "4")
    assert main(["run", str(tmp_path / "exp.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 0
    return _only_run(tmp_path / "runs")


# ---- fixtures: runs are made before an async test starts its event loop ----

import pytest  # noqa: E402


@pytest.fixture
def debate_folder(tmp_path: Path) -> Path:
    return debate_run(tmp_path)


@pytest.fixture
def critique_folder(tmp_path: Path) -> Path:
    return critique_run(tmp_path)


@pytest.fixture
def summarize_folder(tmp_path: Path) -> Path:
    return summarize_run(tmp_path)


@pytest.fixture
def rated_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return rated_run(tmp_path, monkeypatch)


def joined(screen: str) -> str:
    """A screen's words as one line, each line's speech gutter ("│ ") dropped, so a speech that
    wraps reads as it was written."""
    return " ".join(" ".join(line.strip().removeprefix("\u2502 ").split()) for line in screen.splitlines()).strip()

