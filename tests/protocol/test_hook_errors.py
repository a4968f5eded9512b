"""A third-party protocol whose hooks raise, or whose package fails to import, gives the person one
line naming the protocol and the hook (exit 2 from the CLI), never a traceback and never a quiet
fallback to the generic behaviour; a protocol that is simply not installed here still falls back.
The review app's side is in tests/tui/test_review_hook_errors.py."""

from __future__ import annotations

import json
import sys
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

import oversight.protocol.registry as registry
from oversight.core.errors import UserError
from oversight.models.providers import scripted
from oversight.protocol import ProtocolNotInstalled, call_hook, get_protocol
from oversight.protocol.importing import formats, get_importer
from oversight.report.plots import drawer_for
from oversight.report.plots.generic import headline_plot
from oversight.tui import views
from oversight.tui.review import ReviewApp
from tests.helpers.broken_protocol import ERRORS, FAILING, HERE, BrokenProtocol, cli, error_line, make_run
from tests.helpers.broken_protocol import register, run  # noqa: F401 (fixtures)


# ---- the helper itself ------------------------------------------------------------------------


@pytest.mark.parametrize("exc", ERRORS, ids=lambda e: type(e).__name__)
def test_call_hook_names_protocol_hook_and_exception_in_one_line(exc: BaseException, register: Any) -> None:
    FAILING["headline"] = exc
    with pytest.raises(UserError) as caught:
        call_hook(get_protocol("broken"), "headline", {"accuracy": 1.0})
    assert str(caught.value).startswith(f"protocol 'broken': its headline hook failed ({type(exc).__name__}: ")
    assert caught.value.__cause__ is exc  # kept for someone debugging in Python


@given(st.text(max_size=400))
def test_any_exception_text_gives_one_short_line(message: str) -> None:
    class Proto:
        name = "third-party"

        def judgment_body(self) -> None:
            raise ValueError(message)

    with pytest.raises(UserError) as caught:
        call_hook(Proto(), "judgment_body")
    shown = str(caught.value)
    assert "\n" not in shown and "\r" not in shown and len(shown) < 320
    assert shown.startswith("protocol 'third-party': its judgment_body hook failed (ValueError: ")


def test_a_user_error_from_a_hook_is_the_protocols_own_message(register: Any) -> None:
    FAILING["headline"] = UserError("metrics.json: 'accuracy' missing: run `oversight report` again")
    with pytest.raises(UserError, match=r"^metrics\.json: 'accuracy' missing"):
        call_hook(get_protocol("broken"), "headline", {})


# ---- oversight report ---------------------------------------------------------------------------


@pytest.mark.parametrize("exc", ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("hook", ["metrics", "figures"])
def test_report_of_a_run_whose_hook_raises_is_one_line_exit_2(run: Path, capsys: Any, hook: str,
                                                             exc: BaseException) -> None:
    assert cli(capsys, "report", str(run))[0] == 0
    FAILING[hook] = exc
    code, err = cli(capsys, "report", str(run))
    assert code == 2
    assert error_line(err).startswith(f"error: protocol 'broken': its {hook} hook failed ({type(exc).__name__}: ")


@pytest.mark.parametrize("hook", ["headline", "cross_run"])
def test_side_by_side_report_with_a_failing_hook_is_one_line_exit_2(tmp_path: Path, register: Any, capsys: Any,
                                                                   hook: str) -> None:
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    code, _ = cli(capsys, "report", str(a), str(b), "--out", str(tmp_path / "out"))
    assert code == 0
    FAILING[hook] = KeyError("judge")
    code, err = cli(capsys, "report", str(a), str(b), "--out", str(tmp_path / "out"))
    assert code == 2
    assert error_line(err) == f"error: protocol 'broken': its {hook} hook failed (KeyError: 'judge')"


def test_a_headline_hook_returning_garbage_is_one_line(run: Path, register: Any, capsys: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "figures", "")  # the generic plot reads the headline rows
    monkeypatch.setattr(BrokenProtocol, "headline", lambda self, metrics: {"accuracy": 0.5})
    code, err = cli(capsys, "report", str(run))
    assert code == 2 and "protocol 'broken': its headline hook returned {'accuracy': 0.5}, not a list" in err


def test_a_figures_hook_that_cannot_be_loaded_is_one_line(run: Path, register: Any, capsys: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "figures", f"{HERE}:no_such_drawer")
    code, err = cli(capsys, "report", str(run))
    assert code == 2
    assert error_line(err).startswith(f"error: protocol 'broken': its figures hook '{HERE}:no_such_drawer' "
                                       f"cannot be loaded (AttributeError: ")


# ---- a protocol package that fails to import -----------------------------------------------------


BREAKAGES = {
    "ImportError": "from os import path_that_is_not_there\n",
    "ModuleNotFoundError": "import scipy_that_is_not_installed\n",
    "KeyError": "import os\nos.environ['BROKEN_PROTOCOL_SETTING_THAT_IS_UNSET']\n",
    "TypeError": "len(None)\n",
    "RecursionError": "def f():\n    return f()\nf()\n",
    "SyntaxError": "class BrokenProtocol(:\n    pass\n",
}


def _shattered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> str:
    """A protocol package that raises `kind` while it is imported; returns its "module:attr"."""
    module = f"shattered_{kind.lower()}_{uuid.uuid4().hex[:8]}"
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / f"{module}.py").write_text(BREAKAGES[kind])
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return f"{module}:BrokenProtocol"


