"""Parsing flaw and critique lists, grader replies and lexical matching from messy model text."""

from __future__ import annotations

import pytest

from oversight.protocols.critique.flaws import (
    free_text,
    gold_label,
    is_none_reply,
    lexical_match,
    parse_grader_match,
    parse_list,
    parse_yes_no,
)


def test_base_model_continuation_without_the_first_marker() -> None:
    # The prompt ends with "1." so the model's text starts mid-item (seen from gemma-3-270m).
    text = (
        " The answer gives 1912, but the passage says 1902.\n"
        "2. It says the lighthouse was automated before she retired.\n"
        "3. It says the lighthouse was automated before she retired.\n\n"
        "Question: What did the keeper miss?\nAnswer: The smell of the oil."
    )
    assert parse_list(text) == [
        "The answer gives 1912, but the passage says 1902.",
        "It says the lighthouse was automated before she retired.",
    ]


def test_chat_style_list_with_echoed_cue_bold_and_preamble() -> None:
    text = (
        "Flaws found:\n"
        "Here are the problems I see:\n"
        "**1.** The answer swaps the roles of yeast and bacteria.\n"
        "2) The ratio is reversed:\n   bacteria outnumber yeasts, not the other way round.\n"
        "- Omits that the acids help the bread keep."
    )
    assert parse_list(text) == [
        "The answer swaps the roles of yeast and bacteria.",
        "The ratio is reversed: bacteria outnumber yeasts, not the other way round.",
        "Omits that the acids help the bread keep.",
    ]


@pytest.mark.parametrize(
    "text",
    ["None.", "None", "none found", " No flaws.", "No major issues found.", "N/A", "There are no errors.",
     "The answer is correct.", "1. None\n2. None", "Flaws found:\nNone."],
)
def test_no_flaws_in_many_wordings(text: str) -> None:
    assert parse_list(text) == []


@pytest.mark.parametrize("text", ["Nothing in the passage supports the 1912 date", "None of the passage says so",
                                  "No mention of the 1867 fire"])
def test_real_flaws_that_start_like_none_are_kept(text: str) -> None:
    assert not is_none_reply(text)
    assert parse_list(text) == [text]


def test_inline_numbering_repeats_truncation_and_caps() -> None:
    assert parse_list("1. It gives 83 metres. 2. It says flow falls now. 3. It omits the two towns.") == [
        "It gives 83 metres.", "It says flow falls now.", "It omits the two towns."]
    looping = " The council's plan was good. The council's plan was good. The council's plan was good."
    assert parse_list(looping) == ["The council's plan was good."]
    # Hit max_tokens: the cut-off last item goes, and so does a cut-short repeat.
    cut = " The answer is wrong about the yeast ratio.\n2. The answer is wrong about\n3. The answer omits th"
    assert parse_list(cut, truncated=True) == ["The answer is wrong about the yeast ratio."]
    many = "\n".join(f"{i}. Distinct flaw number {i} here" for i in range(1, 9))
    assert len(parse_list(many, max_items=3)) == 3


def test_items_that_only_repeat_the_answer_or_are_junk_are_dropped() -> None:
    answer = "The glacier retreated 1.5 kilometres and thinned by 83 metres."
    text = f"1. {answer}\n2. x\n3. The thinning is 38 metres, not 83.\n4. <end_of_turn> junk"
    assert parse_list(text, exclude=(answer,)) == ["The thinning is 38 metres, not 83."]


def test_long_item_is_capped() -> None:
    item = parse_list("1. " + " ".join(["word"] * 300) + " end", max_chars=60)[0]
    assert len(item) <= 62 and item.endswith("…")


def test_free_text_stops_at_a_new_frame_and_drops_an_echoed_label() -> None:
    assert free_text("Answer: The yeasts make the gas.\nThe bacteria make acid.\n\nQuestion: Why?") == (
        "The yeasts make the gas. The bacteria make acid.")


def test_gold_labels() -> None:
    assert [gold_label(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


@pytest.mark.parametrize(
    ("text", "index", "parsed"),
    [
        ("B - both give the wrong year", 1, True),
        (" b", 1, True),
        ("(A) same claim", 0, True),
        (" A (both are about the opening year)", 0, True),
        ("B because both name the wrong year", 1, True),
        ("Known flaw C, because it is the same omission", 2, True),
        ("It matches flaw B because of the year", 1, True),
        ("None - a different problem", None, True),
        ("0", None, True),
        ("No match.", None, True),
        ("\n1. The passage says 1902.\n2. The answer is wrong.", None, False),  # gemma continuing a list
        ("A flaw in the answer is the date", None, False),
        ("E - out of range", None, False),
        ("", None, False),
    ],
)
def test_grader_replies(text: str, index: int | None, parsed: bool) -> None:
    reply = parse_grader_match(text, 3)
    assert (reply.index, reply.parsed) == (index, parsed)


def test_grader_reason_is_kept_for_audit() -> None:
    assert parse_grader_match("B - both give 1912 instead of 1902\nReported flaw: x", 2).reason == (
        "both give 1912 instead of 1902")


def test_yes_no_replies() -> None:
    assert parse_yes_no("\nYes - the passage says 1902") == (True, "the passage says 1902")
    assert parse_yes_no("No, the answer never says that.")[0] is False
    assert parse_yes_no("1. The answer")[0] is None


def test_lexical_match_picks_the_flaw_sharing_content_words() -> None:
    gold = ["Gives 1912 as the year Morrow became keeper; the passage says 1902.",
            "Says the lighthouse was automated during her time; it was automated in 1961."]
    hit, reason = lexical_match("The keeper started in 1902, not 1912.", gold, 0.5)
    assert hit == 0 and "1902" in reason and "1912" in reason
    hit, _ = lexical_match("Automation came in 1961, after she retired.", gold, 0.5)
    assert hit == 1
    hit, reason = lexical_match("The answer is wrong.", gold, 0.5)
    assert hit is None and reason


def test_meta_comment_stops_where_the_model_continues_the_chain() -> None:
    text = "Reviewer's comment on the last point: The critique is right.\nComment on the point above: again"
    assert free_text(text) == "The critique is right."
