"""Which files an experiment may read: its prompts and task files, never the process's secrets.

An experiment file can come from anyone (a paper's repository, a colleague), and what it reads
is sent to models and stored in the run folder. So a prompt or task path must be a regular file
inside an allowed folder, after every symlink is followed:

- the experiment file's own folder (and below);
- the task sets, experiments and prompts shipped with oversight (`tasks/`, `protocols/`, the package);
- folders the person running allows: `--allow-path DIR` (run, validate, judge), or
  `OVERSIGHT_ALLOW_PATHS` (folders separated by the OS path separator, `:` on Unix); a run
  records them so `--resume` reads the same files;
- a file named on the command line (`judge --prompt FILE`).

Whatever the folder, files under /proc, /sys and /dev and anything that is not a regular file
(FIFOs, sockets, devices, folders) are refused: `/proc/self/environ` holds the API keys.
A refused path is a one-line UserError naming the field, the path and what to do.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from oversight.core.errors import UserError, bounded

ALLOW_ENV = "OVERSIGHT_ALLOW_PATHS"
_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parent
SHIPPED_TASKS = _CHECKOUT / "tasks"
"""The task files we write ourselves (tasks/README.md), addressable as `task: {builtin: NAME}`."""
SHIPPED = tuple(p for p in (_CHECKOUT / "tasks", _CHECKOUT / "protocols", _PACKAGE) if p.is_dir())
"""The shipped task sets, experiments and the package itself (its prompt files)."""
SPECIAL = ("/proc", "/sys", "/dev")

_allowed: list[Path] = []
"""Folders and files allowed for this command (the CLI sets them; a library caller may too)."""


def set_allowed(paths: Iterable[str | Path]) -> None:
    """The folders (or single files) this command may read beyond the defaults; replaces earlier ones."""
    _allowed[:] = [Path(os.path.realpath(os.path.expanduser(str(p)))) for p in paths if str(p)]


def allow(paths: Iterable[str | Path]) -> None:
    """Add folders or files to what this command may read (a resumed run's recorded ones)."""
    _allowed.extend(Path(os.path.realpath(os.path.expanduser(str(p)))) for p in paths if str(p))


def from_env() -> list[Path]:
    """The folders OVERSIGHT_ALLOW_PATHS names (read when a path is checked, for library callers too)."""
    return [Path(os.path.realpath(os.path.expanduser(p))) for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep)
            if p.strip()]


def allowed() -> list[str]:
    """The extra folders allowed now (flags and OVERSIGHT_ALLOW_PATHS), as recorded with a run."""
    return list(dict.fromkeys(str(p) for p in [*_allowed, *from_env()]))


def _special_devices() -> set[int]:
    devices = set()
    for root in SPECIAL[:2]:
        try:
            devices.add(os.stat(root).st_dev)
        except OSError:
            pass
    return devices


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def check_file(path: Path, field: str, base_dir: Path | None) -> Path:
    """`path` if it may be read as `field` (e.g. `prompts.judge_blind`); else a UserError."""
    real = Path(os.path.realpath(path))
    shown = bounded(str(path))
    via = f" (a link to {bounded(str(real))})" if str(real) != os.path.abspath(path) else ""
    if any(_inside(real, Path(s)) for s in SPECIAL):
        raise UserError(f"{field}: {shown}{via} is a system file under {'/'.join(('',) + real.parts[1:2])}, "
                        f"not a text file; give a regular file")
    try:
        info = os.stat(real)
    except OSError as exc:
        raise UserError(f"{field}: {shown}{via}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode) or info.st_dev in _special_devices():
        kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                or stat.S_ISBLK(info.st_mode) else "not a regular file")
        raise UserError(f"{field}: {shown}{via} is {kind}; give a regular text file")
    roots = ([Path(os.path.realpath(base_dir))] if base_dir is not None else []) + [*SHIPPED, *_allowed, *from_env()]
    if not any(_inside(real, root) for root in roots):
        where = f"the experiment's folder {base_dir}" if base_dir is not None else "the allowed folders"
        raise UserError(f"{field}: {shown}{via} is outside {where}; move the file there, or allow its "
                        f"folder with --allow-path {real.parent} (or {ALLOW_ENV})")
    return path


__all__ = ["ALLOW_ENV", "SHIPPED", "allow", "allowed", "check_file", "from_env", "set_allowed"]
