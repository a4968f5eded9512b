"""Every bad input is one line and exit 2, with no traceback and no half-made run folder (issue 15)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Callable

import pytest

from oversight.cli.main import main
from tests.config.test_config_errors import CASES as CONFIG_CASES, GOOD, write_items

BOMB = """\
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
"""

Setup = Callable[[Path, pytest.MonkeyPatch], list[str]]
"""Prepares tmp_path (and the environment) and returns extra CLI arguments."""


def nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return []


def runs_dir_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "runs").write_text("not a folder")
    return []


def runs_dir_under_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "afile").write_text("")
    return ["--runs-dir", str(tmp_path / "afile" / "runs")]


def runs_dir_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "ro").mkdir()
    real_access = os.access
    # Tests may run as root, which writes anywhere: the filesystem's answer is simulated.
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == tmp_path / "ro" else real_access(path, mode))
    return ["--runs-dir", str(tmp_path / "ro")]


def cache_dir_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "cachefile").write_text("")
    monkeypatch.setenv("OVERSIGHT_CACHE_DIR", str(tmp_path / "cachefile" / "responses"))
    return []


def mkdir_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENAMETOOLONG, "File name too long")

    monkeypatch.setattr(Path, "mkdir", refuse)
    return []


def yaml_of(extra: str) -> str:
    return GOOD + extra


CASES: list[tuple[str, str, Setup, list[str], list[str]]] = [
    # (id, experiment text, setup, extra args, fragments of the one-line message)
    *[(c[1][0], c[0], nothing, [], c[1]) for c in CONFIG_CASES],
    ("alias bomb", GOOD + BOMB, nothing, [], ["expands to more than 100,000 values", "aliases"]),
    ("alias bomb in --set", GOOD, nothing, ["--set", "params.x=" + json.dumps([[["x"] * 60] * 60] * 60)],
     ["--set params.x", "expands to more than"]),
    ("long name", GOOD.replace("name: qa-test", "name: " + "n" * 150), nothing, [],
     ["name", "at most 100 characters"]),
    ("bool limit", GOOD, nothing, ["--set", "limit=true"], ["limit: expected a number, got true"]),
    ("bool seed", yaml_of("seed: false\n"), nothing, [], ["seed: expected a number, got false"]),
    ("bool max_tokens", yaml_of("generation: {default: {max_tokens: true}}\n"), nothing, [],
     ["generation.default.max_tokens: expected a number, got true"]),
    ("bool params", GOOD, nothing, ["--set", "params.conditions=[a]", "--set", "retry.max_attempts=true"],
     ["retry.max_attempts: expected a number"]),
    ("inf timeout", yaml_of("generation: {default: {timeout_s: .inf}}\n"), nothing, [],
     ["generation.default.timeout_s: must be a finite number"]),
    ("inf max_delay", yaml_of("retry: {max_delay_s: .inf}\n"), nothing, [], ["retry.max_delay_s: must be a finite number"]),
    ("nan base_delay", yaml_of("retry: {base_delay_s: .nan}\n"), nothing, [], ["retry.base_delay_s"]),
    ("huge value echoed", GOOD, nothing, ["--set", "seed=" + "9x" * 50_000], ["seed: Input should be a valid integer", "..."]),
    ("int past 4300 digits", yaml_of("seed: " + "9" * 5000 + "\n"), nothing, [], ["exp.yaml", "more than 4,300 digits"]),
    ("int past 4300 digits in --set", GOOD, nothing, ["--set", "limit=" + "9" * 5000], ["--set limit", "more than 4,300 digits"]),
    ("NUL in the file", yaml_of("description: a\x00b\n"), nothing, [], ["exp.yaml", "control character"]),
    ("sweep too big", yaml_of("sweep: {seed: " + json.dumps(list(range(40))) + ", limit: " + json.dumps(list(range(1, 41))) + "}\n"),
     nothing, [], ["1,600 grid points", "more than 1,000"]),
    ("runs dir is a file", GOOD, runs_dir_is_a_file, [], ["--runs-dir", "is a file"]),
    ("runs dir under a file", GOOD, runs_dir_under_a_file, [], ["--runs-dir", "is under a file"]),
    ("runs dir read-only", GOOD, runs_dir_read_only, [], ["--runs-dir", "is not writable"]),
    ("cache dir is a file", GOOD, cache_dir_is_a_file, [], ["OVERSIGHT_CACHE_DIR", "is a file"]),
    ("run folder cannot be made", GOOD, mkdir_fails, [], ["--runs-dir", "cannot create a run folder (File name too long)"]),
]


@pytest.mark.parametrize("text,setup,extra,fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_leaves_no_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    text: str, setup: Setup, extra: list[str], fragments: list[str],
) -> None:
    write_items(tmp_path)
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    runs = tmp_path / "runs"
    extra = setup(tmp_path, monkeypatch) + extra
    args = ["run", str(path), *extra] if "--runs-dir" in extra else ["run", str(path), "--runs-dir", str(runs), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err[:2000]
    assert len(err) < 600, err[:2000]
    assert "Traceback" not in err and err.startswith("error: ")
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert not runs.is_dir() or not any(runs.iterdir())  # nothing half-made


def test_validate_refuses_the_same_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD + BOMB)
    assert main(["validate", str(tmp_path / "exp.yaml")]) == 2
    assert "expands to more than" in capsys.readouterr().err
    (tmp_path / "exp.yaml").write_text(GOOD.replace("name: qa-test", "name: " + "n" * 101))
    assert main(["validate", str(tmp_path / "exp.yaml")]) == 2
    assert "at most 100 characters" in capsys.readouterr().err


def test_sweep_folder_names_are_bounded_and_distinct(tmp_path: Path) -> None:
    from oversight.config.experiment import NAME_MAX
    from oversight.config.overrides import expand_sweep

    data = {"name": "n" * 100, "sweep": {"params.prompt_suffix_" + "k" * 60: ["v" * 300 + "1", "v" * 300 + "2"],
                                         "models.judge": ["scripted:" + "m" * 200]}}
    names = [config["name"] for config, _ in expand_sweep(data, "exp.yaml")]
    assert all(len(n) <= NAME_MAX for n in names) and len(set(names)) == 2


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_folder_given_as_the_experiment_is_called_a_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    (tmp_path / "exp.yaml").mkdir()
    assert main([command, str(tmp_path / "exp.yaml")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'exp.yaml'}: a folder, not a file; give the "
                                               "experiment's YAML file")
