"""Published transcripts as run folders: each protocol lists the formats it imports.

A protocol's `importers` maps a format name to a module. An importer module has `FORMAT` (its name on the command line), `import_file(path, runs_dir)
-> Path` (writes a new run folder and returns it) and `summary(imported) -> str` (one line for
the CLI from the run's `oversight_run.imported` provenance). It may add `published_metrics(run_dir)
-> dict` (figures the source paper reports, recomputed from the folder; `oversight report` shows
them). See oversight/protocols/debate/importers/README.md for how to add a format.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from oversight.core.errors import UserError
from oversight.core.safe_paths import allow, check_file
from oversight.protocol.registry import get_protocol, protocol_names


def formats() -> dict[str, str]:
    """Format name -> the module that imports it, from every registered protocol's `importers`."""
    out: dict[str, str] = {}
    for name in protocol_names():
        for fmt, module in get_protocol(name).importers.items():
            if fmt in out and out[fmt] != module:
                raise UserError(f"import format {fmt!r} is claimed by two protocols ({out[fmt]} and {module}): rename one")
            out[fmt] = module
    return out


def get_importer(fmt: str) -> ModuleType:
    """The module for a format name, or a one-line error listing the known ones."""
    known = formats()
    if fmt not in known:
        raise UserError(f"import format {fmt!r} is unknown (use one of: {', '.join(sorted(known)) or 'none'})")
    return importlib.import_module(known[fmt])


def import_file(fmt: str, path: Path, runs_dir: Path) -> Path:
    """Import `path` in format `fmt` into a new run folder under `runs_dir`; return the folder.
    The file is the person's choice, but never a FIFO, a device or a file under /proc."""
    importer = get_importer(fmt)
    if os.path.lexists(path):
        allow([path])
        check_file(Path(path), "FILE", None)
    return importer.import_file(Path(path), Path(runs_dir))


def import_summary(meta: dict[str, Any]) -> str | None:
    """One line saying what an import read and left out, from a run's provenance block
    (`RunFolder.experiment()[1]`); None for a run that was not imported."""
    imported = meta.get("imported")
    if not imported or imported.get("format") not in formats():
        return None
    return get_importer(imported["format"]).summary(imported)


def imported_metrics(run_dir: Path, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The source paper's figures recomputed from an imported run, if its importer has any."""
    imported = meta.get("imported")
    if not imported or imported.get("format") not in formats():
        return None
    hook = getattr(get_importer(imported["format"]), "published_metrics", None)
    return None if hook is None else hook(Path(run_dir))


__all__ = ["formats", "get_importer", "import_file", "import_summary", "imported_metrics"]
