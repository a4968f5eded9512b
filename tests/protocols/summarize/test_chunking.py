"""Chunking tiles the source exactly, prefers paragraph > sentence > word breaks; tree shapes."""

from __future__ import annotations

import random
import re

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.protocols.summarize.chunking import (
    plan_tree,
    CHARS_PER_TOKEN,
    approx_tokens,
    chunk_spans,
    plan_hierarchical,
    plan_incremental,
    has_content,
    PAD_MIN,
)

CONTENT = regex.compile(r"[\p{L}\p{N}\p{S}]")
WORDS = "the lamp keeper rowed out at dusk and found the light already burning nobody had climbed".split()


def prose(seed: int, paragraphs: int) -> str:
    """Paragraphs of sentences of words, with the untidy whitespace real books have."""
    rng = random.Random(seed)
    paras = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(1, 6)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(3, 25))]
            end = rng.choice([".", "!", "?", '."', "…", ".)"])
            sentences.append(" ".join(words).capitalize() + end)
        paras.append(rng.choice([" ", "  ", "\n"]).join(sentences))
    return rng.choice(["", "\n", "  "]) + rng.choice(["\n\n", "\n \n", "\n\n\n"]).join(paras) + rng.choice(["", "\n"])


TEXTS = [
    prose(1, 30),
    prose(2, 3),
    prose(3, 80),
    "x" * 5000,  # no whitespace at all: hard cuts
    "Ünïcödé wörds — “quoted” … and emoji 🙂. " * 120,
    "One line only.",
    "a\n\n" * 400,
    "   \n\n  leading and trailing space.  \n\n   ",
]


def check_cover(text: str, max_tokens: int) -> list[tuple[int, int]]:
    """Spans in order, never overlapping, within the size, each holding some text; what they
    leave out is whitespace only (or spans with no letter, digit or symbol); when no whitespace run is longer than a chunk, an exact tiling."""
    size = max_tokens * CHARS_PER_TOKEN
    spans = chunk_spans(text, max_tokens)
    assert all(s < e <= s + size for s, e in spans)
    assert all(text[s:e].strip() for s, e in spans)  # never a whitespace-only leaf
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    gaps = [(a[1], b[0]) for a, b in zip(spans, spans[1:])] + [(0, spans[0][0]), (spans[-1][1], len(text))]
    # only whitespace is left out, or part of a long run with nothing to read (padding)
    for a, b in gaps:
        if text[a:b].strip():
            assert not has_content(text[a:b])
            readable = [m.end() for m in CONTENT.finditer(text, 0, a)]
            after = CONTENT.search(text, b)
            run = (after.start() if after else len(text.rstrip())) - (readable[-1] if readable else 0)
            assert run >= max(size, PAD_MIN), (text[a:b][:40], run)
    longest_run = max((len(m.group()) for m in re.finditer(r"\s+", text)), default=0)
    if longest_run < size // 2:  # ordinary text: tiled exactly, but for whitespace after the last chunk
        assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
        assert "".join(text[s:e] for s, e in spans) == text[:spans[-1][1]]
    return spans


@pytest.mark.parametrize("text", TEXTS)
def test_every_character_is_in_exactly_one_leaf_at_every_size(text: str) -> None:
    for max_tokens in (1, 2, 3, 5, 8, 13, 40, 100, 257, 1000, 100_000):
        check_cover(text, max_tokens)


@pytest.mark.parametrize("pad", [" " * 200_000, "\n" * 50_000, " \n\t" * 30_000])
def test_padding_after_a_story_plans_the_same_calls_as_the_story(pad: str) -> None:
    story = prose(7, 40)
    for max_tokens in (50, 500, 2000):
        alone, padded = chunk_spans(story, max_tokens), check_cover(story + pad, max_tokens)
        assert len(padded) == len(alone)
        assert padded[:-1] == alone[:-1] and padded[-1][0] == alone[-1][0]
        for strategy in ("hierarchical", "incremental"):
            assert len(plan_tree(padded, strategy).nodes) == len(plan_tree(alone, strategy).nodes)


def test_a_whitespace_run_inside_the_text_makes_no_leaf() -> None:
    text = "First part. " * 50 + " " * 100_000 + "Second part. " * 50
    spans = check_cover(text, 100)
    assert len(spans) == len(chunk_spans("First part. " * 50, 100)) + len(chunk_spans("Second part. " * 50, 100))


