"""Open roles (`params.roles: open`, Kenton et al. 2024): each debater, or the consultant, first
chooses the answer it will defend.

How choices become sides. Kenton et al.'s open debate has a protagonist who chooses and an
antagonist assigned the other answer. We ask both debaters, so each one's choice is measured,
and make debater_a the protagonist: it defends its choice; debater_b defends its own choice
when that differs, and when both chose the same answer debater_b is assigned the other one
(`same_as_opponent` true). A choice that cannot be read is recorded (`invalid`, the raw text
stays in the model call) and the speaker falls back to its assigned answer (debater_a the
first, debater_b the second, the consultant the one `units` assigned; `fallback` true), so
the debate still runs; a clash with the protagonist is then settled as above.

The chooser sees the answers as A and B in the item's order. Read from its text, in turn: the
first first-person statement ("I will defend the answer A"), else the last explicit phrase
("Answer: (A)"), else a reply that opens with the letter ("**B**"), else the one answer whose
text it names; anything else is invalid.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

LETTERS = "AB"
NO_PROOF = "(no worked argument given)"

_LETTER = r"""(?:(?i:answer|option|choice)\s*[\s:(\["'*]{0,3}([ABab])|[(\["'*]*([AB]))(?![\w'])"""
"""A letter: upper case, or either case right after "answer"/"option" ("option b"); never the
article in "a different answer"."""
_FIRST_PERSON = re.compile(
    r"(?i:\bI(?:\s+will|\s+shall|'ll|\s+am\s+going\s+to|\s+would)?\s+(?:defend|choose|pick|select|argue\s+for|"
    r"go\s+with|take)(?:\s+to\s+(?:defend|argue\s+for))?\s+(?:the\s+)?)" + _LETTER)
"""A first-person statement ("I will defend the answer A"): the first one is the choice, since
base models go on to write other speakers' lines."""
_EXPLICIT = re.compile(
    r"(?i:\b(?:defend(?:ing)?|choos(?:e|ing)|chose|pick(?:ing)?|select(?:ing)?|choice|argue\s+for|go(?:ing)?\s+with|"
    r"answer|option)\b(?:\s+(?:is|will\s+be|to\s+defend|to\s+argue\s+for|for))?(?:\s+the)?[\s:=\-*_\"'(\[]{0,6})"
    + _LETTER)
"""Any other explicit phrase ("Answer: (A)", "my choice is option b"): the last one, a
conclusion after deliberation."""
_LEADING = re.compile(r"^[\s*_\"'(\[#>]*([AB])(?:[\s*_\"')\].:,;!-]*$|[\s*_\"')\]]*[.:,;)!\-\n])")


class SideChoice(TypedDict):
    """One speaker's choice, as recorded in the outcome's `open_roles`."""

    choice: int | None
    """The answer it chose (item order); None when its text named none."""
    invalid: bool
    defends: int
    """The answer it then defended."""
    fallback: bool
    """Defends its assigned answer because the choice was invalid."""
    same_as_opponent: bool
    """debater_b chose debater_a's answer and was assigned the other."""
    reason: str


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w.%$ ]+", " ", text.lower())).strip()


def _names(text: str, answer: str) -> bool:
    """Whether `answer` stands in `text` as whole words (a number not inside a longer one)."""
    a = _norm(answer)
    return bool(a) and re.search(rf"(?<![\w.]){re.escape(a)}(?![\w]|\.\d)", _norm(text)) is not None


def read_choice(text: str, answers: list[str]) -> tuple[int | None, str]:
    """(answer index chosen, how it was read) from a chooser's messy text."""
    cleaned = text.replace("**", "").replace("__", "")
    mine = _FIRST_PERSON.search(cleaned)
    if mine:
        letter = (mine.group(1) or mine.group(2)).upper()
        return LETTERS.index(letter), f"said {letter}"
    found = [(m.group(1) or m.group(2)).upper() for m in _EXPLICIT.finditer(cleaned)]
    if found:
        return LETTERS.index(found[-1]), f"said {found[-1]}"
    first = cleaned.strip().splitlines()[0] if cleaned.strip() else ""
    lead = _LEADING.match(first + "\n") if first else None
    if lead:
        return LETTERS.index(lead.group(1).upper()), f"began with {lead.group(1).upper()}"
    named = [i for i, a in enumerate(answers) if _names(cleaned, a)]
    if len(named) == 1:
        return named[0], "named the answer"
    if len(named) > 1:
        return None, "named both answers and no letter"
    return None, "no choice found"


def settle(choices: dict[str, tuple[int | None, str]], assigned: dict[str, int]) -> dict[str, SideChoice]:
    """Sides from the choices read (module docstring): role -> its SideChoice."""
    out: dict[str, SideChoice] = {}
    for role in sorted(choices):  # debater_a before debater_b; a consultant alone
        choice, reason = choices[role]
        defends = assigned[role] if choice is None else choice
        same = False
        if role == "debater_b" and "debater_a" in out and defends == out["debater_a"]["defends"]:
            same = choice is not None
            defends = 1 - defends
        out[role] = SideChoice(choice=choice, invalid=choice is None, defends=defends,
                               fallback=choice is None, same_as_opponent=same, reason=reason)
    return out


def chooser_variables(item: Any, role: str) -> dict[str, Any]:
    """The `choose_answer` templates' variables for `role` on `item`."""
    proofs = list(item.proofs) or [NO_PROOF, NO_PROOF]
    return {"title": item.title, "story": item.story, "question": item.question,
            "answer_a": item.answers[0], "answer_b": item.answers[1], "proof_a": proofs[0], "proof_b": proofs[1],
            "name": "Consultant" if role == "consultant" else "a debater",
            "task": "a consultation" if role == "consultant" else "a debate"}


__all__ = ["NO_PROOF", "SideChoice", "chooser_variables", "read_choice", "settle"]
