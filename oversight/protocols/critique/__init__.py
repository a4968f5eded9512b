"""Critique-assisted evaluation and flaw-detection uplift (Saunders et al. 2022).

Each item (passage, question, possibly flawed answer, gold flaws) becomes two units that share
the item id: `<item>:unassisted` (the judge sees passage, question, answer) and `<item>:assisted`
(the judge also sees a critic's critiques). Files: `params.py`, `data.py` (items and loaders),
`graph.py` (answerer, critic, meta_critic, judge, grader), `grading.py`, `flaws.py` (reading
lists of flaws from model text), `views.py` (what a judge sees), `metrics.py`, `prompts/`.

When an `answerer` writes the answer, both units call it with the same prompt at temperature
0 with the run's seed, so both conditions judge the same text (the response cache makes that
exact for repeated calls; metrics warn if the two answers differ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from oversight.core.errors import UserError
from oversight.protocol.reporting import ExportScore, HeadlineRow
from oversight.protocol.contract import JudgeResponse, JudgeView, Protocol, Recorder, TextReader, Unit
from oversight.protocols.critique import metrics as critique_metrics, report as critique_report
from oversight.protocols.critique.data import FlawedAnswerItem, load_items
from oversight.protocols.critique.grading import grade_judge_reports
from oversight.protocols.critique.params import CONDITIONS, CritiqueParams
from oversight.protocols.critique import review as critique_review
from oversight.protocols.critique.outcome import CritiqueOutcome
from oversight.protocol.review import Body, Mark, correct_mark
from rich.console import RenderableType
from oversight.protocols.critique.views import judge_call, response_schema, verdict_fields, view_from_outcome
from oversight.config.tasks import TaskConfig


class CritiqueProtocol(Protocol[CritiqueParams, FlawedAnswerItem]):
    name = "critique"
    Params = CritiqueParams
    prompt_package = "oversight.protocols.critique.prompts"
    optional_roles: ClassVar[frozenset[str]] = frozenset({"answerer", "critic", "meta_critic", "judge", "grader"})
    judgment_types: ClassVar[dict[str, Any]] = {
        "matches": list[dict] | None, "flaws_reported": list | None, "recall": float | None,
    }
    """Verdict fields `metrics` and the review read: a hand-edited line of another type is skipped."""
    metrics_outcome_keys: ClassVar[frozenset[str] | None] = frozenset(
        {"condition", "gold_flaws", "critique_matches", "answer_source", "answer"})
    """Outcome fields metrics read; a report streams only these (oversight.report.results)."""
    templates: ClassVar[dict[str, set[str]]] = {
        "answerer": {"context", "question"},
        "critic": {"context", "question", "answer", "max_critiques"},
        "meta_critic": {"context", "question", "answer", "critique", "chain", "level"},
        "judge_unassisted": {"context", "question", "answer"},
        "judge_assisted": {"context", "question", "answer", "critiques"},
        "grader": {"context", "question", "answer", "gold_flaws", "report"},
        "grader_confirm": {"context", "question", "answer", "report"},
    }

    table_notes = critique_report.TABLE_NOTES
    figures = "oversight.protocols.critique.figures:critique_plots"

    def headline(self, metrics: dict[str, Any]) -> list[HeadlineRow]:
        return critique_report.headline(metrics)

    def export_score(self, judgment: dict[str, Any]) -> ExportScore:
        return critique_report.export_score(judgment)

    def agreement_labels(self, judgment: dict[str, Any]) -> dict[str, str] | None:
        return critique_report.agreement_labels(judgment)

    def roles(self, params: CritiqueParams) -> set[str]:
        assisted = "assisted" in params.conditions
        roles: set[str] = set()
        if params.answer_source == "answerer":
            roles.add("answerer")
        if assisted:
            roles.add("critic")
            if params.meta_depth > 0:
                roles.add("meta_critic")
        if params.model_judge:
            roles.add("judge")
        if params.grader == "model" and (params.model_judge or (assisted and params.grade_critiques)):
            roles.add("grader")
        return roles

    def load_items(self, task: TaskConfig, base_dir: Path) -> list[FlawedAnswerItem]:
        return load_items(task, base_dir)

    def units(self, items: list[FlawedAnswerItem], params: CritiqueParams, seed: int) -> list[Unit[FlawedAnswerItem]]:
        if params.answer_source == "answerer" and params.grader == "lexical":
            raise UserError("params.grader: lexical needs gold flaws; with answer_source: answerer use grader: model")
        units = []
        for item in items:
            if params.answer_source == "task" and not (item.answer or "").strip():
                raise UserError(
                    f"task item {item.id!r} has no answer; add one or set params.answer_source: answerer"
                )
            for condition in params.conditions:
                units.append(Unit(id=f"{item.id}:{condition}", item_id=item.id, condition=condition, item=item))
        return units

    async def run_unit(self, unit: Unit[FlawedAnswerItem], params: CritiqueParams,  # type: ignore[override]
                       rec: Recorder) -> CritiqueOutcome:
        from oversight.protocols.critique.graph import GRAPH, CritiqueContext, CritiqueState  # loaded on first use: the graph library would add 0.9 s to opening `review`

        item = unit.item
        from_task = params.answer_source == "task"
        state: CritiqueState = {
            "condition": unit.condition,
            "context": item.context,
            "question": item.question,
            "answer": (item.answer or "") if from_task else "",
            "gold": [f.model_dump() for f in item.flaws] if from_task else None,
            "tree": [],
        }
        final = await GRAPH.ainvoke(state, context=CritiqueContext(rec=rec, params=params, item_id=unit.item_id))
        return final["outcome"]

    def metrics(self, transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: CritiqueParams) -> dict[str, Any]:
        return critique_metrics.compute(transcripts, judgments, params)

    def judge_views(self, transcript: dict[str, Any], params: CritiqueParams, texts: TextReader) -> list[JudgeView]:
        return [view_from_outcome(transcript["outcome"])]

    def response_schema(self, view: JudgeView, params: CritiqueParams) -> dict[str, Any] | None:
        return response_schema(params)

    def judge_call(self, view: JudgeView, params: CritiqueParams, structured: bool) -> dict[str, Any]:
        return judge_call(params, structured)

    def verdict(self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse,
                params: CritiqueParams) -> dict[str, Any]:
        return verdict_fields(transcript["outcome"], view, response, params)

    rejudge_flags: ClassVar[dict[str, str]] = {"--grader": "grader"}

    def rejudge_roles(self, params: CritiqueParams) -> set[str]:
        return {"grader"} if params.grader == "model" else set()

    async def judge_verdict(self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse,
                            params: CritiqueParams, rec: Recorder) -> dict[str, Any]:
        """The verdict, then (grader: model) the judge's reports graded by the grader model."""
        fields = verdict_fields(transcript["outcome"], view, response, params)
        if fields.get("graded") is False and params.grader == "model":
            await grade_judge_reports(rec, params, transcript["outcome"], fields)
        return fields

    # Review hooks
    review_help: ClassVar[str] = critique_review.HELP
    mark_help: ClassVar[str] = critique_review.MARK_HELP
    form_titles: ClassVar[dict[str, str]] = {"critiques": "Critiques from an assistant"}

    def review_body(self, transcript: dict[str, Any], params: dict[str, Any], texts: TextReader,
                    judgments: list[dict[str, Any]]) -> Body:
        return critique_review.critique_body(transcript, params)

    def judgment_mark(self, judgment: dict[str, Any]) -> Mark | None:
        return correct_mark(judgment) or critique_review.recall_mark(judgment)

    judgment_fields_shown: ClassVar[frozenset[str]] = frozenset({"flaws_reported", "matches"})

    def judgment_body(self, transcript: dict[str, Any], judgment: dict[str, Any]) -> RenderableType | None:
        return critique_review.judgment_reports(transcript, judgment)


__all__ = ["CONDITIONS", "CritiqueParams", "CritiqueProtocol", "FlawedAnswerItem"]
