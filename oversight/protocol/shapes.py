"""A protocol's record shapes (`judgment_types`, `outcome_types`, `note_types`) as readers use
them: a run folder opened through `open_folder` checks the run's protocol fields on every line it
reads, beside the contract's own (oversight.core.shapes)."""

from __future__ import annotations

from pathlib import Path

from oversight.config.experiment import read_yaml
from oversight.core.errors import UserError
from oversight.core.jsonl import Warn
from oversight.core.shapes import GENERIC, RecordShapes
from oversight.log.runfolder import EXPERIMENT, RunFolder
from oversight.protocol.declared import protocol_shapes
from oversight.protocol.registry import ProtocolNotInstalled, get_protocol


def run_shapes(folder: RunFolder) -> RecordShapes:
    """The shapes of the run's protocol, named by its experiment.yaml; the contract's alone when
    that protocol is not installed here (or the file names none: `experiment()` says why later)."""
    try:
        name = read_yaml(folder.path / EXPERIMENT).get("protocol")
    except UserError:  # `experiment()` names the problem where the command reads the config
        return GENERIC
    if not isinstance(name, str):
        return GENERIC
    try:
        return protocol_shapes(get_protocol(name))
    except ProtocolNotInstalled:
        return GENERIC


def open_folder(path: Path, *, warn: Warn | None = None) -> RunFolder:
    """`RunFolder.open`, reading lines with the run's protocol's field types too."""
    folder = RunFolder.open(Path(path), warn=warn)
    folder.shapes = run_shapes(folder)
    return folder


__all__ = ["open_folder", "protocol_shapes", "run_shapes"]
