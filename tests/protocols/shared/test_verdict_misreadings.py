"""Classes of misreading a reviewer found in the verdict and rating readers, each tested with
wordings beyond the review corpus: a confident wrong reading must become invalid (or the
careful reading), and the plain forms next to each class must still be read."""

from __future__ import annotations

import pytest

from oversight.protocols.shared.verdicts import parse_verdict


def _read(text: str, n: int = 2) -> tuple[str | None, float | None]:
    v = parse_verdict(text, n_options=n)
    assert not v.invalid or v.reason
    return (None if v.invalid else "ABCDEFGHIJ"[v.choice], v.probability)  # type: ignore[index]


@pytest.mark.parametrize("text", [
    # the predicate negated or diminished by an adverb
    "B is hardly the right answer.", "Debater A is scarcely correct.", "B is nowhere near correct.",
    "A is far from the correct answer.", "Debater B is no longer the stronger answer.",
    # the statement framed as a doubt, a supposition or someone else's view
    "I doubt whether B is correct.", "It is doubtful that A is right.", "Many readers would say B is correct.",
    "Suppose B is correct: then the diary is forged.", "Nobody sensible would think A is correct.",
    "The notion that B is right ignores chapter 2.", "Whether A is correct hinges on the date.",
    "If the diary is genuine, B is correct.", "A is correct if we trust the diary.",
    # a question, a concession on a detail, a retraction in the same sentence
    "B is correct? Not really.", "Debater B is right about the weather.", "A is correct that the ship left on Monday.",
    "Debater A is right to question the date.", "B appears correct, but it is not.", "A looks right, though it's wrong.",
    # a joke or correction reversing the answer
    "A is correct. Kidding, B.", "Answer: B. Correction: A.",
    # the letter opening a sentence as the subject of a relative clause
    "Debater B, whose answer is A, is more convincing.",
])
def test_framed_or_negated_statements_are_not_answers(text: str) -> None:
    assert _read(text)[0] is None


@pytest.mark.parametrize(("text", "letter"), [
    ("I think B is correct.", "B"), ("I believe that A is right.", "A"), ("I'd say A is correct.", "A"),
    ("Having weighed both speeches, B is correct.", "B"), ("A is wrong, B is correct.", "B"),
    ("Debater A is wrong; Debater B is right.", "B"), ("B is correct, in my view.", "B"),
    ("B is right on balance.", "B"), ("To me, B is correct.", "B"), ("- A is correct.", "A"),
    ("I am 85 percent sure it is B.", "B"), ("Overall, Debater A wins.", "A"),
    ("Answer: B. I mean, A's quote is fake.", "B"),
])
def test_plain_statements_still_read(text: str, letter: str) -> None:
    assert _read(text)[0] == letter


@pytest.mark.parametrize("text", [
    "Answer: B. I'm 70% sure B is bluffing.", "Answer: A. I am 90 percent certain the diary was forged.",
    "Answer: B. I'm 80% sure that A is wrong about the date.", "Final answer: A. 95% confident Debater B misquoted.",
    "Answer: B, though I'm 60% sure the keeper lied.",
])
def test_confidence_about_another_claim_is_never_the_answers_probability(text: str) -> None:
    letter, p = _read(text)
    assert p is None or letter is None


@pytest.mark.parametrize(("text", "letter", "p"), [
    ("Answer: B. I'm 70% confident in B.", "B", 0.7), ("Answer: B. I'm 70% confident, given the quotes.", "B", 0.7),
    ("Answer: A. I'm 80% sure of it.", "A", 0.8), ("Answer: A. I'm 80% sure that A is correct.", "A", 0.8),
    ("Answer: A. The probability that A is wrong is 0.25.", "A", 0.75),
])
def test_confidence_in_the_answer_still_read(text: str, letter: str, p: float) -> None:
    assert _read(text) == (letter, pytest.approx(p))


@pytest.mark.parametrize(("text", "faithfulness"), [
    (" Certainly not a 7.\nCoverage: 4", None), (" It's no 6, that's for sure.\nCoverage: 4", None),
    (" I would never rate this a 7/7.\nCoverage: 4", None), (" Hardly a 5.\nCoverage: 4", None),
    (" I wouldn't give it a 6; more like 3.\nCoverage: 4", 3), (" Not 7 but 5.\nCoverage: 4", 5),
    (" 5\nCoverage: 4", 5),
])
def test_a_ruled_out_rating_is_not_a_rating(text: str, faithfulness: int | None) -> None:
    from oversight.protocols.summarize.ratings import parse_ratings
    ratings, problems = parse_ratings(text)
    assert ratings == {"faithfulness": faithfulness, "coverage": 4}
    assert (faithfulness is None) == bool(problems)


