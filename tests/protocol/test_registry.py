"""The registry: built-ins by "module:attr" strings, other distributions by entry points."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "from oversight.protocol import get_protocol; print(get_protocol('critique').name, get_protocol('debate').name)"


def _dist(site: Path, name: str, entry: str) -> None:
    info = site / f"{name}-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(f"[oversight.protocols]\n{entry}\n")


def _probe(site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)


def test_entry_points_an_old_install_of_oversight_left_behind_do_not_clash(tmp_path: Path) -> None:
    _dist(tmp_path, "oversight", "debate = oversight.protocols.debate:OldDebateProtocol")
    out = _probe(tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["critique", "debate"]


def test_another_distribution_taking_a_built_in_name_is_refused_naming_its_entry_point(tmp_path: Path) -> None:
    _dist(tmp_path, "someone-else", "debate = their_pkg:Debate")
    out = _probe(tmp_path)
    assert out.returncode != 0
    assert "protocol 'debate' is built in, but an installed package also registers 'their_pkg:Debate'" in out.stderr
