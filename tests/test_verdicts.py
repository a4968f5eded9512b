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
