"""Items for critique-assisted evaluation, loaders for our JSONL and OpenAI's critiques data,
and the rendering of what a judge is shown.

Native format (tasks/README.md, "Flawed answers (critique)"): one object per line with `id`,
`context`, `question`, `answer`, `flaws` (each `description`, optional `severity` 1-4 and
`category`), optional `title` and `meta`.

`format: openai_critiques` reads the JSONL that OpenAI released with Saunders et al. (2022),
"Self-critiquing models for assisting human evaluators" (helpfulness split). Mapping:
- every (passage, question, answer) becomes one item, id `<row id>-q<question index>`
  (plus `-a<answer index>` when a question has several answers);
- context = the passage text (title kept in `title`);
- gold flaws = the answer's model-written critiques that labellers marked helpful
  (no severity or category: the data has none for them), de-duplicated by wording,
  plus the labeller-written `new_critique` when present, with its severity and category
  (only when the question has one answer, since the label belongs to the question);
- an item whose answer has no helpful critique and no `new_critique` has no gold flaws:
  it counts for precision but not for recall.
The original critiques and their labels stay in `meta` for audit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oversight.core.errors import UserError
from oversight.protocols.critique.flaws import normalize
from oversight.config.tasks import Reader, Records, TaskConfig, load_task, record_error, validate_records

OPENAI_FORMATS = ("openai_critiques", "critiques")


class GoldFlaw(BaseModel):
    """One known flaw of an answer."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1)
    """What is wrong, in a sentence a grader can compare reports against."""
    severity: int | None = Field(default=None, ge=1, le=4)
    """1 (minor) to 4 (critical), as in the OpenAI critiques data; None when unknown."""
    category: str | None = None
    """Free label, e.g. accuracy, omission, wrong_number, unsupported, coverage, coherence."""


