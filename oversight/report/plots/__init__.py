"""A run's figures, as PNG and SVG in RUN_DIR/plots/<figure>.png and .svg.

A protocol names its drawer in its `figures` hook ("module:attr"), loaded here only, so
importing a protocol never loads matplotlib; a protocol without one gets its headline estimates
as one interval plot. Several runs side by side and tournaments have their own figures
(`oversight.report.plots.compare`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from oversight.figures import Drawer, PlotContext, caption, errbar, method_name, new_figure, save
from oversight.protocol.hooks import hook_guard, load_hook
from oversight.protocol.registry import ProtocolNotInstalled, get_protocol
from oversight.report.plots.generic import headline_plot


def drawer_for(metrics: dict[str, Any]) -> Drawer:
    """The run's protocol's drawer, else the headline plot (also for a protocol not installed
    here); a protocol that fails to load, or whose drawer does, is a one-line UserError."""
    try:
        protocol = get_protocol(str(metrics.get("protocol")))
    except ProtocolNotInstalled:
        return headline_plot
    drawer: Drawer | None = load_hook(protocol, "figures")
    return drawer or headline_plot


def plot_run(run_dir: Path, metrics: dict[str, Any], out_dir: Path | None = None) -> list[Path]:
    """Draw the run's figures into RUN_DIR/plots (or `out_dir`); returns the files written."""
    ctx = PlotContext(run=Path(run_dir).name)
    paths: list[Path] = []
    drawer = drawer_for(metrics)
    figures: list[tuple[str, Any]] = []
    try:
        with hook_guard(str(metrics.get("protocol")), "figures"):  # a drawer may be a generator: drawn here
            figures.extend((str(stem), fig) for stem, fig in drawer(metrics, ctx))
        for stem, fig in figures:
            paths += save(fig, out_dir or Path(run_dir) / "plots", stem)
    finally:  # a drawer or a save that fails part way leaves no figure open (a long session would keep them all)
        for _, fig in figures:
            plt.close(fig)
    return paths


__all__ = ["PlotContext", "caption", "drawer_for", "errbar", "method_name", "new_figure", "plot_run", "save"]
