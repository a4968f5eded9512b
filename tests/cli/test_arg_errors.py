"""A mistyped command line gets our one-line error naming the command and its --help, exit 2:
never argparse's usage block, whatever the command."""

from __future__ import annotations

import pytest

from oversight.cli.main import COMMANDS, main


def one_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    out, err = capsys.readouterr()
    assert stop.value.code == 2 and out == ""
    assert err.endswith("\n") and err.count("\n") == 1 and "usage:" not in err, err
    return err.strip()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unknown_option_of_any_command_is_one_line(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_error([command, "somewhere", "--judge-id", "me", "--no-such-flag", "3"], capsys)
    assert err.startswith(f"error: oversight {command}: ") and err.endswith(f"the options: oversight {command} --help")
    assert "unrecognized argument" in err and "--no-such-flag" in err or "required" in err  # export needs --format


def test_judge_live_names_what_was_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    assert one_error(["judge-live", "x.yaml", "--judge-id", "a", "--set", "x=1"], capsys) == (
        "error: oversight judge-live: unrecognized arguments: --set x=1; the options: oversight judge-live --help")
    assert "required: --judge-id" in one_error(["judge-live", "x.yaml"], capsys)
    assert "(did you mean --limit?)" in one_error(["judge-live", "x.yaml", "--judge-id", "a", "--limt", "2"], capsys)
    assert "invalid choice: 'runn'" in one_error(["runn"], capsys)


def test_each_mistyped_option_gets_its_guess(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_error(["run", "x.yaml", "--limt", "3", "--bogus", "--dry-rn"], capsys)
    assert "unrecognized arguments: --limt 3 --bogus --dry-rn" in err
    assert "(did you mean --limit for --limt; --dry-run for --dry-rn?)" in err


@pytest.mark.parametrize("argv,said", [
    (["run", "--limt", "2", "x.yaml"], "oversight run: unrecognized argument: --limt (did you mean --limit?);"),
    (["--bogus"], "oversight: unrecognized argument: --bogus; the following arguments are required: command;"),
    (["judge", "--bogus"], "oversight judge: unrecognized argument: --bogus; the following arguments are required"),
    (["report", "--bogus", "x"], "oversight report: unrecognized argument: --bogus; the options"),
    (["judge", "--hum"], "oversight judge: the following arguments are required: RUN_DIR;"),
])
def test_an_unknown_option_is_named_before_what_it_took_the_place_of(
        argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert one_error(argv, capsys).startswith(f"error: {said}")


def test_an_unknown_option_before_the_command_is_the_top_levels(capsys: pytest.CaptureFixture[str]) -> None:
    assert one_error(["--bogus", "run", "x.yaml", "--limt", "2"], capsys) == (
        "error: oversight: unrecognized argument: --bogus; the options: oversight --help")
    assert "(did you mean --version?)" in one_error(["--versoin", "ls"], capsys)


@pytest.mark.parametrize("argv,said", [
    (["run"], "give an experiment file"),
    (["run", "protocols/debate.yaml", "--set", "foo"], "--set 'foo': expected KEY=VALUE"),
    (["judge", "runs", "--model", "local", "--judges", "a,b"], "--judges goes with --human"),
    (["judge", "runs"], "give --model SPEC"),
])
def test_a_commands_own_error_about_its_command_line_reads_as_argparses(
        argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: oversight {argv[0]}: {said}")
    # asked for an argument, the user is pointed at the options; an option's error says what to do
    assert err.rstrip().endswith(f"; the options: oversight {argv[0]} --help") == said.startswith("give ")


def test_an_error_about_a_file_names_the_file_first(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    afile = tmp_path / "notes.md"
    afile.write_text("x", encoding="utf-8")
    assert main(["ls", str(afile)]) == 2
    assert capsys.readouterr().err.startswith(f"error: RUNS_DIR {str(afile)!r}: a file, not a folder")


def test_an_options_value_that_starts_with_a_dash_is_not_called_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_error(["judge", "--human", "--judge-id", "-ann lee"], capsys)
    assert err == "error: oversight judge: the following arguments are required: RUN_DIR; the options: oversight judge --help"
    err = one_error(["judge", "--human", "--judge-id", "-ann lee", "--bogus"], capsys)
    assert "unrecognized argument: --bogus;" in err and "-ann lee" not in err


def test_an_abbreviated_option_takes_its_dash_value_and_a_top_level_mistake_is_named(
        capsys: pytest.CaptureFixture[str]) -> None:
    err = one_error(["judge", "--human", "--judge-i", "-ann lee"], capsys)
    assert "-ann lee" not in err and "required: RUN_DIR" in err
    for bad in ("--bogus", "--bogus=1"):
        err = one_error([bad, "judge"], capsys)
        assert err.startswith(f"error: oversight: unrecognized argument: {bad}") and "RUN_DIR" not in err
