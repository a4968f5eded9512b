"""Closed questions with no hidden text: records of the solib math-debate format and of
Hugging Face multiple-choice sets, turned into item dicts (data.py validates them).

Debate on these runs with `params.passage: none` (Kenton et al. 2024's closed QA): the
debaters know nothing the judge could not know in principle, so nothing is quoted or checked.

- `solib-math`: a JSON array of `{question, answer_correct: {numeric, proof}, answer_incorrect:
  {numeric, proof}}` (GSM8K with a plausible wrong answer). The answers are the two numbers; each
  debater also gets its number's proof. Items whose two numbers are equal cannot be debated:
  they are skipped and counted (one warning per file). Ids are `math-<index>-<sha1(question)[:8]>`
  (index 0-based in the file), so they are stable and name the record. Which number comes first
  is fixed by a hash of the id.
- `mmlu-pro`: rows with `question`, `options` (a list) and `answer` (a letter) or
  `answer_index` (0-based), as in TIGER-Lab/MMLU-Pro. Every non-blank option is kept; the
  correct one and one incorrect one are picked per experiment seed and item id when units are
  made (`seeded_pair`), so the same seed gives the same pair on every run.
"""

from __future__ import annotations

import hashlib
import math
import random
import warnings
from typing import Any

from oversight.config.tasks import Records

SOLIB_FIELDS = ("answer_correct", "answer_incorrect")
PAIR_SEEDED = "seeded"
"""`meta["pair"]` of an item whose two answers are picked at unit time (`seeded_pair`)."""


class SkippedRecordsWarning(UserWarning):
    """Records a loader left out on purpose (counted), shown once per file."""


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _number(value: Any, where: str) -> float:
    """A record's `numeric`: a number, or a string holding one ("1,200", "$18")."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: expected a number (got {value!r})")
    if isinstance(value, str):
        text = value.strip().replace(",", "").lstrip("$").strip()
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{where}: expected a number (got {value!r})") from None
    if not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ValueError(f"{where}: expected a finite number (got {value!r})")
    return float(value)


def number_text(value: float) -> str:
    """2.0 -> "2", 0.5 -> "0.5", 1e20 -> "100000000000000000000": how a person writes it."""
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _side(record: dict[str, Any], name: str) -> tuple[float, str]:
    side = record.get(name)
    if side is None:
        raise ValueError(f"{name}: missing")
    if not isinstance(side, dict):
        raise ValueError(f"{name}: expected an object with numeric and proof (got {type(side).__name__})")
    if "numeric" not in side:
        raise ValueError(f"{name}.numeric: missing")
    number = _number(side["numeric"], f"{name}.numeric")
    proof = side.get("proof", "")
    if not isinstance(proof, str):
        raise ValueError(f"{name}.proof: expected text (got {type(proof).__name__})")
    return number, proof.strip()


def solib_math_records(records: Records, source: str) -> tuple[list[dict[str, Any]], list[int]]:
    """(item dicts, numbers of the records skipped because both answers are the same number).
    A bad record raises ValueError("<field>: <problem>") with its number in `.args[1]`."""
    out: list[dict[str, Any]] = []
    skipped: list[int] = []
    for index, record in enumerate(records):
        try:
            question = record.get("question")
            if not isinstance(question, str) or not question.strip():
                raise ValueError("question: missing or empty")
            right, right_proof = _side(record, "answer_correct")
            wrong, wrong_proof = _side(record, "answer_incorrect")
        except ValueError as exc:
            raise ValueError(str(exc), index + 1) from None
        if number_text(right) == number_text(wrong):
            skipped.append(index + 1)
            continue
        item_id = f"math-{index}-{_sha(question)}"
        answers, proofs = [number_text(right), number_text(wrong)], [right_proof, wrong_proof]
        correct_first = hashlib.sha256(item_id.encode("utf-8")).digest()[0] & 1 == 0
        if not correct_first:
            answers.reverse()
            proofs.reverse()
        out.append({"id": item_id, "question": question.strip(), "answers": answers, "proofs": proofs,
                    "correct_index": 0 if correct_first else 1, "meta": {"source_index": index}})
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (", ..." if len(skipped) > 10 else "")
        warnings.warn(f"{source}: skipped {len(skipped)} of {len(records)} records whose two answers are the "
                      f"same number (records {shown})", SkippedRecordsWarning, stacklevel=2)
    return out, skipped


def _correct_option(record: dict[str, Any], n_options: int) -> int:
    answer, index = record.get("answer"), record.get("answer_index")
    if isinstance(index, int) and not isinstance(index, bool):
        if not 0 <= index < n_options:
            raise ValueError(f"answer_index: {index} is out of range for {n_options} options")
        if isinstance(answer, str) and answer.strip() and answer.strip().upper() != chr(ord("A") + index):
            raise ValueError(f"answer: {answer!r} disagrees with answer_index {index}")
        return index
    if isinstance(answer, str) and len(answer.strip()) == 1 and answer.strip().isalpha():
        letter = ord(answer.strip().upper()) - ord("A")
        if not 0 <= letter < n_options:
            raise ValueError(f"answer: {answer!r} is out of range for {n_options} options")
        return letter
    raise ValueError(f"answer: expected a letter or an answer_index (got {answer!r})")


def mmlu_records(records: Records, source: str) -> list[dict[str, Any]]:
    """Item dicts with every non-blank option; `seeded_pair` cuts them to two per unit."""
    out = []
    for number, record in enumerate(records, start=1):
        try:
            question = record.get("question")
            if not isinstance(question, str) or not question.strip():
                raise ValueError("question: missing or empty")
            options = record.get("options")
            if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
                raise ValueError("options: expected a list of strings")
            gold = _correct_option(record, len(options))
            if not options[gold].strip():
                raise ValueError(f"options: the correct option {gold} is blank")
            kept = [i for i, o in enumerate(options) if o.strip() and o.strip().upper() != "N/A"]
            if len(kept) < 2:
                raise ValueError(f"options: needs at least two non-blank options (got {len(kept)})")
        except ValueError as exc:
            raise ValueError(str(exc), number) from None
        qid = record.get("question_id")
        item_id = f"mc-{qid}" if isinstance(qid, (int, str)) and str(qid).strip() else \
            f"mc-{number - 1}-{_sha(question)}"
        meta = {k: record[k] for k in ("category", "src", "question_id") if k in record}
        out.append({"id": item_id, "question": question.strip(), "answers": [options[i].strip() for i in kept],
                    "correct_index": kept.index(gold), "meta": {**meta, "pair": PAIR_SEEDED}})
    return out


def pick_pair(item_id: str, n_answers: int, correct: int, seed: int) -> tuple[list[int], int]:
    """(the two answer indices in the order shown, the correct one's position): the correct
    answer and one incorrect, both drawn from the experiment seed and the item id only."""
    rng = random.Random(f"{seed}:pair:{item_id}")
    wrong = rng.choice([i for i in range(n_answers) if i != correct])
    pair = [correct, wrong] if rng.random() < 0.5 else [wrong, correct]
    return pair, pair.index(correct)


__all__ = ["PAIR_SEEDED", "SkippedRecordsWarning", "mmlu_records", "number_text", "pick_pair",
           "solib_math_records"]