@pytest.mark.parametrize("kind", sorted(BREAKAGES))
def test_a_protocol_that_fails_to_import_is_an_error_not_a_missing_protocol(
        run: Path, tmp_path: Path, register: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    register(broken=_shattered(tmp_path, monkeypatch, kind))
    with pytest.raises(UserError) as caught:
        get_protocol("broken")
    assert not isinstance(caught.value, ProtocolNotInstalled)
    assert f"protocol 'broken': cannot load shattered_{kind.lower()}" in str(caught.value)
    assert f"({kind}: " in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(UserError, match="cannot load"):
        drawer_for({"protocol": "broken"})  # not the generic plot
    def never(self: Any) -> None:
        raise AssertionError("review started its app on a protocol that cannot be loaded")

    monkeypatch.setattr(ReviewApp, "run", never)
    for command in (["report", str(run)], ["review", str(run)]):
        code, err = cli(capsys, *command)
        assert code == 2 and "protocol 'broken': cannot load" in error_line(err)


def test_a_protocol_not_installed_here_falls_back_and_says_so(run: Path, register: Any) -> None:
    register()  # the run's protocol is gone
    assert drawer_for({"protocol": "broken"}) is headline_plot
    assert views.not_installed("broken") == "protocol 'broken' is not installed here: transcripts are shown in the generic view"
    with pytest.raises(ProtocolNotInstalled):
        get_protocol("broken")



# ---- oversight import ---------------------------------------------------------------------------


IMPORTER = '''
import json
from pathlib import Path

FORMAT = {format!r}

def import_file(path, runs_dir):
    {body}

def summary(imported):
    return "imported nothing"
'''


def _importer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, fmt: str = "broken-sheet",
              body: str = "raise KeyError('answer')", extra: str = "") -> str:
    module = f"broken_importer_{uuid.uuid4().hex[:8]}"
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / f"{module}.py").write_text(IMPORTER.format(format=fmt, body=body) + extra)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(BrokenProtocol, "importers", {"broken-sheet": module})
    return module


def _sheet(tmp_path: Path) -> Path:
    sheet = tmp_path / "answers.csv"
    sheet.write_text('id,question,answer\nq1,"What is 2+2?  ",4\n')
    return sheet


@pytest.mark.parametrize("exc", ["KeyError('answer')", "TypeError('expected str, got NoneType')",
                                 "ImportError('No module named pandas')", "RecursionError('too deep')"])
def test_import_with_a_failing_importer_is_one_line_exit_2(tmp_path: Path, register: Any, capsys: Any,
                                                           monkeypatch: pytest.MonkeyPatch, exc: str) -> None:
    _importer(tmp_path, monkeypatch, body=f"raise {exc}")
    code, err = cli(capsys, "import", "broken-sheet", str(_sheet(tmp_path)), "--runs-dir", str(tmp_path / "runs"))
    assert code == 2
    kind = exc.split("(")[0]
    assert error_line(err).startswith(
        f"error: protocol 'broken': its importers['broken-sheet'].import_file hook failed ({kind}: ")


