"""The swapped judge view: every reference to an answer letter follows the answers' new order."""

from __future__ import annotations

import re
from typing import Any

import pytest

from oversight.protocols.debate.judging import (
    judge_variables,
    render_transcript,
    swap_references,
    verdict_record,
)
from oversight.protocols.shared.turns import render_turn
from oversight.protocols.shared.verdicts import Verdict

# A speech as a debater defending `{me}` against `{them}` writes it, full of bare letters.
SPEECH = (
    "A careful reader will see that {me} is correct, not {them}. Vote {me}. "
    "Debater {them}'s quote <v_quote>A man climbed down the wall</v_quote> proves nothing about answer {them}; "
    "{them}: unsupported. {them} relies on <u_quote>Plan B was a lie</u_quote>. "
    "Option {me} (and only ({me})) fits. {me}'s reading is the only one left, so {me}.\n"
    "{me}) the lamp was lit\n{them}) it went dark\n"
    "If {them} were right, the keeper would be lying. Choose {me}, because {them} cannot be true."
)


def speech(me: str) -> str:
    them = "B" if me == "A" else "A"
    return SPEECH.format(me=me, them=them)


def outcome(condition: str = "debate") -> dict[str, Any]:
    speeches = [
        {"round": 1, "role": "debater_a", "answer_index": 0, "shown": speech("A")},
        {"round": 1, "role": "debater_b", "answer_index": 1, "shown": speech("B")},
    ]
    return {"condition": condition, "question": "What happened to the lamp?", "answers": ["lit", "dark"],
            "correct_index": 0, "speeches": speeches, "turns": "simultaneous", "consultant_index": 0}


@pytest.mark.parametrize("me", ["A", "B"])
def test_speech_full_of_bare_letters_reads_as_written_by_the_other_letter(me: str) -> None:
    other = "B" if me == "A" else "A"
    result = swap_references(speech(me))
    assert result.text == speech(other)
    assert result.unresolved == []
    assert result.relabelled == SPEECH.count("{me}") + SPEECH.count("{them}")


def test_quoted_story_text_and_the_article_are_never_relabelled() -> None:
    result = swap_references(speech("A"))
    assert result.text.startswith("A careful reader")
    assert "<v_quote>A man climbed down the wall</v_quote>" in result.text
    assert "<u_quote>Plan B was a lie</u_quote>" in result.text


def test_swapped_transcript_names_each_speaker_by_the_letter_it_now_defends() -> None:
    swapped = render_transcript(outcome()["speeches"], "swapped")
    # debater_a defended answers[0], which the swapped view shows second: it is Debater B there,
    # and its speech now argues for B throughout.
    assert render_turn("Debater B (round 1):", speech("B")) in swapped
    assert render_turn("Debater A (round 1):", speech("A")) in swapped
    original = render_transcript(outcome()["speeches"], "original")
    assert render_turn("Debater A (round 1):", speech("A")) in original


def test_judge_variables_show_answers_and_speeches_in_the_same_order() -> None:
    v = judge_variables(outcome(), "swapped")
    assert (v["answer_a"], v["answer_b"]) == ("dark", "lit")
    assert "Debater A (round 1):\n\u2502 A careful reader will see that A is correct, not B." in v["transcript"]


def test_letters_that_may_not_name_an_answer_are_left_and_reported() -> None:
    text = "In A Pail of Air the family survives, so B. The answer is b; plan b failed."
    result = swap_references(text)
    assert result.text == ("In A[as written] Pail of Air the family survives, so A. The answer is a; "
                           "plan b[as written] failed.")
    assert len(result.unresolved) == 2
    assert "A Pail of Air" in result.unresolved[0] and "plan b failed" in result.unresolved[1]


