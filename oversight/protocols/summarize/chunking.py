"""Cutting a long text into leaf chunks, and planning the summary tree over them.

Token counts are approximate on purpose: a chunk must fit any model's context, not match one
tokenizer. We count **4 characters per token** (`CHARS_PER_TOKEN`), the usual rule of thumb for
English with BPE tokenizers (about 0.75 words per token); the same estimate `--dry-run` uses.

Chunks are half-open character spans `[start, end)` of the source, in order and never
overlapping. They tile the source but for whitespace no text is attached to: a span that would
hold only whitespace (a long run of blank lines or spaces) is left out, as is a run of a
chunk or more with nothing to read (only punctuation or invisible characters such as
zero-width spaces or NUL, `_TEXT`; `PAD_MIN`): padding that would cost a call per chunk, and so is whitespace
after the text's last word once the last chunk is full. Every other character is in exactly
one leaf; for ordinary text (no whitespace run longer than a chunk) the spans tile it exactly:
the first starts at 0, each starts where the previous ended, the last ends at `len(source)`.
A text followed by any amount of padding plans the same calls as the text alone.
A chunk ends at the last paragraph break that keeps it within the size,
else the last sentence end, else the last space; only a run of text with no whitespace for
half a chunk is cut mid-word. Breaks closer to the chunk's start than `MIN_FILL` of the size
are skipped, so a short paragraph does not become a tiny chunk of its own.

Boundaries are found once per text with regular expressions and searched with `bisect`: no
per-character Python loop, so a 200k-word book chunks in milliseconds, and the work is linear in
the text's length whatever its shape (benchmarks/chunking_whitespace.py).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal

import regex

CHARS_PER_TOKEN = 4
MIN_FILL = 0.5
"""A chunk may end early at a break only once it holds at least this share of the size."""

# Each pattern matches the whitespace after a break; a chunk ends where that whitespace ends,
# so trailing spaces and blank lines belong to the chunk before them.
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
SENTENCE_BREAK = re.compile(r"""(?<=[.!?…])["'”’)\]]*\s+""")
_WORD = re.compile(r"\s+")
_TEXT = regex.compile(r"[\p{L}\p{N}\p{S}]")
"""Something to read: a letter, digit or symbol. A span of only whitespace, punctuation, and
invisible characters (zero-width spaces, byte-order marks, soft hyphens, NUL, stray combining
marks) has nothing to summarize, so it is never a chunk."""


_TEXT_BACKWARD = regex.compile(r"(?r)[\p{L}\p{N}\p{S}]")
_NONBLANK = re.compile(r"\S")
_CLOSING = re.compile(r"\S{0,16}")
"""The punctuation closing the last sentence (`."`, `!)`), kept with it when padding follows."""
PAD_MIN = 256
"""A run with nothing to read is padding only from this many characters (and a chunk) on:
real text has short ones (an ellipsis, a scene break `* * *`) that belong to it."""


def has_content(text: str) -> bool:
    """Whether `text` holds anything to summarize (see `_TEXT`)."""
    return _TEXT.search(text) is not None

Strategy = Literal["hierarchical", "incremental"]


def approx_tokens(text: str) -> int:
    """Estimated tokens of `text` (4 characters a token, rounded up)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _ends(pattern: re.Pattern[str], text: str) -> list[int]:
    return [m.end() for m in pattern.finditer(text)]


def _last_in(bounds: list[int], low: int, high: int) -> int | None:
    """The largest boundary b with low < b <= high, if any."""
    i = bisect_right(bounds, high)
    if i and bounds[i - 1] > low:
        return bounds[i - 1]
    return None


def chunk_spans(text: str, max_tokens: int) -> list[tuple[int, int]]:
    """Spans `[start, end)` tiling `text`, each at most `max_tokens` (approximate) long."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    size = max_tokens * CHARS_PER_TOKEN
    n = len(text)
    last = _last_text_end(text)
    final = _TEXT_BACKWARD.search(text, 0, last)
    if final is None:
        return []
    if last - final.end() >= max(size, PAD_MIN):  # punctuation or invisible padding at the end
        last = _CLOSING.match(text, final.end()).end()  # type: ignore[union-attr]
    levels = [_ends(_PARAGRAPH, text), _ends(SENTENCE_BREAK, text), _ends(_WORD, text)]
    spans: list[tuple[int, int]] = []
    start = 0
    read_to = 0  # where the last character with something to read, in a chunk kept, ends
    while start < last:
        if start and text[start].isspace() and text[start - 1].isspace():
            run_end = _WORD.match(text, start).end()  # type: ignore[union-attr]
            if run_end - start >= size * MIN_FILL:  # the rest of a long run the last chunk was cut in
                start = run_end
                continue
        limit = start + size
        if limit >= n:
            end = n
        elif limit >= last:  # the text ends within this chunk; only whitespace follows
            end = limit
        else:
            floor = start + int(size * MIN_FILL)
            end = limit
            for bounds in levels:
                found = _last_in(bounds, floor, limit)
                if found is not None:
                    end = found
                    break
        inside = _TEXT_BACKWARD.search(text, start, end)
        if inside is not None:
            spans.append((start, end))
            read_to = inside.end()
        elif _NONBLANK.search(text, start, end) is not None:
            # Punctuation or invisible characters only: part of the text (keep it) unless it
            # lies in a run with nothing to read at least a chunk (and PAD_MIN) long: padding, skipped.
            after = _TEXT.search(text, end)
            resume = after.start() if after is not None else last
            if resume - read_to < max(size, PAD_MIN):
                spans.append((start, end))
            else:
                start = max(end, min(resume, last))
                continue
        start = end
    return spans


