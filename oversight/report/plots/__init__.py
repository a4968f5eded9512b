"""A run's figures, as PNG and SVG in RUN_DIR/plots/<figure>.png and .svg.

A protocol names its drawer in its `figures` hook ("module:attr"), loaded here only, so
importing a protocol never loads matplotlib; a protocol without one gets its headline estimates
as one interval plot. Several runs side by side and tournaments have their own figures
(`oversight.report.plots.compare`).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError
from oversight.figures import Drawer, PlotContext, caption, errbar, method_name, new_figure, save
from oversight.protocol.registry import get_protocol
from oversight.report.plots.generic import headline_plot


def drawer_for(metrics: dict[str, Any]) -> Drawer:
    """The run's protocol's drawer, else the headline plot (also for a protocol not installed here)."""
    try:
        spec = get_protocol(str(metrics.get("protocol"))).figures
    except UserError:
        return headline_plot
    if not spec:
        return headline_plot
    module, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise UserError(f"protocol {metrics.get('protocol')!r}: figures {spec!r} cannot be loaded ({exc})") from exc
    drawer: Drawer = fn
    return drawer


def plot_run(run_dir: Path, metrics: dict[str, Any], out_dir: Path | None = None) -> list[Path]:
    """Draw the run's figures into RUN_DIR/plots (or `out_dir`); returns the files written."""
    ctx = PlotContext(run=Path(run_dir).name)
    paths: list[Path] = []
    for stem, fig in drawer_for(metrics)(metrics, ctx):
        paths += save(fig, out_dir or Path(run_dir) / "plots", stem)
    return paths


__all__ = ["PlotContext", "caption", "drawer_for", "errbar", "method_name", "new_figure", "plot_run", "save"]