@pytest.mark.parametrize("text", [
    '{"answer": "A", "answer": "B", "probability": 0.7}',
    'My verdict:\n```json\n{"reasoning": "x", "answer": "B", "confidence": 0.9, "confidence": 0.2}\n```',
])
def test_a_json_field_given_twice_is_invalid_in_free_text_and_structured(text: str) -> None:
    from oversight.protocols.shared.verdicts import read_structured
    assert parse_verdict(text).invalid
    body = text[text.index("{"):text.rindex("}") + 1]
    assert read_structured(body).invalid and "twice" in read_structured(body).reason
    assert not read_structured('{"reasoning": "x", "answer": "B", "answer": "B", "probability": 0.7}').invalid


def test_a_rating_field_given_twice_is_invalid() -> None:
    from oversight.protocols.summarize.ratings import parse_ratings, read_structured_ratings
    text = '{"reasoning": "ok", "faithfulness": 6, "coverage": 2, "faithfulness": 3}'
    for ratings, problems in (parse_ratings(text), read_structured_ratings(text)):
        assert ratings == {"faithfulness": None, "coverage": 2} and problems


@pytest.mark.parametrize(("text", "letter"), [
    ("<think>Maybe <answer>A</answer>? Let me check the quotes again.", None),
    ('<think>Draft: {"answer": "A", "probability": 0.9}. Hmm, no.</think>', None),
    ("<reasoning>I will output <answer>A</answer> unless B's quote is verified.</reasoning>", None),
    ("<thinking>Draft <verdict>B</verdict></thinking>\n<answer>A</answer>", "A"),
    ('<think>Draft: {"answer": "A"}</think>\nAnswer: B', "B"),
    ('<think>ok</think>\n{"answer": "B", "probability": 0.7}', "B"),
])
def test_a_draft_answer_inside_the_judges_reasoning_is_not_its_answer(text: str, letter: str | None) -> None:
    assert _read(text)[0] == letter


@pytest.mark.parametrize(("text", "letter"), [
    ("Debater A's argument is stronger.", "A"), ("B's answer is correct.", "B"),
    ("In conclusion, Debater B's case is more convincing.", "B"), ("Debater A's argument is weaker, so B.", "B"),
    ("Debater B's answer is hardly correct.", None), ("I doubt Debater A's case is stronger.", None),
    ("B's quote is verified.", None),
])
def test_a_possessive_subject_is_read_like_the_letter(text: str, letter: str | None) -> None:
    assert _read(text)[0] == letter


@pytest.mark.parametrize(("text", "letter"), [
    ("Debater A (round 1): The keeper left.\nDebater B (round 1): The keeper stayed.\nJudge: I pick B.", "B"),
    ("> Debater B (round 2): I concede, A is right.", None),
    ("> Debater A (round 1): B is wrong.\n> Final answer: A\n\nI side with B.", "B"),
    ("Debater A (round 1): My points.\nFinal answer: A\nDebater B (round 1): Answer: B.", None),
])
def test_echoed_speeches_quoted_or_followed_by_the_judges_line(text: str, letter: str | None) -> None:
    assert _read(text)[0] == letter


@pytest.mark.parametrize(("text", "faithfulness"), [
    (" I'd give it a 6, or a 7 if the date were right.\nCoverage: 4", None),
    (" I'd rate it 5 or so, maybe 6 with the fix.\nCoverage: 4", None),
    (" 3 would be too harsh; I'd give 6.\nCoverage: 4", 6), (" A 7 would be too generous, so 5.\nCoverage: 4", 5),
])
def test_a_decisive_word_applies_only_to_the_number_right_after_it(text: str, faithfulness: int | None) -> None:
    from oversight.protocols.summarize.ratings import parse_ratings
    assert parse_ratings(text)[0] == {"faithfulness": faithfulness, "coverage": 4}


@pytest.mark.parametrize(("text", "letter"), [
    ("Debater B is right about the date, but A is correct overall.", "A"),
    ("It's unlikely that A is correct. Answer: B.", "B"),
    ("If A were right, the keeper would have drowned. He didn't. So B.", "B"),
    ("I doubt A is correct. Answer: A.", None),
    ("A, B and C are wrong, so D.", "D"), ("A, B and C are wrong.", None),
])
def test_a_framed_statement_beside_the_judges_own_answer(text: str, letter: str | None) -> None:
    assert _read(text, n=4)[0] == letter


