"""`oversight --version` names the commit of a checkout, so a bug report says which code ran."""

from __future__ import annotations

import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

import oversight
from oversight.cli.main import main


def test_version_names_the_package_and_the_checkouts_commit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    said = capsys.readouterr().out.strip()
    assert oversight.__version__ == version("oversight")  # the installed metadata says the same
    assert said.startswith(f"oversight {oversight.__version__}")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(oversight.__file__).parent, capture_output=True,
                          text=True, check=False)
    if head.returncode == 0:  # a checkout (CI's clean clone is one); an installed wheel has no commit to name
        assert f"(git {head.stdout.strip()[:12]}" in said
    else:
        assert said == f"oversight {oversight.__version__}"
