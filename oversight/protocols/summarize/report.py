"""What the report says about a summarize table: the legend of its own columns."""

from __future__ import annotations

TABLE_NOTES = {
    "nodes": "summaries written at that stage",
    "compression": "words read / words written per stage (context excluded): 10 = a tenth as long as "
                   "what it read, below 1 = longer than it",
    "faithfulness": "mean 1-7 rating over rated nodes (7 = everything in the summary is supported by its input)",
    "coverage": "mean 1-7 rating over rated nodes (7 = it misses nothing important of its input)",
    "rated": "nodes with a valid rating on that scale / nodes of the stage",
    "inv": "rating verdicts with any scale invalid / all rating verdicts of the stage",
    "depth": "levels of the summary tree (calls from a chunk to the root)", "width": "most summaries on one level",
    "coherence": "BooookScore: share of root sentences with no confusion",
    "calls": "model calls of the strategy, cache hits included",
}
"""The legend of the columns a summarize table adds to the generic ones."""
