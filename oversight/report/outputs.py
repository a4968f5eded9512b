"""What `run` and `report` say after the tables: where the figures are (real folders, figures
counted once though each is saved as PNG and SVG) and the commands that look further."""

from __future__ import annotations

import os
import shlex
import textwrap
from pathlib import Path

from oversight.core.ids import sha256_hex
from oversight.core.words import count

LIST_UP_TO = 6
"""Figures named one by one up to this many per folder; beyond it, only counted."""
NAMES_WIDTH = 80
"""The figures' names wrap to a terminal this wide, under the line that says where they are."""
FOLDERS_UP_TO = 3
"""Runs whose figures get a line each; more runs with the same figures share one line."""


def figure_stems(paths: list[Path]) -> list[str]:
    """The figures among saved files: one per stem, whatever formats it was saved in."""
    return list(dict.fromkeys(p.stem for p in paths))


def figure_lines(paths: list[Path], *, across: bool = False) -> list[str]:
    """Per folder, where its figures are (`figures (PNG, SVG): 2 figures in /real/run/plots`),
    then their names, indented and wrapped: a path and six names on one line would not fit."""
    folders: dict[Path, list[Path]] = {}
    for p in paths:
        folders.setdefault(Path(p).resolve().parent, []).append(p)
    label = "figures across runs" if across else "figures"
    stems = {folder: figure_stems(files) for folder, files in folders.items()}

    def named(names: list[str]) -> list[str]:
        if len(names) > LIST_UP_TO:
            return []
        return textwrap.wrap(", ".join(names), NAMES_WIDTH, initial_indent="  ", subsequent_indent="  ",
                             break_on_hyphens=False, break_long_words=False)

    sets = {tuple(names) for names in stems.values()}
    if len(stems) > FOLDERS_UP_TO and len(sets) == 1:  # a sweep's runs: one line for them all
        [names] = [list(s) for s in sets]
        parent = os.path.commonpath([str(f.parent) for f in stems])
        return [f"{label} (PNG, SVG): {count(len(names), 'figure')} in each of {len(stems)} runs' plots folders,",
                f"  under {parent}:", *named(names)]
    return [shown for folder, names in stems.items()
            for shown in (f"{label} (PNG, SVG): {count(len(names), 'figure')} in {folder}", *named(names))]


def cross_run_folder(run_paths: list[Path], out: Path | None) -> Path:
    """Where figures across runs go: `--out`, else beside the runs, in `compare-<hash>` of the
    folder that holds the first of them (a runs folder), the hash naming the set of runs so a
    second sweep does not overwrite the first's figures. Never a parent the runs merely share:
    runs from `runs/` and `imports/` would put figures loose in the checkout."""
    if out is not None:
        return out
    first = Path(run_paths[0]).resolve()
    names = sorted({str(Path(p).resolve()) for p in run_paths})
    return first.parent / f"compare-{sha256_hex(chr(0).join(names))[:8]}"


def look_further(run_paths: list[Path]) -> list[str]:
    """The commands that open, report and judge these runs, with their real paths."""
    quoted = [shlex.quote(str(Path(p).resolve())) for p in run_paths]
    if len(quoted) > 1:
        return ["the runs side by side:", f"  oversight report {' '.join(quoted)}"]
    run = quoted[0]
    return ["look further (browse; tables and figures again; judge it yourself):",
            f"  oversight review {run}",
            f"  oversight report {run}",
            f"  oversight judge {run} --human --judge-id NAME"]


__all__ = ["FOLDERS_UP_TO", "LIST_UP_TO", "cross_run_folder", "figure_lines", "figure_stems", "look_further"]
