"""`oversight judge` takes each protocol's shorthand flags (its `rejudge_flags`) with no edit to
the command line's code; they are added only when `judge` parses, so other commands never load
the protocols."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import ClassVar

import pytest

import oversight.protocol.registry as registry
from oversight.cli.judge import shorthand_flags
from oversight.cli.main import _parser
from tests.helpers.qa_protocol import QAProtocol

ROOT = Path(__file__).resolve().parents[2]


class CheckedQA(QAProtocol):
    """A protocol whose verdict would call a `checker` model, bound by `--checker SPEC`."""

    name = "qa-checked"
    rejudge_flags: ClassVar[dict[str, str]] = {"--checker": "checker"}


@pytest.fixture()
def protocols(monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in protocols, CheckedQA, and one whose package is broken."""
    known = registry._entry_points()
    extra = {name: metadata.EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP)
             for name, value in (("qa-checked", f"{__name__}:CheckedQA"), ("broken", "no_such_package:Protocol"))}
    monkeypatch.setattr(registry, "_entry_points", lambda: {**known, **extra})


def test_every_protocols_shorthand_is_a_judge_flag(protocols: None) -> None:
    args = _parser().parse_args(["judge", "runs/x", "--model", "scripted:j", "--checker", "scripted:c",
                                 "--grader", "anthropic:claude-sonnet-4-5"])
    assert shorthand_flags(args) == {"--checker": "scripted:c", "--grader": "anthropic:claude-sonnet-4-5"}
    assert shorthand_flags(_parser().parse_args(["judge", "runs/x", "--model", "scripted:j"])) == {}


def test_help_names_each_shorthand_with_the_protocols_that_declare_it(
        protocols: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["judge", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--checker SPEC shorthand for --bind checker=SPEC (qa-checked)" in shown
    assert "--grader SPEC shorthand for --bind grader=SPEC (critique)" in shown


def test_a_flag_no_protocol_declares_is_still_refused(protocols: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        _parser().parse_args(["judge", "runs/x", "--model", "scripted:j", "--verifier", "scripted:v"])
    assert stop.value.code == 2 and "--verifier" in capsys.readouterr().err


def _loads_protocols(argv: list[str]) -> bool:
    code = ("import sys; from oversight.cli.main import _parser; _parser().parse_args(sys.argv[1:]); "
            "print(any(m.startswith('oversight.protocols.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return out.stdout.strip() == "True"


def test_only_judge_loads_the_protocols_to_parse() -> None:
    assert not _loads_protocols(["report", "runs/x"])
    assert not _loads_protocols(["export", "runs/x", "--format", "csv"])
    assert _loads_protocols(["judge", "runs/x", "--model", "scripted:j"])