@pytest.mark.parametrize("case,expected", [
    ("missing", "its importer of format 'broken-sheet' is module 'no_such_importer_module', which is not installed"),
    ("raises", "cannot be loaded (ZeroDivisionError: division by zero)"),
    ("format", "declares FORMAT 'broken-csv', not 'broken-sheet'"),
    ("summary", "has no summary() function"),
])
def test_a_bad_importer_module_is_one_line_naming_protocol_format_and_module(
        tmp_path: Path, register: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch, case: str, expected: str) -> None:
    if case == "missing":
        monkeypatch.setattr(BrokenProtocol, "importers", {"broken-sheet": "no_such_importer_module"})
    elif case == "raises":
        _importer(tmp_path, monkeypatch, extra="1 / 0\n")
    elif case == "format":
        _importer(tmp_path, monkeypatch, fmt="broken-csv")
    else:
        _importer(tmp_path, monkeypatch, extra="del summary\n")
    code, err = cli(capsys, "import", "broken-sheet", str(_sheet(tmp_path)), "--runs-dir", str(tmp_path / "runs"))
    assert code == 2
    line = error_line(err)
    assert line.startswith("error: protocol 'broken': its importer of format 'broken-sheet'") and expected in line
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_a_broken_protocol_costs_only_its_own_formats(tmp_path: Path, register: Any, capsys: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    register(broken=_shattered(tmp_path, monkeypatch, "ImportError"))
    assert formats()["nyu-debate"] == "oversight.protocols.debate.importers.nyu"
    assert "broken-sheet" not in formats()
    code, err = cli(capsys, "import", "broken-sheet", str(_sheet(tmp_path)), "--runs-dir", str(tmp_path / "runs"))
    assert code == 2
    line = error_line(err)
    assert "import format 'broken-sheet' is unknown (use one of: " in line and "nyu-debate" in line
    assert "protocols that failed to load" in line and "protocol 'broken': cannot load shattered_importerror" in line


def test_two_protocols_claiming_one_format_are_named(tmp_path: Path, register: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    class Rival(BrokenProtocol):
        name = "rival"
        importers = {"nyu-debate": "rival_pkg.nyu"}

    monkeypatch.setattr(sys.modules[BrokenProtocol.__module__], "Rival", Rival, raising=False)
    register(broken=f"{HERE}:BrokenProtocol", rival=f"{HERE}:Rival")
    with pytest.raises(UserError) as caught:
        get_importer("broken-sheet")
    assert str(caught.value) == ("import format 'nyu-debate' is claimed by two protocols, 'debate' "
                                 "(oversight.protocols.debate.importers.nyu) and 'rival' (rival_pkg.nyu): rename one")


# ---- two distributions registering one name ---------------------------------------------------------


REAL_ENTRY_POINTS = registry._entry_points  # before conftest replaces it for each test


class _Dist:
    def __init__(self, name: str) -> None:
        self.name = name


def _dist_point(dist: str, value: str, name: str = "tabular") -> metadata.EntryPoint:
    ep = metadata.EntryPoint(name=name, value=value, group=registry.ENTRY_POINT_GROUP)
    return ep._for(_Dist(dist))  # type: ignore[attr-defined]


@pytest.mark.parametrize("same", [False, True])
def test_two_distributions_registering_one_name(monkeypatch: pytest.MonkeyPatch, same: bool) -> None:
    points = [_dist_point("tabular-oversight", "tabular_oversight:Protocol"),
              _dist_point("tabular-fork", "tabular_oversight:Protocol" if same else "tabular_fork.proto:Protocol")]
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group=None: points)
    REAL_ENTRY_POINTS.cache_clear()
    try:
        if same:
            assert REAL_ENTRY_POINTS()["tabular"].value == "tabular_oversight:Protocol"
        else:
            with pytest.raises(UserError) as caught:
                REAL_ENTRY_POINTS()
            assert str(caught.value) == (
                "protocol 'tabular' is registered by two installed distributions, 'tabular-oversight' "
                "(tabular_oversight:Protocol) and 'tabular-fork' (tabular_fork.proto:Protocol): uninstall one, "
                "or rename its entry point in the 'oversight.protocols' group")
    finally:
        REAL_ENTRY_POINTS.cache_clear()


# ---- re-judging -------------------------------------------------------------------------------------


def test_rejudging_with_a_failing_verdict_hook_records_failures_naming_it(run: Path, capsys: Any) -> None:
    scripted.register("verdict", lambda messages: "right, it says 4")
    FAILING["judge_verdict"] = KeyError("grader")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict")
    assert code in (0, 1), err
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines() if x.strip()]
    failed = [r for r in records if r.get("judge", {}).get("kind") == "model" and r.get("failed")]
    assert len(failed) == 2  # counted as failures, never scored
    assert {r["reason"] for r in failed} == {"protocol 'broken': its judge_verdict hook failed (KeyError: 'grader')"}
    assert all(r["raw"] == "right, it says 4" for r in failed)


def test_rejudging_with_a_failing_schema_hook_is_one_line_exit_2(run: Path, capsys: Any) -> None:
    scripted.register("verdict", lambda messages: "right")
    FAILING["response_schema"] = TypeError("'NoneType' object is not iterable")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict")
    assert code == 2
    assert error_line(err) == ("error: protocol 'broken': its response_schema hook failed "
                                "(TypeError: 'NoneType' object is not iterable)")


def test_a_protocol_whose_constructor_raises_is_one_line(register: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: Any) -> None:
        raise FileNotFoundError(2, "No such file or directory", "/etc/broken/settings.toml")

    monkeypatch.setattr(BrokenProtocol, "__init__", explode)
    with pytest.raises(UserError) as caught:
        get_protocol("broken")
    assert str(caught.value) == (f"protocol 'broken': cannot load {HERE}:BrokenProtocol (FileNotFoundError: "
                                 f"[Errno 2] No such file or directory: '/etc/broken/settings.toml')")
