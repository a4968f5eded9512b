"""Published transcripts as run folders: each protocol lists the formats it imports.

A protocol's `importers` maps a format name to a module. An importer module has `FORMAT` (its name on the command line), `import_file(path, runs_dir)
-> Path` (writes a new run folder and returns it) and `summary(imported) -> str` (one line for
the CLI from the run's `oversight_run.imported` provenance). It may add `published_metrics(run_dir)
-> dict` (figures the source paper reports, recomputed from the folder; `oversight report` shows
them). See oversight/protocols/debate/importers/README.md for how to add a format.

A protocol that fails to load costs only its own formats: the others still import, and asking
for a format no loaded protocol owns names the broken protocols and why.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from oversight.core.errors import UserError, bounded
from oversight.core.safe_paths import allow, check_file
from oversight.protocol.hooks import hook_guard, hook_value
from oversight.protocol.registry import get_protocol, protocol_names


@dataclass(frozen=True)
class Importer:
    """A format's importer module, loaded and checked, and the protocol that declares it."""

    format: str
    protocol: str
    module: ModuleType

    def hook(self, name: str) -> str:
        """How a message names one of its functions, e.g. `importers['nyu-debate'].summary`."""
        return f"importers[{self.format!r}].{name}"


def _catalogue() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Format -> (protocol, module) over the protocols that load, and protocol -> why it did not."""
    out: dict[str, tuple[str, str]] = {}
    broken: dict[str, str] = {}
    for name in protocol_names():
        try:
            importers = hook_value(get_protocol(name), "importers")
            if not isinstance(importers, dict):
                raise UserError(f"protocol {name!r}: its importers hook is a {type(importers).__name__}, "
                                f"not a dict of format -> module")
        except UserError as exc:
            broken[name] = str(exc)
            continue
        for fmt, module in importers.items():
            if fmt in out and out[fmt][1] != module:
                raise UserError(f"import format {fmt!r} is claimed by two protocols, {out[fmt][0]!r} ({out[fmt][1]}) "
                                f"and {name!r} ({module}): rename one")
            out[fmt] = (name, module)
    return out, broken


def formats() -> dict[str, str]:
    """Format name -> the module that imports it, from every protocol that loads."""
    return {fmt: module for fmt, (_, module) in _catalogue()[0].items()}


def _load(fmt: str, protocol: str, name: str) -> ModuleType:
    where = f"protocol {protocol!r}: its importer of format {fmt!r}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(f"{exc.name}.")):
            raise UserError(f"{where} is module {name!r}, which is not installed: fix the protocol's "
                            f"`importers` or reinstall it") from None
        raise UserError(f"{where} ({name}) cannot be loaded (ModuleNotFoundError: {exc})") from None
    except Exception as exc:  # SyntaxError or anything the module raises while loading
        raise UserError(f"{where} ({name}) cannot be loaded ({type(exc).__name__}: "
                        f"{bounded(' '.join(str(exc).split()))})") from None
    declared = getattr(module, "FORMAT", None)
    if declared != fmt:
        raise UserError(f"{where} ({name}) declares FORMAT {declared!r}, not {fmt!r}: make them the same")
    for needed in ("import_file", "summary"):
        if not callable(getattr(module, needed, None)):
            raise UserError(f"{where} ({name}) has no {needed}() function")
    return module


def get_importer(fmt: str) -> Importer:
    """The checked importer of a format, or a one-line error listing the known formats (and any
    protocol that failed to load, since the format may be its)."""
    known, broken = _catalogue()
    if fmt not in known:
        message = f"import format {fmt!r} is unknown (use one of: {', '.join(sorted(known)) or 'none'})"
        if broken:
            message += "; protocols that failed to load, so their formats are not listed: " + "; ".join(
                broken[name] for name in sorted(broken))
        raise UserError(message)
    protocol, name = known[fmt]
    return Importer(fmt, protocol, _load(fmt, protocol, name))


def import_file(fmt: str, path: Path, runs_dir: Path) -> Path:
    """Import `path` in format `fmt` into a new run folder under `runs_dir`; return the folder.
    The file is the person's choice, but never a FIFO, a device or a file under /proc."""
    importer = get_importer(fmt)
    if os.path.lexists(path):
        allow([path])
        check_file(Path(path), "FILE", None)
    with hook_guard(importer.protocol, importer.hook("import_file")):
        made = importer.module.import_file(Path(path), Path(runs_dir))
    return Path(made)


def _imported(meta: dict[str, Any]) -> Importer | None:
    """The importer of an imported run's format; None for a run not imported, or imported in a
    format no protocol here owns (made where another package was installed)."""
    imported = meta.get("imported")
    if not isinstance(imported, dict) or imported.get("format") not in formats():
        return None
    return get_importer(imported["format"])


def import_summary(meta: dict[str, Any]) -> str | None:
    """One line saying what an import read and left out, from a run's provenance block
    (`RunFolder.experiment()[1]`); None for a run that was not imported."""
    importer = _imported(meta)
    if importer is None:
        return None
    with hook_guard(importer.protocol, importer.hook("summary")):
        return str(importer.module.summary(meta["imported"]))


def imported_metrics(run_dir: Path, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The source paper's figures recomputed from an imported run, if its importer has any."""
    importer = _imported(meta)
    hook = None if importer is None else getattr(importer.module, "published_metrics", None)
    if importer is None or hook is None:
        return None
    with hook_guard(importer.protocol, importer.hook("published_metrics")):
        published: dict[str, Any] | None = hook(Path(run_dir))
    return published


__all__ = ["Importer", "formats", "get_importer", "import_file", "import_summary", "imported_metrics"]