@pytest.mark.parametrize(("text", "letter", "p"), [
    ("Answer: B\nProbability: 0.8 that B is wrong", None, None),
    ("Answer: A\nConfidence: 90% that Debater B misquoted", None, None),
    ("Answer: A\nProbability correct: 0.2", None, None),
    ("Answer: B\nProbability wrong: 0.2", "B", 0.8), ("Answer: A\nProbability of error: 0.1", "A", 0.9),
    ("Answer: A\nRisk of being wrong: 15%", "A", 0.85), ("Answer: A. Probability: 0.8 of being right.", "A", 0.8),
    ("Answer: A with 80% confidence because the quote is verified.", "A", 0.8),
])
def test_what_a_probability_is_of_decides_how_it_is_read(text: str, letter: str | None, p: float | None) -> None:
    got = _read(text)
    assert got[0] == letter and (got[1] == pytest.approx(p) if p is not None else got[1] is None)


@pytest.mark.parametrize(("text", "letter"), [
    ("Debater B's closing:\n> Answer: B. The keeper stayed.\n\nThis is unconvincing.", None),
    ("Debater A concluded:\n\n> The answer is A.\n\nI side with B.", "B"),
    ("Debater B's speech ends: Answer: B.", None), ("The transcript shows Debater B saying the answer is B.", None),
    ("Debater A keeps insisting the answer is A. Final answer: B", "B"),
    ("Debater B's closing words: Answer: B. Answer: A.", "A"), ("My verdict:\n> Answer: B", "B"),
])
def test_introduced_and_reported_speech_is_not_the_judges_answer(text: str, letter: str | None) -> None:
    assert _read(text)[0] == letter


@pytest.mark.parametrize(("text", "letter", "p"), [
    ("| Option | Probability |\n|--------|-------------|\n| A | 0.6 |\n| B | 0.4 |\n\nI lean slightly toward A.", "A", 0.6),
    ("The evidence points toward B.\n\n| Option | Probability |\n|---|---|\n| A | 25% |\n| B | 75% |", "B", 0.75),
    ("| Option | Probability |\n|---|---|\n| A | 70% |\n| B | 30% |\n\nAnswer: B", None, None),
    ("| Debater | Strength |\n|---|---|\n| A | strong |\n| B | weak |", None, None),
    ("Answer: B. p=0.66", "B", 0.66), ("After review, option C is best. Confidence 60%.", "C", 0.6),
])
def test_tables_p_equals_and_best(text: str, letter: str | None, p: float | None) -> None:
    got = _read(text, n=3 if "C" in text else 2)
    assert got[0] == letter and (got[1] == pytest.approx(p) if p is not None else got[1] is None)


@pytest.mark.parametrize(("text", "letter"), [
    ("Option A seems plausible but option B is correct.", "B"), ("A looks strong, yet B is the better answer.", "B"),
    ("A (wrong) vs B (right).", None), ("A - incorrect. B.", "B"), ("B, not A.", "B"),
])
def test_statements_that_span_or_mark_clauses(text: str, letter: str | None) -> None:
    assert _read(text)[0] == letter


@pytest.mark.parametrize(("text", "letter"), [
    ("Debater B's argument is weaker rhetorically but correct.\n\nAnswer: B.", "B"),
    ("B, I think, but with low confidence.", "B"),
])
def test_a_negative_taken_back_and_the_pronoun_i_after_a_lead(text: str, letter: str | None) -> None:
    assert _read(text)[0] == letter


@pytest.mark.parametrize("text", [
    "I'd pick A if forced, but honestly it could be B.", "A, though it could be B.",
    "It could be B, but I pick A.", "My answer is B, though the answer might well be A.",
    "Verdict: A. That said, it may equally be debater B.", "B is correct... it could also be A, I suppose.",
])
def test_a_choice_hedged_with_the_other_possibly_right_is_not_an_answer(text: str) -> None:
    assert _read(text)[0] is None


@pytest.mark.parametrize(("text", "letter"), [
    ("It could be argued either way on style, but B is correct.", "B"),
    ("I pick B; it might be a stretch to call A's quote verified.", "B"),
    ("Answer: A. It could be better written, but A is right.", "A"),
    ("It might be B's weakest point, yet B is correct.", "B"),
])
def test_could_be_without_another_option_still_reads(text: str, letter: str) -> None:
    assert _read(text)[0] == letter