def test_empty_text_has_no_chunks() -> None:
    assert chunk_spans("", 10) == []
    with pytest.raises(ValueError):
        chunk_spans("abc", 0)


def test_chunks_end_at_paragraphs_when_they_can() -> None:
    paras = [f"Paragraph {i} has a few words in it and ends here." for i in range(20)]
    text = "\n\n".join(paras)
    spans = chunk_spans(text, 40)  # 160 characters: two or three paragraphs
    for s, e in spans[:-1]:
        assert text[s:e].endswith("\n\n"), repr(text[s:e])
        assert text[s:e].startswith("Paragraph")


def test_long_paragraph_breaks_at_sentences_then_words() -> None:
    sentence = "The ferry left at nine and the harbour emptied slowly."
    text = " ".join([sentence] * 30)
    spans = chunk_spans(text, 30)  # 120 characters: about two sentences, no paragraph breaks
    for s, e in spans[:-1]:
        assert re.search(r"\.\s+$", text[s:e]), repr(text[s:e])
    one_sentence = "word " * 200
    for s, e in chunk_spans(one_sentence, 10)[:-1]:
        assert one_sentence[s:e].endswith(" ") and not one_sentence[s:e].startswith(" ")


def test_a_short_first_paragraph_does_not_become_a_tiny_chunk() -> None:
    text = "Hi.\n\n" + "A long paragraph with many words in it. " * 20
    first = chunk_spans(text, 50)[0]
    assert first[1] - first[0] >= 50 * CHARS_PER_TOKEN // 2


def test_approx_tokens_is_four_characters_rounded_up() -> None:
    assert approx_tokens("") == 0 and approx_tokens("abcd") == 1 and approx_tokens("abcde") == 2


def fake_spans(n: int) -> list[tuple[int, int]]:
    return [(10 * i, 10 * i + 10) for i in range(n)]


@pytest.mark.parametrize(
    ("leaves", "fan_in", "level_sizes"),
    [(1, 3, [1]), (2, 3, [2, 1]), (3, 3, [3, 1]), (4, 3, [4, 2, 1]), (9, 3, [9, 3, 1]),
     (10, 3, [10, 4, 2, 1]), (27, 3, [27, 9, 3, 1]), (8, 2, [8, 4, 2, 1]), (5, 5, [5, 1]), (7, 4, [7, 2, 1])],
)
def test_hierarchical_tree_shape(leaves: int, fan_in: int, level_sizes: list[int]) -> None:
    plan = plan_hierarchical(fake_spans(leaves), fan_in)
    sizes = [sum(n.level == lv for n in plan.nodes) for lv in range(plan.depth)]
    assert sizes == level_sizes
    assert plan.depth == len(level_sizes) and plan.width == leaves
    assert plan.root.span == (0, 10 * leaves) and plan.root.id == f"L{len(level_sizes) - 1}.0"
    by_id = plan.by_id()
    seen: set[str] = set()
    for node in plan.nodes:  # topological order, spans of children tile the parent
        assert set(node.depends) <= seen
        seen.add(node.id)
        if node.children:
            kids = [by_id[c] for c in node.children]
            assert len(kids) <= fan_in and all(k.level == node.level - 1 for k in kids)
            assert kids[0].span[0] == node.span[0] and kids[-1].span[1] == node.span[1]
            assert all(a.span[1] == b.span[0] for a, b in zip(kids, kids[1:]))
        else:
            assert node.kind == "leaf" and node.chunk == node.span
    # every node but the root is a child of exactly one node
    children = [c for n in plan.nodes for c in n.children]
    assert sorted(children) == sorted(n.id for n in plan.nodes if n is not plan.root)


def test_hierarchical_context_is_the_previous_node_on_the_level() -> None:
    plan = plan_hierarchical(fake_spans(7), 3, context=True)
    by_id = plan.by_id()
    assert by_id["L0.0"].context is None and by_id["L0.4"].context == "L0.3"
    assert by_id["L1.1"].context == "L1.0" and by_id["L1.1"].depends == ("L0.3", "L0.4", "L0.5", "L1.0")
    assert all(n.context is None for n in plan_hierarchical(fake_spans(7), 3).nodes)


