"""API keys never leave the environment: prompt and task paths stay inside the allowed folders and
are regular files (links into /proc, FIFOs, devices refused), and as a last line any text about to
be sent or stored that holds a key's value stops the command. Each test plants distinctive keys
and greps every file the framework wrote (run folder, response cache, unit memo) afterwards."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import yaml

from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.core.safe_paths import check_file
from oversight.core.errors import UserError
from tests.helpers.tui_runs import ROOT

PLANTED = {
    "ANTHROPIC_API_KEY": f"sk-ant-api03-PLANTED{uuid.uuid4().hex}",
    "OPENAI_API_KEY": f"sk-proj-PLANTED{uuid.uuid4().hex}",
    "LAB_CLUSTER_TOKEN": f"tok-PLANTED{uuid.uuid4().hex[:12]}",
    "WANDB_SECRET": f"wandb-PLANTED-{uuid.uuid4().hex[:10]}",
}


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in PLANTED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SHORT_TOKEN", "1")  # too short to be a key: must not stop anything
    return PLANTED


def leaked(*roots: Path) -> list[str]:
    """Every file under `roots` that holds a planted key, raw or in any part of its bytes."""
    out = []
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                out += [f"{path}: {name}" for name, value in PLANTED.items() if value.encode() in data]
    return out


def cache_dir() -> Path:
    return Path(os.environ["OVERSIGHT_CACHE_DIR"])


def experiment(folder: Path, **changes: object) -> Path:
    """protocols/critique.yaml with scripted models, one item, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    exp = yaml.safe_load((ROOT / "protocols" / "critique.yaml").read_text())
    exp["task"] = {"path": str(ROOT / "tasks" / "critique_answers.jsonl")}
    exp["models"] = {role: "scripted:echo" for role in exp["models"]}
    exp.update(limit=1, cache=True, **changes)
    path = folder / "exp.yaml"
    path.write_text(yaml.safe_dump(exp))
    return path