def test_swapped_verdict_record_reports_relabelling() -> None:
    o = outcome()
    o["speeches"][0]["shown"] += " See A Pail of Air."
    record = verdict_record(o, "swapped", Verdict(0), raw="A", kind="model")
    report = record["swap_relabel"]
    assert report["relabelled"] == 2 * (SPEECH.count("{me}") + SPEECH.count("{them}"))
    assert report["unresolved"] == 1
    assert "A Pail of Air" in report["unresolved_snippets"][0]
    assert "swap_relabel" not in verdict_record(o, "original", Verdict(0), raw="A", kind="model")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("A is wrong.", "B is wrong."),
        ("Not A.", "Not B."),
        ("(a) and (b)", "(b) and (a)"),
        ("option b", "option a"),
        ("A's and B's", "B's and A's"),
        ("answers A and B", "answers B and A"),
        ("A man, a plan.", "A man, a plan."),
        ("A-list B-movie", "A-list B-movie"),
        ("Debater A\u2019s claim", "Debater B\u2019s claim"),
    ],
)
def test_single_references(before: str, after: str) -> None:
    assert swap_references(before).text == after


# ---- realistic speeches full of bare letters and names with letters ------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from oversight.protocols.debate.relabel import UNRESOLVED_MARK  # noqa: E402

# Each fragment as a speaker writes it; {S} names an answer (swapped, or left as written and
# marked), {K} is part of a name or an article (never swapped; marked at most).
REFERENCES = [
    "Debater {S}'s quote is invented.", "Vote {S}.", "{S} explains the ending; {S} does not.",
    "The answer is {S}.", "Option {S} fits the timeline.", "({S}) is the only reading left.",
    "Unlike {S}, my answer uses the story.", "{S} is wrong about the viaduct.", "So {S}.",
    "I prefer {S} because the soup trembled.", "{S}'s reading ignores the lever.", "Choose {S}, not {S}.",
    "Both answers {S} and {S} mention the cab.", "If {S} were right, the soup would not tremble.",
    "My opponent says {S} holds, but {S} fails on the second page.", "{S}) the soup did not tremble",
    "The judge should see that {S} is the honest answer.", "Only {S} survives the quote.",
    "Perhaps {S} is right after all.", "The evidence, which {S}'s defender never quotes, is thin.",
    "- {S} relies on the reservoir.", "\"{S} is wrong,\" the story would say.",
]
NAMES = [
    "Vitamin {K} deficiency explains nothing.", "Plan {K} was the driver's idea.", "She had type {K} blood.",
    "Hepatitis {K} is not in the story.", "Exhibit {K} at the inquiry was the lever.",
    "The train left from platform {K} at nine.", "Appendix {K} lists the stations.",
    "A man walked to the cab.", "She found a lamp.", "Vitamins {K} and {K} came up twice.",
    "The Plan {K} memo is a red herring.", "In A Pail of Air the family survives.", "Flight {K} was late.",
    "Blood type {K} is common.", "The {K}-list cooks ate first.", "Route {K} passes the viaduct.",
    "The Marguerite {K} cabin was cold.",
]
OTHER = {"A": "B", "B": "A"}


def _expected(fragment: str, letter: str) -> tuple[str, str]:
    """(the fragment with `letter`, a regex for what the swapped view may show)."""
    text = fragment.replace("{S}", letter).replace("{K}", letter)
    parts = re.split(r"(\{S\}|\{K\})", fragment)
    pattern = ""
    for p in parts:
        if p == "{S}":
            pattern += f"(?:{OTHER[letter]}|{letter}{re.escape(UNRESOLVED_MARK)})"
        elif p == "{K}":
            pattern += f"{letter}(?:{re.escape(UNRESOLVED_MARK)})?"
        else:
            # a literal article may be marked (left as written: never a misattribution), never swapped
            pattern += re.sub(r"(?<![\w'])A(?![\w'-])", lambda _: f"A(?:{re.escape(UNRESOLVED_MARK)})?", re.escape(p))
    return text, pattern


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(REFERENCES + NAMES), st.sampled_from("AB")), min_size=1, max_size=10))
def test_swapped_speeches_never_misattribute(fragments: list[tuple[str, str]]) -> None:
    texts, patterns = zip(*(_expected(f, letter) for f, letter in fragments))
    result = swap_references(" ".join(texts))
    assert re.fullmatch(r"\ ".join(patterns), result.text), result.text
    assert len(result.unresolved) == result.text.count(UNRESOLVED_MARK)


