"""Reading-QA items for debate, and loaders for the formats they come in.

Formats (`task.format`, documented in tasks/README.md, "Reading QA (debate)"):

- `native`: our JSONL, one item per line: `id`, `title`, `story`, `question`, `answers` (2+),
  `correct_index`, optional `meta`.
- `quality`: any of three QuALITY shapes, detected per record:
  1. the shared NYU-debate file (`story`, `answers`, `correct_index`, `article_id`, ...): used as is;
  2. the original QuALITY release (one article per line with `article` and a `questions` list,
     each with 4 `options` and a 1-based `gold_label`);
  3. flattened QuALITY rows, one question per row (`article`, `question`, `options`,
     `gold_label`), e.g. the Hugging Face dataset `tasksource/QuALITY`.
  For 4-option questions the debate pits the gold answer against one distractor: the one most
  often marked `untimed_best_distractor` by QuALITY's validators (the "best distractor" the
  debate papers use), ties to the lower option number, or the first wrong option when no
  validation is present. The pair's order is fixed by a hash of the item id, so about half the
  items have the correct answer first and re-loading gives the same order.

- `solib-math` and `mmlu-pro`: closed questions with no story (closed.py), debated with
  `params.passage: none`.

Items with more than two answers in the native format keep the correct answer and the first
wrong one, in their original order: debate has exactly two sides.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oversight.core.errors import UserError
from oversight.config.tasks import Reader, Records, TaskConfig, load_task, record_error, validate_records
from oversight.protocols.debate.closed import PAIR_SEEDED, mmlu_records, pick_pair, solib_math_records


class DebateItem(BaseModel):
    """One question about one story, with exactly two candidate answers after loading."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    title: str = ""
    story: str = ""
    """The hidden text; "" for a closed question (closed.py), which needs `params.passage: none`."""
    question: str = Field(min_length=1)
    answers: list[str] = Field(min_length=2)
    correct_index: int = Field(ge=0)
    proofs: list[str] = Field(default_factory=list)
    """Per answer, the worked argument its debater is given (closed math questions); else empty."""
    meta: dict[str, Any] = Field(default_factory=dict)
    """Provenance kept from the source (article id, source room, ...); never shown to models."""

    @model_validator(mode="after")
    def _check(self) -> DebateItem:
        if self.correct_index >= len(self.answers):
            raise ValueError(f"correct_index {self.correct_index} is out of range for {len(self.answers)} answers")
        if any(not a.strip() for a in self.answers):
            raise ValueError("answers must not be empty")
        if self.proofs and len(self.proofs) != len(self.answers):
            raise ValueError(f"proofs: {len(self.proofs)} given for {len(self.answers)} answers")
        return self

    def seeded_pair(self, seed: int) -> DebateItem:
        """A multiple-choice item cut to its correct answer and one incorrect one, picked from
        `seed` and the id (closed.pick_pair); other items unchanged."""
        if self.meta.get("pair") != PAIR_SEEDED or len(self.answers) == 2:
            return self
        keep, correct = pick_pair(self.id, len(self.answers), self.correct_index, seed)
        return self.model_copy(update={
            "answers": [self.answers[i] for i in keep], "correct_index": correct,
            "proofs": [self.proofs[i] for i in keep] if self.proofs else [],
            "meta": {**self.meta, "options": self.answers, "picked": keep}})

    def two_sided(self) -> DebateItem:
        """The same item cut to the correct answer and the first wrong one, order kept."""
        if len(self.answers) == 2:
            return self
        wrong = next(i for i in range(len(self.answers)) if i != self.correct_index)
        keep = sorted([self.correct_index, wrong])
        return self.model_copy(
            update={
                "answers": [self.answers[i] for i in keep],
                "proofs": [self.proofs[i] for i in keep] if self.proofs else [],
                "correct_index": keep.index(self.correct_index),
                "meta": {**self.meta, "original_answers": self.answers},
            }
        )


class _StoryItem(DebateItem):
    """A reading-QA record as read from a file: the story is required there."""

    story: str = Field(min_length=1)


def _plain(items: list[Any]) -> list[DebateItem]:
    """Validated `_StoryItem`s as plain DebateItems (already checked: no second validation)."""
    return [DebateItem.model_construct(_fields_set=i.model_fields_set, **dict(i)) for i in items]


def _stable_bit(key: str) -> int:
    """0 or 1 from a hash: a reproducible coin flip that does not depend on the run's seed."""
    return hashlib.sha256(key.encode("utf-8")).digest()[0] & 1


def _question_id(article_id: Any, question: str) -> str:
    """Same convention as the shared NYU file: `<article id>-<sha1(question)[:8]>`."""
    return f"{article_id}-{hashlib.sha1(question.encode('utf-8')).hexdigest()[:8]}"


def best_distractor(options: list[str], gold: int, validation: list[dict[str, Any]] | None) -> int:
    """0-based index of the validators' most-voted best distractor, else the first wrong option."""
    votes: Counter[int] = Counter()
    for entry in validation or []:
        vote = entry.get("untimed_best_distractor") if isinstance(entry, dict) else None
        if isinstance(vote, int) and 1 <= vote <= len(options) and vote - 1 != gold:
            votes[vote - 1] += 1
    if votes:
        top = max(votes.values())
        return min(i for i, v in votes.items() if v == top)
    wrong = [i for i in range(len(options)) if i != gold]
    if not wrong:
        raise ValueError(f"a question needs at least two options (got {len(options)})")
    return wrong[0]


