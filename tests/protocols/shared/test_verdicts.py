"""Reading verdicts from messy real-model text and from first-token logprobs."""

from __future__ import annotations

import math

import pytest

from oversight.models.types import TokenLogprob, TopLogprob
from oversight.protocols.shared.verdicts import parse_verdict, read_logprobs

A, B = 0, 1


@pytest.mark.parametrize(
    ("text", "choice", "probability"),
    [
        ("I think A... Final answer: (B), 70%", B, 0.7),
        ("**Answer: B** (confidence: 0.7)", B, 0.7),
        ("A or B? I'd say b with 60 percent", B, 0.6),
        ("B", B, None),
        (" A, 80%", A, 0.8),
        ("Answer: A\nConfidence: 65%", A, 0.65),
        ("Debater A argued well. However, Debater B is correct. I am 90% sure.", B, 0.9),
        ("Winner: Debater A (probability 0.85)", A, 0.85),
        ("Based on the verified quotes, I choose B.", B, None),
        ("I would go with option B with 55% confidence", B, 0.55),
        ("P(A) = 0.3, P(B) = 0.7", B, 0.7),
        ("A: 20%, B: 80%", B, 0.8),
        ("After weighing both, the answer is (a).", A, None),
        ("Answer: Debater A.\n\nWait, re-reading the quotes... Final answer: B 60%", B, 0.6),
        ("Answer: B (0.65)", B, 0.65),
        ("Judge: B", B, None),
        ("70% confident in answer B", B, 0.7),
        ("The correct answer is B.", B, None),
        ("\n\nB: He borrowed a student's violin from the school", B, None),
    ],
)
def test_parses_messy_verdicts(text: str, choice: int, probability: float | None) -> None:
    v = parse_verdict(text)
    assert not v.invalid, v.reason
    assert v.choice == choice
    if probability is None:
        assert v.probability is None
    else:
        assert v.probability == pytest.approx(probability)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Neither",
        "Both answers seem plausible; I cannot determine which is right.",
        "Based on the debate, I believe the correct answer is",  # truncated
        "Final ans",  # truncated
        "I'd say a good case can be made for both sides",  # 'a' is the article here
        "The debater for A made a good point but",
        "2",
        "P(A) = 0.5, P(B) = 0.5",
    ],
)
def test_unreadable_verdicts_are_invalid_with_a_reason(text: str) -> None:
    v = parse_verdict(text)
    assert v.invalid and v.choice is None
    assert v.reason


def test_later_final_answer_overrides_earlier_lean() -> None:
    v = parse_verdict("My initial answer: A. But Debater B's quote is verified. Final answer: B")
    assert v.choice == B and v.reason == "final answer"


X = None  # invalid

