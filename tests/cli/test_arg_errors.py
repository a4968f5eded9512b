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