def _pair_item(
    *, item_id: str, title: str, story: str, question: str, options: list[str], gold: int,
    validation: list[dict[str, Any]] | None, meta: dict[str, Any],
) -> dict[str, Any]:
    """A two-answer record from a QuALITY question (gold is 0-based here)."""
    distractor = best_distractor(options, gold, validation)
    correct_first = _stable_bit(item_id) == 0
    answers = [options[gold], options[distractor]] if correct_first else [options[distractor], options[gold]]
    return {
        "id": item_id, "title": title, "story": story, "question": question, "answers": answers,
        "correct_index": 0 if correct_first else 1,
        "meta": {**meta, "gold_label": gold + 1, "distractor_label": distractor + 1},
    }


def _from_quality_question(article: dict[str, Any], q: dict[str, Any]) -> dict[str, Any]:
    options = list(q["options"])
    gold_label = int(q["gold_label"])
    if not 1 <= gold_label <= len(options):
        raise ValueError(f"gold_label {gold_label} out of range for {len(options)} options")
    question = str(q["question"])
    article_id = article.get("article_id", article.get("set_unique_id", ""))
    item_id = str(q.get("question_unique_id") or _question_id(article_id, question))
    meta = {"article_id": str(article_id), "format": "quality"}
    if "difficult" in q:
        meta["difficult"] = bool(q["difficult"])
    return _pair_item(
        item_id=item_id, title=str(article.get("title", "")), story=str(article["article"]), question=question,
        options=options, gold=gold_label - 1, validation=q.get("validation"), meta=meta,
    )


def quality_records(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Native-shaped records from one QuALITY-family record (see the module docstring)."""
    if "story" in record and "answers" in record and "correct_index" in record:
        meta = {k: record[k] for k in ("article_id", "source") if k in record}
        meta["has_human_debate"] = bool(record.get("human_debate"))
        meta["format"] = "quality-debate"
        return [{
            "id": str(record.get("id") or _question_id(record.get("article_id", ""), record["question"])),
            "title": record.get("title", ""), "story": record["story"], "question": record["question"],
            "answers": record["answers"], "correct_index": record["correct_index"], "meta": meta,
        }]
    if "article" in record and isinstance(record.get("questions"), list) and record["questions"] \
            and isinstance(record["questions"][0], dict):
        return [_from_quality_question(record, q) for q in record["questions"]]
    if "article" in record and "question" in record and "options" in record and "gold_label" in record:
        return [_from_quality_question(record, record)]
    raise ValueError(
        "not a QuALITY record: expected `article` with `questions`, `article` with `question`/`options`/"
        "`gold_label`, or `story`/`answers`/`correct_index`"
    )


def _looks_like_quality(records: Records) -> bool:
    return bool(records) and "story" not in records[0] and "article" in records[0]


def read_native(records: Records, source: str) -> list[DebateItem]:
    """Our JSONL; a file of QuALITY rows is named as such rather than failing field by field."""
    if _looks_like_quality(records):
        raise UserError(f"{source}: records have `article`, not `story`: this looks like QuALITY; set task.format: quality")
    return [item.two_sided() for item in _plain(validate_records(source, records, _StoryItem))]


def read_quality(records: Records, source: str) -> list[DebateItem]:
    """Any QuALITY shape (module docstring), converted record by record, then validated as native."""
    converted: list[dict[str, Any]] = []
    for number, record in enumerate(records, start=1):
        try:
            converted.extend(quality_records(record))
        except (KeyError, TypeError, ValueError, AttributeError, StopIteration, IndexError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise record_error(source, number, detail) from None
    return [item.two_sided() for item in _plain(validate_records(source, converted, _StoryItem))]


def _closed(convert: Callable[[Records, str], list[dict[str, Any]]], records: Records, source: str) -> list[DebateItem]:
    try:
        converted = convert(records, source)
    except ValueError as exc:
        raise record_error(source, exc.args[1], exc.args[0]) from None
    return validate_records(source, converted, DebateItem)


def read_solib_math(records: Records, source: str) -> list[DebateItem]:
    """The solib math-debate format (closed.py); items have no story."""
    return _closed(lambda r, s: solib_math_records(r, s)[0], records, source)


def read_mmlu_pro(records: Records, source: str) -> list[DebateItem]:
    """Multiple-choice rows (closed.py); the pair debated is picked per seed in `units`."""
    return _closed(mmlu_records, records, source)


READERS: dict[str, Reader] = {"native": read_native, "quality": read_quality, "solib-math": read_solib_math,
                              "mmlu-pro": read_mmlu_pro}
"""`task.format` -> reader (tasks/README.md, "Reading QA (debate)")."""
FORMATS = tuple(READERS)


def items_from_records(records: Records, fmt: str, source: str) -> list[DebateItem]:
    """Items from records already in memory, in format `fmt`; errors name `source` and the record."""
    if fmt not in READERS:
        raise UserError(f"task.format: {fmt!r} is not a debate format (use one of: {', '.join(FORMATS)})")
    return READERS[fmt](records, source)


def load_debate_items(task: TaskConfig, base_dir: Path) -> list[DebateItem]:
    """Items from a local file or a Hugging Face dataset (a dataset's QuALITY rows are recognised)."""
    return load_task(task, base_dir, READERS, protocol="debate", guess_hf_format=_guess_hf_format)


def _guess_hf_format(records: Records) -> str:
    """A dataset left at `format: native`: QuALITY rows, multiple-choice rows, else ours."""
    if _looks_like_quality(records):
        return "quality"
    first = records[0] if records else {}
    if "story" not in first and "options" in first and ("answer" in first or "answer_index" in first):
        return "mmlu-pro"
    return "native"


__all__ = ["FORMATS", "READERS", "DebateItem", "best_distractor", "items_from_records", "load_debate_items",
           "quality_records"]
