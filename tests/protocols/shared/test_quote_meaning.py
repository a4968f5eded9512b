"""A found quote is verified only if it keeps the passage's meaning: contractions, sentence
breaks, runs of tiny fragments, and quotes too short to be evidence."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.protocols.shared.quote_meaning import NOTES
from oversight.protocols.shared.quotes import Passage, check_speech

SENTENCES = [
    "The keeper can't swim, so he stayed on the platform while the others waded out.",
    "Martha didn't wait for the lifeboat.",
    "She tied the rope to the rail of the old pier and went in after the boy.",
    "Mr. Pell, who ran the bait shop, watched from the shore and said nothing.",
    "By the time the lifeboat arrived, the boy was already on the sand.",
    "Nobody thanked Martha that night; the keeper saved his praise for the crew.",
    "Later the keeper wouldn't say who had pulled the boy out.",
    "\"It won't happen again,\" he told the harbour board.",
]
PASSAGE = " ".join(SENTENCES[:4]) + "\n\n" + " ".join(SENTENCES[4:])
P = Passage(PASSAGE)


def words(sentence: str) -> list[str]:
    return sentence.split()


def check(quote: str):  # noqa: ANN201
    return P.check(quote)


def test_the_issue_examples() -> None:
    cut = check("The keeper can")
    assert cut.exact and not cut.verified and cut.meaning == "cut_from_contraction"
    assert not check("Martha didn").verified
    assert not check("t swim").verified
    assert check("The keeper can't swim").verified
    stitched = check("the others waded out Martha didn't wait")
    assert stitched.exact and not stitched.verified and stitched.meaning == "across_sentences"
    assert check("the others waded out. Martha didn't wait").verified
    fragments = check_speech("So <quote>the keeper</quote> <quote>saved</quote> <quote>Martha</quote>.", P)
    assert [q.meaning for q in fragments.quotes] == ["fragment_run"] * 3
    assert not any(q.verified for q in fragments.quotes)
    assert fragments.shown.count(NOTES["fragment_run"]) == 3
    for tiny in ("the", "Martha", "of the"):
        one = check_speech(f"Look: <quote>{tiny}</quote>.", P)
        assert one.quotes[0].verified and one.quotes[0].short
        assert f"</v_quote> [{NOTES['short']}]" in one.shown


def test_abbreviations_and_possessives_are_not_breaks_or_cuts() -> None:
    assert check("Mr. Pell, who ran the bait shop").verified
    assert check("Mr Pell who ran the bait shop").verified  # "Mr." is not a sentence end
    burnside = Passage("Burnside's lamp was lit. The keeper's boat sank.")
    assert burnside.check("Burnside").verified and burnside.check("The keeper").verified


def test_fragments_that_join_into_story_text_are_not_a_run() -> None:
    honest = check_speech("<quote>the keeper</quote> <quote>saved his praise</quote> <quote>for the crew</quote>", P)
    assert all(q.verified and q.meaning is None for q in honest.quotes)
    spread = check_speech("<quote>the keeper</quote>, as the story calls him again and again, is not the "
                          "one who <quote>saved</quote> anybody; it was <quote>Martha</quote>.", P)
    assert all(q.meaning is None for q in spread.quotes)  # not adjacent: each stands on its own


@st.composite
def window(draw: st.DrawFn) -> tuple[int, str]:
    index = draw(st.integers(0, len(SENTENCES) - 1))
    ws = words(SENTENCES[index])
    start = draw(st.integers(0, len(ws) - 1))
    end = draw(st.integers(start + 1, len(ws)))
    return index, " ".join(ws[start:end])


@settings(max_examples=300, deadline=None)
@given(window())
def test_a_window_of_one_sentence_is_verified_unless_it_cuts_a_contraction(case: tuple[int, str]) -> None:
    _, quote = case
    result = check(quote)
    assert result.exact
    # The window is whole words of the sentence, so it cuts a contraction only if it does not
    # contain all of one: it never does here, since every contraction is one whitespace word.
    assert result.verified, (quote, result.meaning)


@settings(max_examples=300, deadline=None)
@given(window())
def test_a_quote_that_stops_before_n_t_is_never_verified(case: tuple[int, str]) -> None:
    _, quote = case
    cut = re.sub(r"n['\u2019]t\b.*$", "n", quote)
    if cut == quote or not cut.strip():
        return
    result = check(cut)
    assert not result.verified, cut
    assert result.meaning == "cut_from_contraction" or not result.exact


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SENTENCES) - 2), st.integers(1, 6), st.integers(1, 6))
def test_words_across_a_sentence_break_verify_only_with_the_break_shown(i: int, tail: int, head: int) -> None:
    if i == 3:  # the paragraph break is a boundary too; keep the pair within one paragraph
        return
    left, right = words(SENTENCES[i])[-tail:], words(SENTENCES[i + 1])[:head]
    with_break = " ".join(left + right)
    without = re.sub(r"[.;]\"?$", "", " ".join(left)) + " " + " ".join(right)
    assert check(with_break).verified, with_break
    result = check(without)
    if left[-1].endswith(";"):  # a semicolon does not end a sentence here
        return
    assert not result.verified and result.meaning == "across_sentences", without


def test_a_fuzzy_match_that_drops_a_negation_is_not_verified() -> None:
    assert P.check("The keeper can swim, so he stayed on the platform", fuzzy_threshold=85).fuzzy >= 85
    dropped = P.check("The keeper can swim, so he stayed on the platform", fuzzy_threshold=85)
    assert not dropped.verified and dropped.meaning == "negation_changed"
    close = P.check("The keeper cant swim, so he stayed on the platform", fuzzy_threshold=85)
    assert close.verified and close.meaning is None  # a typo, the negation kept
    added = P.check("Martha did not tie the rope to the rail of the old pier", fuzzy_threshold=80)
    assert not added.verified