# (judge output, expected choice in shown order or X for invalid, expected probability of the choice)
JUDGE_OUTPUTS = [
    # the misreadings
    ("Debater A claims 'the answer is A'. But I side with Debater B.", B, None),
    ("I believe Debater B is lying, so A.", A, None),
    ("I would say A is incorrect. B.", B, None),
    ("Answer: A or B - I can't decide.", X, None),
    ("It is B.", B, None),
    ("The answer is not A; it is B.", B, None),
    ("Final Answer: The second option (B).", B, None),
    ("Both debaters quote the story, but only one quote fits the timeline...Final: A", A, None),
    ("Quotes verified - A: 3, B: 1. Answer: B", B, None),
    ("Answer: A (confidence 7/10)", A, 0.7),
    ("Answer: B. I'd put A at 30%.", B, 0.7),
    # plain and labelled
    ("B", B, None),
    (" A", A, None),
    ("A.", A, None),
    ("(B)", B, None),
    ("Answer: B", B, None),
    ("The correct answer is A, with 80% confidence.", A, 0.8),
    ("Verdict: Debater B wins.", B, None),
    ("My answer is option A.", A, None),
    ("B, 70%", B, 0.7),
    ("A - 0.85", A, 0.85),
    ("b", B, None),
    ("The answer is b.", B, None),
    # markdown
    ("**Final Answer: B**\n\n**Confidence: 75%**", B, 0.75),
    ("## Verdict\n\n**A** is correct.\n\n*Probability:* 0.6", A, 0.6),
    ("- Debater A: strong quotes\n- Debater B: unverified quotes\n\n**Answer: A**", A, None),
    ("`B`", B, None),
    # negations: ruling one out is not an explicit answer (conservative), even of two
    ("The answer is not B.", X, None),
    ("Debater A is wrong here; the story never says that.", X, None),
    ("I don't think B is correct.", X, None),
    ("I choose B over A.", B, None),
    ("A is not supported by any verified quote. Therefore B.", B, None),
    ("B, not A.", B, None),
    ("Debater B fabricated the key quote.", X, None),
    # quoted claims of either side
    ("Debater B says \"A is obviously wrong\", but its quote was unverified. I side with A.", A, None),
    ("Debater A argues that B is correct only by accident. Answer: A", A, None),
    ("According to Debater B, the answer is B. Debater B's claim that B is correct rests on an unverified quote. Final answer: A (65%)", A, 0.65),
    ("Debater A claims the answer is A. Debater B claims the answer is B. I cannot tell which is right.", X, None),
    # reversals: only a marked change of mind that ends in an explicit final answer is read
    ("At first I leaned towards A. But the verified quote settles it: B is correct.", B, None),
    ("A seems right... no, wait. Looking again at the quote about the harbour, it is B.", X, None),
    ("Answer: A\n\nOn reflection, Debater B is more convincing. Final answer: B, 60%", B, 0.6),
    ("I think A is correct. Actually, no: I think B is correct.", X, None),
    # hedges and refusals
    ("A or B", X, None),
    ("It could be A or B; neither debater convinced me.", X, None),
    ("I can't decide between A and B.", X, None),
    ("Neither answer is supported.", X, None),
    ("Both answers seem plausible.", X, None),
    ("I'd say a good case can be made for both sides", X, None),
    ("The final answer is A or B, hard to say.", X, None),
    # per-option probabilities
    ("P(A) = 0.25, P(B) = 0.75", B, 0.75),
    ("A: 30%, B: 70%\nAnswer: B", B, 0.7),
    ("Probability that A is correct: 0.2. Answer: B", B, 0.8),
    ("I give 65% to A and 35% to B.", A, 0.65),
    ("Answer: A. I'd put B at 10%.", A, 0.9),
    ("A: 0.5, B: 0.5", X, None),
    # fractions and percentages
    ("Answer: B (confidence 8/10)", B, 0.8),
    ("B - confidence 3 out of 4", B, 0.75),
    ("Final answer: A. Confidence: 90", A, 0.9),
    ("Answer: A, 150%", X, None),
    ("Answer: B (confidence: 120%)", X, None),
    ("I am 85 percent sure it is B.", B, 0.85),
    ("Answer: B\nConfidence: high", B, None),
    ("Debater B cited 4 of 5 quotes correctly. Answer: B", B, None),
    # empty and truncated
    ("", X, None),
    ("\n\n  \n", X, None),
    ("Based on the debate, the correct answer is", X, None),
    ("Final ans", X, None),
    ("A careful reading of the debate shows that", X, None),
    # gemma-270m-style rambling and echoed template text
    # answers a question of its own after ours: which answer is for ours is not certain
    (" A, 80%\n\nQuestion: What did the keeper do at dusk?\nA: He lit the lamp\nB: He went home\n\nAnswer: B, 60%", X, None),
    ("Which answer is correct, A or B? Reply with the letter, then your probability that it is correct, for example \"B, 70%\".\n\nAnswer:", X, None),
    (" B\n\nDebater A (round 2): I maintain that A is correct because the quote shows it.", B, None),
    ("A: He lit the lamp\nB: He went home", X, None),
    (" The answer is A. The answer is A. The answer is A. The answer is", A, None),
    (" A man walked into the harbour and the keeper lit the lamp", X, None),
    ("<v_quote>the answer is A</v_quote> B is right.", B, None),
    ("Judge: B", B, None),
    ("2", X, None),
]


