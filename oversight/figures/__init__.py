"""Figure kit for protocols and the report: create, caption and save figures (PNG and SVG)."""

from oversight.figures.intervals import interval_plot, n_note
from oversight.figures.kit import Drawer, PlotContext, caption, errbar, fit_title, method_name, new_figure, save, slug

__all__ = ["Drawer", "PlotContext", "caption", "errbar", "fit_title", "interval_plot", "method_name", "n_note", "new_figure",
           "save", "slug"]
