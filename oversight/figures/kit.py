"""The figure kit: figures for a paper draft as PNG and SVG (matplotlib, Agg backend: no display
needed), with captions naming n and the interval method. Low in the layers so protocol packages
draw their own figures with it."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from oversight.core.atomic import write_atomic  # noqa: E402
from oversight.core.jsonl import FILE_MODE  # noqa: E402
from oversight.stats.methods import METHODS  # noqa: E402

plt.rcParams.update({"svg.hashsalt": "oversight", "svg.fonttype": "none", "font.size": 10, "axes.spines.top": False,
                     "axes.spines.right": False, "figure.dpi": 100})


@dataclass(frozen=True)
class PlotContext:
    """What every plotter may put in a title or caption."""

    run: str
    """The run's name (its folder)."""


Drawer = Callable[[dict[str, Any], PlotContext], list[tuple[str, Figure]]]
"""`fn(metrics, ctx) -> [(file stem, figure)]`: a protocol's figures from its metrics."""


def slug(name: str) -> str:
    """A judge's or model's name as part of a file name."""
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def method_name(method: str | None) -> str:
    """The interval method's name as metrics.json gives it ("wilson-bounded over texts" too)."""
    if not method:
        return "?"
    if method in METHODS:
        return METHODS[method][1]
    base, _, rest = method.partition(" over ")
    return f"{METHODS[base][1]} over {rest}" if base in METHODS and rest else method


def errbar(rec: dict[str, Any] | None) -> tuple[float, float, float] | None:
    """(estimate, lower error, upper error) of an estimate record, or None when undefined or
    infinite (no point can stand for it; the tables print it as it is)."""
    if not rec or rec.get("estimate") is None:
        return None
    est = float(rec["estimate"])
    if not math.isfinite(est):
        return None
    lo, hi = rec.get("ci") or (None, None)
    if lo is None or hi is None or not (math.isfinite(float(lo)) and math.isfinite(float(hi))):
        return est, 0.0, 0.0
    return est, max(0.0, est - float(lo)), max(0.0, float(hi) - est)


def new_figure(width: float = 6.4, height: float = 3.8) -> tuple[Figure, Any]:
    fig = plt.figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def caption(fig: Figure, text: str) -> None:
    """A small line under the figure: n and interval methods."""
    fig.supxlabel(textwrap.fill(text, int(fig.get_figwidth() * 14)), fontsize=8, color="0.3")


def fit_title(fig: Figure, ax: Any, title: str, fontsize: float = 11.0) -> None:
    """The title at the axes' left, each line wrapped (a long run name breaks after a "-", or
    anywhere) until the drawn title lies inside the figure: never cut off at the right edge."""
    chars = max(20, int(fig.get_figwidth() * 72 / (fontsize * 0.6)))
    while True:
        lines = [w for part in title.splitlines() for w in textwrap.wrap(part, chars) or [""]]
        artist = ax.set_title("\n".join(lines), fontsize=fontsize, loc="left")
        fig.draw_without_rendering()  # the layout only: nothing is rasterised
        box = artist.get_window_extent()
        if box.x1 <= fig.bbox.x1 - 2 and box.x0 >= fig.bbox.x0 or chars <= 20:
            return
        chars = max(20, int(chars * 0.85))


def save(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    """PNG (150 dpi) and SVG, without timestamps so the same numbers give the same files.

    Each is drawn in memory and written whole (temporary file, fsync, rename): a kill or a
    full disk mid-way leaves the previous figure or none, never a torn one."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
        for path, options in ((paths[0], {"dpi": 150, "metadata": {"Software": None}}),
                              (paths[1], {"metadata": {"Date": None}})):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=path.suffix[1:], **options)
            write_atomic(path, buffer.getvalue(), fsync=True, mode=FILE_MODE)
    finally:
        plt.close(fig)
    return paths




__all__ = ["Drawer", "PlotContext", "caption", "errbar", "fit_title", "method_name", "new_figure", "save", "slug"]