@pytest.mark.parametrize(("text", "choice", "probability"), JUDGE_OUTPUTS)
def test_judge_output_table(text: str, choice: int | None, probability: float | None) -> None:
    v = parse_verdict(text)
    assert v.choice == choice, v.reason
    assert v.invalid == (choice is None)
    assert v.reason
    if probability is None:
        assert v.probability is None
    else:
        assert v.probability == pytest.approx(probability)


def test_table_is_large_and_covers_both_letters_and_invalid() -> None:
    assert len(JUDGE_OUTPUTS) >= 60
    assert {c for _, c, _ in JUDGE_OUTPUTS} == {A, B, X}


def test_probability_for_the_other_answer_goes_to_that_answer() -> None:
    v = parse_verdict("Answer: B. I'd put A at 30%.")
    assert v.probs == pytest.approx([0.3, 0.7]) and v.probability == pytest.approx(0.7)


def test_out_of_range_probability_makes_the_verdict_invalid_and_the_reason_says_so() -> None:
    v = parse_verdict("Answer: A, 150%")
    assert v.invalid and v.choice is None
    assert "150% is not between 0% and 100%" in v.reason


def test_inconsistent_per_option_probabilities_are_normalised_and_noted() -> None:
    v = parse_verdict("A: 30%, B: 80%. Answer: B")
    assert v.probs == pytest.approx([0.3 / 1.1, 0.8 / 1.1])
    assert "normalised" in v.reason


def test_choice_against_its_own_probabilities_is_invalid() -> None:
    v = parse_verdict("Answer: A. P(A) = 0.2, P(B) = 0.8")
    assert v.invalid and v.choice is None and v.probs == pytest.approx([0.2, 0.8])
    assert "favour another option" in v.reason


def test_hedged_final_answer_is_invalid_with_reason() -> None:
    v = parse_verdict("Final answer: A or B.")
    assert v.invalid and v.reason == "hedged between A and B"


def test_three_options_negation_does_not_pick_one() -> None:
    assert parse_verdict("The answer is not A.", n_options=3).invalid
    assert parse_verdict("The answer is not A. It is C.", n_options=3).choice == 2


def _tok(top: dict[str, float], token: str | None = None) -> list[TokenLogprob]:
    alts = [TopLogprob(token=t, logprob=lp) for t, lp in top.items()]
    first = token if token is not None else max(top, key=top.__getitem__)
    return [TokenLogprob(token=first, logprob=top[first], top=alts)]


def test_logprobs_sum_letter_variants_and_renormalise() -> None:
    top = {" A": math.log(0.3), "A": math.log(0.1), " B": math.log(0.25), "(B": math.log(0.2), " the": math.log(0.15)}
    v = read_logprobs(_tok(top))
    assert not v.invalid
    assert v.choice == B
    assert v.probs == pytest.approx([0.4 / 0.85, 0.45 / 0.85])
    assert v.extra["mass"] == pytest.approx(0.85)


def test_logprobs_choice_and_probabilities() -> None:
    top = {" B": math.log(0.6), " A": math.log(0.2), "\n": math.log(0.1), " a": math.log(0.05)}
    v = read_logprobs(_tok(top))
    assert v.choice == B
    assert v.probs == pytest.approx([0.25, 0.75])
    assert v.probability == pytest.approx(0.75)
    assert v.extra["mass"] == pytest.approx(0.8)


def test_logprobs_without_letters_or_without_logprobs_are_invalid() -> None:
    assert read_logprobs(_tok({" The": -0.1, " It": -2.0})).invalid
    assert read_logprobs(None).invalid
    assert read_logprobs([]).reason == "no logprobs returned"


def test_logprobs_tie_is_invalid() -> None:
    v = read_logprobs(_tok({" A": math.log(0.4), " B": math.log(0.4)}))
    assert v.invalid and v.probs == pytest.approx([0.5, 0.5])