def run(path: Path, runs: Path, *extra: str) -> int:
    return main(["run", str(path), "--runs-dir", str(runs), *extra])


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    for value in PLANTED.values():
        assert value not in out and value not in err
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("how", ["dotdot", "symlink", "symlink-to-link"])
def test_a_prompt_path_into_proc_is_refused_before_anything_is_made(tmp_path: Path, keys: dict[str, str], how: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    exp = experiment(tmp_path / "exp")
    if how == "dotdot":
        target = "../" * len(exp.parent.parts) + "proc/self/environ"
    else:
        (exp.parent / "judge.txt").symlink_to("/proc/self/environ")
        target = "judge.txt"
        if how == "symlink-to-link":
            (exp.parent / "inner.txt").symlink_to("/proc/self/environ")
            (exp.parent / "judge.txt").unlink()
            (exp.parent / "judge.txt").symlink_to(exp.parent / "inner.txt")
    data = yaml.safe_load(exp.read_text())
    data["prompts"] = {"critic": target}
    exp.write_text(yaml.safe_dump(data))
    for command in (["validate", str(exp)], ["run", str(exp), "--runs-dir", str(tmp_path / "runs")],
                    ["run", str(exp), "--runs-dir", str(tmp_path / "runs"), "--allow-path", "/"]):
        assert main(command) == 2
        line = one_error(capsys)
        assert "prompts.critic" in line and "/proc" in line and "system file" in line
    assert not (tmp_path / "runs").exists()
    assert leaked(tmp_path, cache_dir()) == []


def test_a_task_file_linked_to_proc_is_refused(tmp_path: Path, keys: dict[str, str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    exp = experiment(tmp_path / "exp")
    (exp.parent / "tasks.jsonl").symlink_to("/proc/self/environ")
    for task in ("tasks.jsonl", "/proc/self/environ", "../" * 12 + "proc/self/environ"):
        data = yaml.safe_load(exp.read_text())
        data["task"] = {"path": task}
        exp.write_text(yaml.safe_dump(data))
        assert run(exp, tmp_path / "runs") == 2
        line = one_error(capsys)
        assert "task.path" in line and "system file under /proc" in line
    assert leaked(tmp_path, cache_dir()) == []


def test_summarize_text_linked_to_proc_is_refused(tmp_path: Path, keys: dict[str, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exp"
    folder.mkdir()
    exp = yaml.safe_load((ROOT / "protocols" / "summarize.yaml").read_text())
    (folder / "book.txt").symlink_to("/proc/self/environ")
    exp["task"] = {"path": "book.txt"}
    exp["models"] = {role: "scripted:echo" for role in exp["models"]}
    (folder / "exp.yaml").write_text(yaml.safe_dump(exp))
    assert run(folder / "exp.yaml", tmp_path / "runs") == 2
    assert "system file under /proc" in one_error(capsys)
    assert leaked(tmp_path, cache_dir()) == []


def test_fifos_devices_folders_and_outside_files_are_refused(tmp_path: Path) -> None:
    base = tmp_path / "exp"
    base.mkdir()
    os.mkfifo(base / "fifo.txt")
    (base / "dev.txt").symlink_to("/dev/zero")
    (base / "folder.txt").mkdir()
    (tmp_path / "outside.txt").write_text("judge {question}")
    (base / "link-out.txt").symlink_to(tmp_path / "outside.txt")
    (base / "ok.txt").write_text("fine")
    cases = {"fifo.txt": "is a FIFO", "dev.txt": "system file under /dev", "folder.txt": "is a folder",
             "../outside.txt": "is outside the experiment's folder", "link-out.txt": "is outside"}
    for name, message in cases.items():
        with pytest.raises(UserError, match=message):
            check_file(base / name, "prompts.judge", base)
    assert check_file(base / "ok.txt", "prompts.judge", base) == base / "ok.txt"
    assert check_file(ROOT / "tasks" / "debate_stories.jsonl", "task.path", base)  # the shipped tasks


def test_allow_path_admits_a_folder_and_a_resume_remembers_it(tmp_path: Path, keys: dict[str, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    prompts = tmp_path / "shared-prompts"
    prompts.mkdir()
    shipped = (ROOT / "oversight" / "protocols" / "critique" / "prompts" / "critic.txt").read_text()
    (prompts / "critic.txt").write_text(shipped)
    exp = experiment(tmp_path / "exp", prompts={"critic": str(prompts / "critic.txt")})
    assert main(["validate", str(exp)]) == 2
    assert "--allow-path" in one_error(capsys)
    assert main(["validate", str(exp), "--allow-path", str(prompts)]) == 0
    os.environ["OVERSIGHT_ALLOW_PATHS"] = str(prompts)
    try:
        assert main(["validate", str(exp)]) == 0
    finally:
        del os.environ["OVERSIGHT_ALLOW_PATHS"]
    assert run(exp, tmp_path / "runs", "--allow-path", str(prompts)) == 0
    [folder] = list((tmp_path / "runs").iterdir())
    meta = yaml.safe_load((folder / "experiment.yaml").read_text())["oversight_run"]
    assert meta["allow_paths"] == [str(prompts.resolve())]
    capsys.readouterr()
    assert main(["run", "--resume", str(folder)]) == 0  # the recorded folder is allowed again


def test_a_key_pasted_into_a_task_stops_the_run_before_it_is_sent_or_stored(
        tmp_path: Path, keys: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    record = json.loads((ROOT / "tasks" / "critique_answers.jsonl").read_text().splitlines()[0])
    record["context"] += f"\nDebug dump: OPENAI_API_KEY={keys['OPENAI_API_KEY']}\n"
    exp = experiment(tmp_path / "exp")
    (exp.parent / "items.jsonl").write_text(json.dumps(record) + "\n")
    data = yaml.safe_load(exp.read_text())
    data["task"] = {"path": "items.jsonl"}
    exp.write_text(yaml.safe_dump(data))
    assert run(exp, tmp_path / "runs") == 2
    line = one_error(capsys)
    assert "OPENAI_API_KEY" in line and "not sent" in line or "not written" in line
    assert scripted.CALLS.get("echo", []) == []  # no model saw it
    assert leaked(tmp_path / "runs", cache_dir()) == []  # (the task file itself holds it)


def test_a_model_echoing_a_key_is_never_stored(tmp_path: Path, keys: dict[str, str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A server that answers with a key (a proxy echoing headers): nothing reaches the cache,
    the unit memo or the run folder."""
    scripted.register("echoes_key", lambda m: f"1. The flaw. {keys['LAB_CLUSTER_TOKEN']}")
    exp = experiment(tmp_path / "exp")
    data = yaml.safe_load(exp.read_text())
    data["models"]["critic"] = "scripted:echoes_key"
    exp.write_text(yaml.safe_dump(data))
    assert run(exp, tmp_path / "runs") == 2
    line = one_error(capsys)
    assert "LAB_CLUSTER_TOKEN" in line and "not written" in line
    assert leaked(tmp_path, cache_dir()) == []


def test_judge_prompt_holding_a_key_is_never_sent(tmp_path: Path, keys: dict[str, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    exp = experiment(tmp_path / "exp")
    assert run(exp, tmp_path / "runs") == 0
    [folder] = list((tmp_path / "runs").iterdir())
    (tmp_path / "judge.txt").write_text("Key " + keys["WANDB_SECRET"] + " {question} {answer} {context}")
    (tmp_path / "environ.txt").symlink_to("/proc/self/environ")
    capsys.readouterr()
    scripted.register("j", ["1. The year is wrong."])
    assert main(["judge", str(folder), "--model", "scripted:j", "--prompt", f"judge_unassisted={tmp_path / 'environ.txt'}"]) == 2
    assert "system file under /proc" in one_error(capsys)
    assert main(["judge", str(folder), "--model", "scripted:j", "--prompt", f"judge_unassisted={tmp_path / 'judge.txt'}"]) == 2
    assert "WANDB_SECRET" in one_error(capsys)
    sent = [m.content for call in scripted.CALLS.get("j", []) for m in call]
    assert not any(keys["WANDB_SECRET"] in text for text in sent)  # other views may have gone out
    assert leaked(tmp_path / "runs", cache_dir()) == []


def test_import_refuses_a_fifo_and_proc(tmp_path: Path, keys: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "debates.jsonl")  # reading it would block for ever
    assert main(["import", "nyu-debate", str(tmp_path / "debates.jsonl"), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "is a FIFO" in one_error(capsys)
    assert main(["import", "nyu-debate", "/proc/self/environ", "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "system file under /proc" in one_error(capsys)
    assert not (tmp_path / "runs").exists()
