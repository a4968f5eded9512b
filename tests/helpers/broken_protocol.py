"""A protocol whose every optional hook can be made to raise (`FAILING[hook] = exc`), registered
for a test by the `register` fixture as an installed package's entry point would be, and a
finished run of it (`broken_run`), for the tests that a broken third-party protocol gives one
line, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.text import Text

import oversight.protocol.registry as registry
from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.protocol.contract import JudgeResponse, JudgeView, TextReader
from oversight.protocol.review import Body, Mark
from oversight.tui import views
from tests.helpers.qa_protocol import QAProtocol

HERE = "tests.helpers.broken_protocol"
FAILING: dict[str, BaseException] = {}
"""Hook name -> the exception it raises; empty: every hook works."""
ERRORS = [ImportError("No module named 'scipy.special'"), KeyError("accuracy"),
          TypeError("'NoneType' object is not subscriptable"), RecursionError("maximum recursion depth exceeded")]


def _maybe_fail(hook: str) -> None:
    exc = FAILING.get(hook)
    if exc is not None:
        raise exc


class BrokenProtocol(QAProtocol):
    """The runner's `qa` protocol with every optional hook, each made to raise on demand."""

    name = "broken"
    figures = f"{HERE}:draw"
    cross_run = f"{HERE}:across"
    cross_run_key = "broken_cross"
    importers = {"broken-sheet": "broken_sheet_importer"}

    def metrics(self, transcripts: list[dict], judgments: list[dict], params: Any) -> dict[str, Any]:
        _maybe_fail("metrics")
        graded = [j for j in judgments if isinstance(j.get("correct"), bool)]  # the run's own exact-match grades
        return super().metrics(transcripts, graded, params)

    def headline(self, metrics: dict[str, Any]) -> list[dict[str, Any]]:
        _maybe_fail("headline")
        return [{"metric": "exact match", "estimate": metrics["accuracy"], "ci": None, "ci_method": None,
                 "n": metrics["table"][0]["n"], "ci_reason": "no interval in this test protocol"}]

    def judge_views(self, transcript: dict[str, Any], params: Any, texts: TextReader) -> list[JudgeView]:
        return [JudgeView(key="judge", template="answer", answer_kind="choice", choices=("right", "wrong"),
                          variables={"question": f"Is {transcript['outcome'].get('answer')!r} right?"})]

    def response_schema(self, view: JudgeView, params: Any) -> dict[str, Any] | None:
        _maybe_fail("response_schema")
        return None

    def verdict(self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse, params: Any) -> dict[str, Any]:
        return {"says_right": (response.text or "").strip().lower().startswith("right")}

    async def judge_verdict(self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse, params: Any,
                            rec: Any) -> dict[str, Any]:
        _maybe_fail("judge_verdict")
        return self.verdict(view, transcript, response, params)

    def review_body(self, transcript: dict[str, Any], params: dict[str, Any], texts: TextReader,
                    judgments: list[dict[str, Any]]) -> Body:
        _maybe_fail("review_body")
        return Body(Text(f"Broken protocol's own view of {transcript['id']}"))

    def judgment_mark(self, judgment: dict[str, Any]) -> Mark | None:
        _maybe_fail("judgment_mark")
        return Mark("right" if judgment.get("correct") else "wrong")

    def transcript_mark(self, judgments: list[dict[str, Any]]) -> Mark | None:
        _maybe_fail("transcript_mark")
        return None

    def judgment_body(self, transcript: dict[str, Any], judgment: dict[str, Any]) -> Any:
        _maybe_fail("judgment_body")
        return Text("graded by the broken protocol")


def draw(metrics: dict[str, Any], ctx: Any) -> Iterator[tuple[str, Any]]:
    """A drawer that is a generator: it fails while the report iterates it, not when called."""
    _maybe_fail("figures")
    yield from ()


def across(runs: list[Any]) -> None:
    _maybe_fail("cross_run")
    return None


@pytest.fixture()
def register(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`register(name=value, ...)`: these entry points beside the installed ones, for this test."""
    known = registry._entry_points()

    def put(**points: str) -> None:
        extra = {name: metadata.EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP)
                 for name, value in points.items()}
        monkeypatch.setattr(registry, "_entry_points", lambda: {**known, **extra})
        views.forget_protocols()

    put(broken=f"{HERE}:BrokenProtocol")
    FAILING.clear()
    yield put
    FAILING.clear()
    views.forget_protocols()


def make_run(tmp_path: Path, name: str = "broken") -> Path:
    """A finished run of the broken protocol (every hook working): 2 items, one answered right."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "items.jsonl").write_text(
        json.dumps({"id": "q1", "question": "What is 2 plus 2?\n\n  Answer briefly.", "answer": "4"}) + "\n"
        + json.dumps({"id": "q2", "question": "Name a prime < 3 \u2014 quickly!", "answer": "2"}) + "\n")
    (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({
        "name": name, "protocol": "broken", "task": {"path": "items.jsonl"},
        "models": {"answerer": "scripted:four"}, "cache": False}))
    scripted.register("four", lambda messages: "4")
    runs = tmp_path / f"runs-{name}"
    assert main(["run", str(tmp_path / f"{name}.yaml"), "--runs-dir", str(runs)]) == 0
    [run] = list(runs.iterdir())
    return run


@pytest.fixture()
def run(tmp_path: Path, register: Any) -> Path:
    """Made in a fixture: the CLI's run cannot start inside an async test's event loop."""
    return make_run(tmp_path)


def cli(capsys: Any, *args: str) -> tuple[int, str]:
    """`oversight ARGS` in this process: its exit code and stderr, which never holds a traceback."""
    capsys.readouterr()
    code = main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def error_line(err: str) -> str:
    """The one `error:` line of a command's stderr."""
    [line] = [x for x in err.splitlines() if x.startswith("error:")]
    return line



__all__ = ["ERRORS", "FAILING", "HERE", "BrokenProtocol", "across", "cli", "draw", "error_line", "make_run",
           "register", "run"]
