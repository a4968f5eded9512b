"""Chunking tiles the source exactly, prefers paragraph > sentence > word breaks; tree shapes."""

from __future__ import annotations

import random
import re

import pytest

from oversight.protocols.summarize.chunking import (
    CHARS_PER_TOKEN,
    approx_tokens,
    chunk_spans,
    plan_hierarchical,
    plan_incremental,
)

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


@pytest.mark.parametrize("text", TEXTS)
def test_every_character_is_in_exactly_one_leaf_at_every_size(text: str) -> None:
    for max_tokens in (1, 2, 3, 5, 8, 13, 40, 100, 257, 1000, 100_000):
        spans = chunk_spans(text, max_tokens)
        assert spans[0][0] == 0 and spans[-1][1] == len(text)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert end == start  # no gap, no overlap
        assert all(s < e for s, e in spans)
        assert "".join(text[s:e] for s, e in spans) == text
        assert all(e - s <= max_tokens * CHARS_PER_TOKEN for s, e in spans)


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