class FlawedAnswerItem(BaseModel):
    """A passage, a question about it, an answer that may be flawed, and the answer's known flaws."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    context: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answer: str | None = None
    """None only when the experiment has an `answerer` write the answer."""
    flaws: list[GoldFlaw] = Field(default_factory=list)
    """The gold list; empty when the answer is believed flawless or its flaws are unknown."""
    title: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    """Anything else worth keeping with the item (source ids, original labels)."""

    @field_validator("flaws", mode="before")
    @classmethod
    def _strings_are_descriptions(cls, value: Any) -> Any:
        """Let hand-written files list flaws as plain strings."""
        if isinstance(value, list):
            return [{"description": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


def read_native(records: Records, source: str) -> list[FlawedAnswerItem]:
    return validate_records(source, records, FlawedAnswerItem)


def load_items(task: TaskConfig | dict[str, Any], base_dir: Path) -> list[FlawedAnswerItem]:
    """Items from a local file or a Hugging Face dataset, in the native or OpenAI format."""
    task = task if isinstance(task, TaskConfig) else TaskConfig.model_validate(task)
    return load_task(task, base_dir, READERS, protocol="critique")


def _require(record: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(record, dict) or not isinstance(record.get(key), kind):
        raise UserError(f"{where}: expected field {key!r} ({kind.__name__}) in the OpenAI critiques format")
    return record[key]


def _gold_from_answer(answer: dict[str, Any], question: dict[str, Any], lone: bool, where: str) -> list[GoldFlaw]:
    gold: list[GoldFlaw] = []
    seen: set[str] = set()
    for c, critique in enumerate(answer.get("critiques") or []):
        text = _require(critique, "critique", str, f"{where}.critiques[{c}]").strip()
        feedback = critique.get("feedback") or {}
        if feedback.get("helpful") is True and text and normalize(text) not in seen:
            seen.add(normalize(text))
            gold.append(GoldFlaw(description=text))
    new = question.get("new_critique")
    if lone and isinstance(new, dict) and str(new.get("text") or "").strip():
        severity = new.get("severity")
        try:
            severity = int(severity) if severity is not None else None
        except (TypeError, ValueError):
            severity = None
        gold.append(
            GoldFlaw(
                description=str(new["text"]).strip(),
                severity=severity if severity in (1, 2, 3, 4) else None,
                category=new.get("category") or None,
            )
        )
    return gold


def from_openai_critiques(records: list[dict[str, Any]], source: str) -> list[FlawedAnswerItem]:
    """Flatten OpenAI critiques rows into one item per (passage, question, answer); see module doc."""
    items: list[FlawedAnswerItem] = []
    seen_ids: set[str] = set()
    for number, row in enumerate(records, start=1):
        where = f"{source}: record {number}"
        try:
            items.extend(_items_from_row(row, number, where, seen_ids))
        except ValidationError as exc:
            raise record_error(source, number, exc) from None
        except (AttributeError, TypeError, ValueError) as exc:
            raise record_error(source, number, f"unexpected shape for the OpenAI critiques format ({exc})") from None
    if not items:
        raise UserError(f"{source}: no (passage, question, answer) triples found in the OpenAI critiques format")
    return items


def _items_from_row(row: dict[str, Any], number: int, where: str, seen_ids: set[str]) -> list[FlawedAnswerItem]:
    """One row (a passage with its questions and answers) as items; raises on a malformed row."""
    items: list[FlawedAnswerItem] = []
    row_id = str(row.get("id") or number)
    data = _require(row, "data", dict, where)
    passage = _require(data, "passage", dict, f"{where}.data")
    text = _require(passage, "text", str, f"{where}.data.passage").strip()
    title = str(passage.get("title") or "").strip() or None
    questions = _require(data, "questions", list, f"{where}.data")
    for q_index, question in enumerate(questions):
        q_where = f"{where}.data.questions[{q_index}]"
        q_text = _require(question, "question", str, q_where).strip()
        answers = _require(question, "answers", list, q_where)
        for a_index, answer in enumerate(answers):
            a_where = f"{q_where}.answers[{a_index}]"
            a_text = _require(answer, "answer", str, a_where).strip()
            item_id = f"{row_id}-q{q_index}" + (f"-a{a_index}" if len(answers) > 1 else "")
            if item_id in seen_ids:
                raise UserError(f"{where}: duplicate item id {item_id!r} (two rows share id {row_id!r})")
            seen_ids.add(item_id)
            critiques = answer.get("critiques") or []
            items.append(
                FlawedAnswerItem(
                    id=item_id,
                    context=text,
                    question=q_text,
                    answer=a_text,
                    flaws=_gold_from_answer(answer, question, len(answers) == 1, a_where),
                    title=title,
                    meta={
                        "source_id": row.get("source_id"),
                        "row_id": row_id,
                        "dataset_critiques": [
                            {"text": c.get("critique"), "helpful": (c.get("feedback") or {}).get("helpful")}
                            for c in critiques
                        ],
                        "new_critique": question.get("new_critique"),
                    },
                )
            )
    return items


READERS: dict[str, Reader] = {"native": read_native, **{name: from_openai_critiques for name in OPENAI_FORMATS}}
"""`task.format` -> reader (tasks/README.md, "Flawed answers (critique)")."""


# ---- what a judge is shown (the model judge here, a person in the terminal UI later) ------

def render_critiques(critiques: list[dict[str, Any]], tree: list[dict[str, Any]], show_tree: bool) -> str:
    """The critiques as the assisted judge sees them; with the tree, meta-critiques nest below."""
    lines: list[str] = []

    def children(parent_id: str) -> list[dict[str, Any]]:
        return [n for n in tree if n.get("parent") == parent_id]

    def walk(node: dict[str, Any], depth: int) -> None:
        for child in children(node["id"]):
            lines.append(f"{'   ' * depth}- Comment on the point above: {child['text']}")
            walk(child, depth + 1)

    for number, critique in enumerate(critiques, start=1):
        lines.append(f"Critique {number}: {critique['text']}")
        if show_tree:
            walk(critique, 1)
    return "\n".join(lines) if lines else "(The assistant found no flaws.)"


def judge_variables(
    condition: str, context: str, question: str, answer: str, critiques_text: str | None
) -> dict[str, str]:
    """Everything a judge (model or person) is shown in `condition`; nothing else."""
    variables = {"context": context, "question": question, "answer": answer}
    if condition == "assisted":
        variables["critiques"] = critiques_text or ""
    return variables


def chain_text(tree: list[dict[str, Any]], node: dict[str, Any]) -> str:
    """A tree node with its ancestry, root critique first: what the meta-critic comments on."""
    by_id = {n["id"]: n for n in tree}
    chain = [node]
    while chain[0].get("parent"):
        chain.insert(0, by_id[chain[0]["parent"]])
    lines = [f"Critique of the answer: {chain[0]['text']}"]
    lines += [f"Comment on the point above: {n['text']}" for n in chain[1:]]
    return "\n".join(lines)


__all__ = [
    "OPENAI_FORMATS",
    "READERS",
    "FlawedAnswerItem",
    "GoldFlaw",
    "chain_text",
    "from_openai_critiques",
    "judge_variables",
    "load_items",
    "render_critiques",
]