def _last_text_end(text: str) -> int:
    """Where the text's last non-whitespace character ends (0 if there is none), without
    copying a text that may end in megabytes of padding."""
    end = len(text)
    step = 4096
    while end > 0:
        piece = text[max(0, end - step):end]
        stripped = len(piece.rstrip())
        if stripped:
            return end - len(piece) + stripped
        end -= len(piece)
        step *= 2
    return 0


@dataclass(frozen=True)
class PlannedNode:
    """One summary in the tree, before it is written: what it reads and what it covers."""

    id: str
    level: int
    """0 for leaves; a merge is one more than its children. Incremental steps count up from 0."""
    index: int
    """Position among the nodes of its level, left to right."""
    kind: Literal["leaf", "merge", "update"]
    span: tuple[int, int]
    """Characters of the source this node's summary covers, `[start, end)`."""
    chunk: tuple[int, int] | None = None
    """The source span read directly (leaves and incremental steps)."""
    children: tuple[str, ...] = ()
    """Nodes whose summaries this node reads (a merge's group; an update's running summary)."""
    context: str | None = None
    """The previous node at the same level, whose summary is shown as context only."""

    @property
    def depends(self) -> tuple[str, ...]:
        """Every node that must finish first: children plus context."""
        return self.children + ((self.context,) if self.context else ())


@dataclass(frozen=True)
class TreePlan:
    strategy: Strategy
    nodes: tuple[PlannedNode, ...]
    """In an order where every node comes after what it depends on."""

    @property
    def root(self) -> PlannedNode:
        return self.nodes[-1]

    @property
    def depth(self) -> int:
        """Calls on the longest chain from a chunk to the root."""
        return max(n.level for n in self.nodes) + 1

    @property
    def width(self) -> int:
        """Most nodes on one level."""
        counts: dict[int, int] = {}
        for node in self.nodes:
            counts[node.level] = counts.get(node.level, 0) + 1
        return max(counts.values())

    def by_id(self) -> dict[str, PlannedNode]:
        return {n.id: n for n in self.nodes}


def plan_hierarchical(spans: list[tuple[int, int]], fan_in: int, context: bool = False) -> TreePlan:
    """Wu et al. 2021: a leaf per chunk, then groups of `fan_in` merged level by level to one root.

    With `context`, each node after the first on a level also sees the previous node's summary
    (Wu et al.'s "previous context"); that node must then finish first, so a level runs in
    sequence instead of all at once.
    """
    if fan_in < 2:
        raise ValueError("fan_in must be at least 2")
    if not spans:
        raise ValueError("nothing to summarize: the text is empty")
    level_nodes = []
    for i, span in enumerate(spans):
        ctx = f"L0.{i - 1}" if context and i else None
        level_nodes.append(PlannedNode(id=f"L0.{i}", level=0, index=i, kind="leaf", span=span, chunk=span, context=ctx))
    nodes = list(level_nodes)
    level = 0
    while len(level_nodes) > 1:
        level += 1
        merged = []
        for i in range(0, math.ceil(len(level_nodes) / fan_in)):
            group = level_nodes[i * fan_in:(i + 1) * fan_in]
            ctx = f"L{level}.{i - 1}" if context and i else None
            merged.append(PlannedNode(id=f"L{level}.{i}", level=level, index=i, kind="merge",
                                span=(group[0].span[0], group[-1].span[1]),
                                children=tuple(n.id for n in group), context=ctx))
        nodes.extend(merged)
        level_nodes = merged
    return TreePlan("hierarchical", tuple(nodes))


def plan_incremental(spans: list[tuple[int, int]]) -> TreePlan:
    """Chang et al. 2024's incremental updating: step i reads chunk i and the summary so far."""
    if not spans:
        raise ValueError("nothing to summarize: the text is empty")
    nodes = []
    for i, span in enumerate(spans):
        nodes.append(PlannedNode(id=f"S{i}", level=i, index=0, kind="leaf" if i == 0 else "update",
                           span=(0, span[1]), chunk=span, children=(f"S{i - 1}",) if i else ()))
    return TreePlan("incremental", tuple(nodes))


def plan_tree(spans: list[tuple[int, int]], strategy: Strategy, fan_in: int = 3, context: bool = False) -> TreePlan:
    if strategy == "hierarchical":
        return plan_hierarchical(spans, fan_in, context)
    return plan_incremental(spans)


__all__ = [
    "CHARS_PER_TOKEN",
    "PlannedNode",
    "SENTENCE_BREAK",
    "TreePlan",
    "approx_tokens",
    "chunk_spans",
    "has_content",
    "plan_hierarchical",
    "plan_incremental",
    "plan_tree",
]
