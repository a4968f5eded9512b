"""The shape of a summarization transcript's `outcome`: the tree's size and the root's summary.
The nodes themselves are `node` events (tree.py), read by the review tree and metrics. A
TypedDict is a plain dict at run time, so the JSON written is exactly what the graph built."""

from __future__ import annotations

from typing import Any, TypedDict, cast


class SummarizeOutcome(TypedDict):
    strategy: str
    """"hierarchical" or "incremental"."""
    title: str
    source_ref: str
    """The source text, stored once per run (texts.jsonl)."""
    chars: int
    words: int
    chunks: int
    nodes: int
    depth: int
    width: int
    level_sizes: list[int] | None
    """Nodes per level, in level order (hierarchical only)."""
    root: str
    summary: str
    """The root's summary of the whole text."""
    verdicts: int
    """How many judge verdicts the run's own judge gave on this tree."""


def outcome_of(transcript: dict[str, Any]) -> SummarizeOutcome:
    """A transcript's outcome read as its type ({} for a failed one). A report's light transcripts
    keep only the protocol's `metrics_outcome_keys`, so a reader still says what it does when a
    field is missing (`.get`)."""
    return cast(SummarizeOutcome, transcript.get("outcome") or {})


__all__ = ["SummarizeOutcome", "outcome_of"]