def test_incremental_is_a_chain_over_growing_prefixes() -> None:
    plan = plan_incremental(fake_spans(4))
    assert [n.id for n in plan.nodes] == ["S0", "S1", "S2", "S3"]
    assert [n.span for n in plan.nodes] == [(0, 10), (0, 20), (0, 30), (0, 40)]
    assert [n.chunk for n in plan.nodes] == fake_spans(4)
    assert [n.children for n in plan.nodes] == [(), ("S0",), ("S1",), ("S2",)]
    assert plan.depth == 4 and plan.width == 1 and plan.root.id == "S3"


def test_planning_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        plan_hierarchical([], 3)
    with pytest.raises(ValueError):
        plan_hierarchical(fake_spans(3), 1)
    with pytest.raises(ValueError):
        plan_incremental([])


_pieces = st.lists(st.one_of(
    st.text(alphabet="abcxyz.!?é", min_size=1, max_size=30),
    st.sampled_from([" ", "\n", "\n\n", "  \n\t", "\r\n"]),
    st.integers(min_value=1, max_value=3000).map(lambda n: " " * n),
    st.integers(min_value=1, max_value=800).map(lambda n: "\n" * n),
), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(_pieces, st.sampled_from([1, 3, 10, 40, 200]))
def test_property_only_whitespace_is_ever_left_out_and_no_leaf_is_blank(pieces: list[str], max_tokens: int) -> None:
    text = "".join(pieces)
    if not has_content(text):  # only whitespace or punctuation: nothing to read
        assert chunk_spans(text, max_tokens) == []
        return
    spans = check_cover(text, max_tokens)
    covered = "".join(text[s:e] for s, e in spans)
    bounds = [0, *[x for span in spans for x in span], len(text)]
    left_out = "".join(text[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2))
    assert not has_content(left_out)  # every letter, digit and symbol is in a leaf
    assert len("".join(covered.split())) + len("".join(left_out.split())) == len("".join(text.split()))  # once


@settings(max_examples=100, deadline=None)
@given(_pieces, st.integers(min_value=0, max_value=50_000), st.sampled_from([10, 40, 200]))
def test_property_padding_never_changes_the_number_of_leaves(pieces: list[str], pad: int, max_tokens: int) -> None:
    text = "".join(pieces)
    assert len(chunk_spans(text + " " * pad, max_tokens)) == len(chunk_spans(text, max_tokens))


INVISIBLE_PADS = [
    "\u200b" * 200_000,  # zero-width space: not whitespace to Python, nothing to read
    "\ufeff\u2060\u00ad" * 60_000,  # BOM, word joiner, soft hyphen
    "\x00" * 100_000,
    "." * 200_000,
    "-- ... !! ?? ** " * 12_000,
    "\u200b \u200b\n" * 50_000,
    "\u0301" * 100_000,  # combining marks with nothing to combine with
]


@pytest.mark.parametrize("pad", INVISIBLE_PADS, ids=["zwsp", "format", "nul", "dots", "punct", "zwsp-spaced", "marks"])
def test_padding_of_invisible_or_punctuation_characters_plans_no_extra_calls(pad: str) -> None:
    story = prose(7, 40)
    for max_tokens in (50, 500):
        alone, padded = chunk_spans(story, max_tokens), chunk_spans(story + pad, max_tokens)
        # The padding is no chunk: every leaf starts in the story; the story's end may fall one
        # character either side of a chunk boundary, so one more leaf at most.
        assert all(s < len(story) for s, _ in padded)
        assert len(alone) <= len(padded) <= len(alone) + 1, (len(padded), len(alone))
        assert padded[:-2] == alone[:-2]
        assert padded[-1][1] >= len(story)  # the story's closing punctuation is kept


@pytest.mark.parametrize("text", ["\u200b" * 5000, ".,;:!?" * 1000, "\u3000\u00a0\u200b\ufeff" * 500, "\x00\r\n" * 900])
def test_a_text_with_nothing_to_read_has_no_chunks_and_is_refused(text: str) -> None:
    from oversight.protocols.summarize.data import TextItem
    assert chunk_spans(text, 50) == []
    with pytest.raises(ValueError, match="nothing to summarize"):
        TextItem(id="x", text=text)
