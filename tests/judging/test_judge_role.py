"""Re-judging reads what it needs of a protocol through the contract: the role that judges
(`judge_role`) and the params fields for the judge kind, the view alternatives and the logprob
count (`*_param`). A protocol from another package that names them its own way is judged again
as the built-in ones are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict

from oversight.cli.main import main
from oversight.models.providers import scripted
from tests.helpers.broken_protocol import HERE, BrokenProtocol, cli, error_line, make_run
from tests.helpers.broken_protocol import register  # noqa: F401 (fixture)


class CheckedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conditions: list[str] = ["plain"]
    with_judge: bool = False
    how: Literal["model", "logprob"] = "model"
    alternatives: int = 5


class CheckedProtocol(BrokenProtocol):
    """Judged by a `checker`, its kind in `how`, its logprob count in `alternatives`."""

    name = "checked"
    Params = CheckedParams
    judge_role: ClassVar[str] = "checker"
    optional_roles: ClassVar[frozenset[str]] = frozenset({"checker"})
    judge_kind_param: ClassVar[str | None] = "how"
    top_logprobs_param: ClassVar[str | None] = "alternatives"

    def verdict(self, view: Any, transcript: dict[str, Any], response: Any, params: Any) -> dict[str, Any]:
        return {"says_right": (response.text or "").strip().lower().startswith("right"), "how": params.how}


def _run(tmp_path: Path, **params: Any) -> Path:
    (tmp_path / "items.jsonl").write_text(
        json.dumps({"id": "q1", "question": "What is 2 plus 2?\n\n  Answer briefly.", "answer": "4"}) + "\n"
        + json.dumps({"id": "q2", "question": "Name a prime < 3 \u2014 quickly!", "answer": "2"}) + "\n")
    (tmp_path / "checked.yaml").write_text(yaml.safe_dump({
        "name": "checked", "protocol": "checked", "task": {"path": "items.jsonl"}, "params": params,
        "models": {"answerer": "scripted:four"}, "generation": {"checker": {"max_tokens": 7}}, "cache": False}))
    scripted.register("four", lambda messages: "4")
    assert main(["run", str(tmp_path / "checked.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 0
    [run] = list((tmp_path / "runs").iterdir())
    return run


@pytest.fixture()
def checked(register: Any) -> None:
    register(checked=f"{__name__}:CheckedProtocol")


def _model_judgments(run: Path) -> list[dict[str, Any]]:
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    return [r for r in records if r.get("judge", {}).get("kind") == "model" and r["judge"]["id"] != "exact-match"]


def test_a_protocol_with_its_own_judge_role_is_judged_again(tmp_path: Path, checked: None, capsys: Any) -> None:
    run = _run(tmp_path)
    scripted.register("verdict", lambda messages: "Right: 2 + 2 = 4.")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict")
    assert code == 0, err
    judged = _model_judgments(run)
    assert len(judged) == 2 and all(j["says_right"] and not j.get("failed") for j in judged)
    assert {j["settings"]["max_tokens"] for j in judged} == {7}  # the checker's own generation block
    assert {j["how"] for j in judged} == {"model"}


def test_its_logprob_judge_reads_its_own_param_names(tmp_path: Path, checked: None, capsys: Any) -> None:
    run = _run(tmp_path, how="logprob", alternatives=3)
    scripted.register("verdict", lambda messages: "right")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict", "--dry-run")
    assert code == 0, err
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict")
    judged = _model_judgments(run)
    assert {j["how"] for j in judged} == {"logprob"}  # the run's kind, read from `how`
    assert {(j["settings"]["top_logprobs"], j["settings"]["max_tokens"]) for j in judged} == {(3, 1)}


def test_binding_the_judge_role_points_at_model(tmp_path: Path, checked: None, capsys: Any) -> None:
    run = _run(tmp_path)
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict", "--bind", "checker=scripted:other")
    assert code == 2
    assert error_line(err) == "error: oversight judge: --bind checker: checker is the role --model SPEC judges as; give the model there"


@pytest.mark.parametrize("hook, value, shown", [
    ("judge_kind_param", "judge_kind", "its judge_kind_param hook is 'judge_kind', not a field of its Params"),
    ("swap_param", 3, "its swap_param hook is 3, not a field of its Params"),
    ("judge_role", "", "its judge_role hook is '', not a role name"),
])
def test_a_param_hook_naming_no_field_is_one_line(tmp_path: Path, checked: None, capsys: Any,
                                                  monkeypatch: pytest.MonkeyPatch, hook: str, value: Any,
                                                  shown: str) -> None:
    run = _run(tmp_path)
    monkeypatch.setattr(CheckedProtocol, hook, value)
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict", "--no-swap")
    assert code == 2
    assert error_line(err).startswith(f"error: protocol 'checked': {shown}")


def test_a_protocol_naming_no_kind_field_refuses_logprob(tmp_path: Path, register: Any, capsys: Any) -> None:
    register(broken=f"{HERE}:BrokenProtocol")
    run = make_run(tmp_path)
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict", "--judge-kind", "logprob")
    assert code == 2
    assert error_line(err) == ("error: oversight judge: --judge-kind logprob: protocol 'broken' reads no logprobs; "
                                "use --judge-kind model")
