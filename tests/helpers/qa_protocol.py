"""A minimal protocol for testing the runner alone: one `answerer` call per item and condition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from oversight.protocol.contract import Protocol, Recorder, Unit
from oversight.config.tasks import TaskConfig, read_json_records, resolve_path, validate_records


class QAItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    question: str
    answer: str


class QAParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conditions: list[str] = ["plain"]
    with_judge: bool = False


class QAProtocol(Protocol):
    name = "qa"
    Params = QAParams
    prompt_package = "tests.helpers.qa_prompts"
    templates = {"answer": {"question"}}

    def roles(self, params: QAParams) -> set[str]:
        return {"answerer", "judge"} if params.with_judge else {"answerer"}

    def load_items(self, task: TaskConfig, base_dir: Path) -> list[QAItem]:
        path = resolve_path(task, base_dir)
        return validate_records(path, read_json_records(path), QAItem)

    def units(self, items: list[QAItem], params: QAParams, seed: int) -> list[Unit]:
        return [Unit(id=f"{i.id}:{c}", item_id=i.id, condition=c, item=i) for i in items for c in params.conditions]

    async def run_unit(self, unit: Unit, params: QAParams, rec: Recorder) -> dict[str, Any]:
        out = await rec.call("answerer", "answer", {"question": unit.item.question})
        correct = out.text.strip().lower() == unit.item.answer.lower()
        rec.judgment("exact-match", correct=correct)
        return {"answer": out.text, "correct": correct}

    def metrics(self, transcripts: list[dict], judgments: list[dict], params: QAParams) -> dict[str, Any]:
        n = len(judgments)
        acc = sum(j["correct"] for j in judgments) / n if n else float("nan")
        return {"accuracy": acc, "table": [{"condition": "all", "n": n, "accuracy": acc}]}