@pytest.mark.parametrize("fragment", REFERENCES)
def test_every_sure_reference_is_swapped(fragment: str) -> None:
    for letter in "AB":
        text = fragment.replace("{S}", letter)
        result = swap_references(text)
        assert result.text == fragment.replace("{S}", OTHER[letter]), (text, result.text)
        assert result.unresolved == []


@pytest.mark.parametrize("fragment", NAMES)
def test_names_with_letters_are_never_swapped(fragment: str) -> None:
    for letter in "AB":
        text = fragment.replace("{K}", letter)
        result = swap_references(text)
        assert result.relabelled == 0
        assert result.text.replace(UNRESOLVED_MARK, "") == text


def test_the_issue_examples_of_swapped_order() -> None:
    assert swap_references("A explains the ending; A does not.").text == "B explains the ending; B does not."
    assert swap_references("Vitamin A matters. Plan B failed.").text == "Vitamin A matters. Plan B failed."
    mixed = swap_references("Debater A claims the lamp; I think A is right while A Pail of Air is a title.")
    assert mixed.text.startswith("Debater B claims the lamp; I think B is right")
    assert "A[as written] Pail of Air" in mixed.text and len(mixed.unresolved) == 1


def test_unresolved_references_are_counted_in_the_verdict_record() -> None:
    o = outcome()
    o["speeches"][0]["shown"] = "I think the point in A Pail of Air is B-movie stuff; see Plan B."
    record = verdict_record(o, "swapped", Verdict(0), raw="A", kind="model")
    assert record["unresolved_references"] == record["swap_relabel"]["unresolved"] == 1
    assert "A[as written] Pail of Air" in judge_variables(o, "swapped")["transcript"]


SPEECHES = [
    ("My opponent's answer (B) collapses under the text. Answer A is the only one consistent with the "
     "viaduct scene. Vote A.",
     "My opponent's answer (A) collapses under the text. Answer B is the only one consistent with the "
     "viaduct scene. Vote B."),
    ("The soup trembled at Platform B every night, and Plan A was never needed. Debater B ignores this.",
     "The soup trembled at Platform B every night, and Plan A was never needed. Debater A ignores this."),
    ("Consider the two readings:\nA) the cook felt it in the soup\nB) she saw it from the window\n"
     "Only A survives the quote.",
     "Consider the two readings:\nB) the cook felt it in the soup\nA) she saw it from the window\n"
     "Only B survives the quote."),
    ("A is right. A man on the train would have felt it too; B cannot explain that.",
     "B is right. A man on the train would have felt it too; A cannot explain that."),
    ("As in A Tale of Two Cities, the cook sees what others miss, so B fails.",
     "As in A[as written] Tale of Two Cities, the cook sees what others miss, so A fails."),
    ("Hepatitis B and vitamin A are irrelevant; focus on answer B's evidence, which A's defender never quotes.",
     "Hepatitis B and vitamin A are irrelevant; focus on answer A's evidence, which B's defender never quotes."),
    ("**Final point:** the judge should prefer A over B, because B relies on <v_quote>the reservoir</v_quote>.",
     "**Final point:** the judge should prefer B over A, because A relies on <v_quote>the reservoir</v_quote>."),
    ("Type A cooks notice everything. Exhibit B at the inquiry, the frozen lever, proves it; so A.",
     "Type A cooks notice everything. Exhibit B at the inquiry, the frozen lever, proves it; so B."),
]


@pytest.mark.parametrize(("before", "after"), SPEECHES)
def test_realistic_speeches_relabel_exactly(before: str, after: str) -> None:
    result = swap_references(before)
    assert result.text == after
    assert len(result.unresolved) == after.count(UNRESOLVED_MARK)
