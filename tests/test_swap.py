"""The swapped judge view: every reference to an answer letter follows the answers' new order."""

from __future__ import annotations

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
