"""Recursive summarization of long texts by task decomposition (Wu et al. 2021; Chang et al. 2024).

A text too long for one call, and too long for a person to check at once, is cut into chunks
whose summaries are merged level by level (`hierarchical`) or folded into one running summary
(`incremental`); every node can be judged from its own inputs alone.

Files: `params.py` (the YAML `params:` block), `data.py` (texts and loaders), `chunking.py`
(chunks and tree plans), `tree.py` (what each node saw), `graph.py` (the LangGraph graph:
`summarize_chunk`, `merge`, `judge`), `judging.py` (judge views and verdicts), `metrics.py`,
`prompts/` (templates and their variables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from oversight.protocol.contract import JudgeResponse, JudgeView, Protocol, Recorder, TextReader, Unit
from oversight.protocols.summarize import judging
from oversight.protocols.summarize.data import TextItem, load_text_items
from oversight.protocols.summarize.tree import NODE_EVENT
from oversight.protocols.summarize.params import STRATEGIES, SummarizeParams
from oversight.protocols.summarize import report as summarize_report, review as summarize_review
from oversight.protocols.summarize.outcome import SummarizeOutcome
from oversight.protocol.reporting import INVALID_SCORE, ExportScore, correct_score
from oversight.protocol.review import Body
from oversight.config.tasks import TaskConfig


class SummarizeProtocol(Protocol[SummarizeParams, TextItem]):
    name = "summarize"
    Params = SummarizeParams
    prompt_package = "oversight.protocols.summarize.prompts"
    optional_roles: ClassVar[frozenset[str]] = frozenset({"merger", "judge"})
    judgment_types: ClassVar[dict[str, Any]] = {"ratings": dict | None, "answer_kind": str | None}
    """Verdict fields `metrics` and the review read: a hand-edited line of another type is skipped."""
    metrics_event_types: ClassVar[frozenset[str]] = frozenset({NODE_EVENT, "model"})
    """Metrics read the tree's node records, and count calls from the model events."""
    """`merger` writes merges with another model (else the summarizer does); `judge` may be bound
    even when `params.judge` is none and coherence is off."""
    rating_scales: ClassVar[tuple[str, ...]] = judging.SCALES
    """One 1-7 score per scale on a person's rating form, so their ratings parse like a model's."""
    flaws_hint: ClassVar[str] = judging.FLAWS_HINT
    """The line format a person listing confusing sentences (the coherence view) is shown."""
    flaws_guide: ClassVar[str] = judging.FLAWS_GUIDE
    """What to mark, and the kinds of confusion, above the summary a person checks for coherence."""
    form_hidden: ClassVar[frozenset[str]] = frozenset({"count"})
    """The coherence view's sentence count steers a model judge's token cap; a person counts them."""
    templates: ClassVar[dict[str, set[str]]] = {
        "summarize_chunk": {"title", "chunk", "words", "context", "part", "parts"},
        "merge": {"title", "summaries", "count", "words", "context"},
        "update": {"title", "summary", "chunk", "words", "part", "parts", "previous_part"},
        "shorten": {"summary", "words"},
        "judge_node": {"task", "inputs", "summary"},
        "judge_coherence": {"sentences", "count"},
    }

    table_notes = summarize_report.TABLE_NOTES
    figures = "oversight.protocols.summarize.figures:summarize_plots"

    def judgment_view_key(self, judgment: dict[str, Any]) -> str | None:
        """The node view: `view_key` (re-judging, people), else the run judge's `key`."""
        return judging.judgment_view_key(judgment)

    def roles(self, params: SummarizeParams) -> set[str]:
        judged = params.judge != "none" or params.coherence
        return {"summarizer", "judge"} if judged else {"summarizer"}

    def load_items(self, task: TaskConfig, base_dir: Path) -> list[TextItem]:
        return load_text_items(task, base_dir)

    def units(self, items: list[TextItem], params: SummarizeParams, seed: int) -> list[Unit[TextItem]]:
        return [Unit(id=f"{item.id}:{strategy}", item_id=item.id, condition=strategy, item=item)
                for item in items for strategy in params.strategies]

    async def run_unit(self, unit: Unit[TextItem], params: SummarizeParams,  # type: ignore[override]
                       rec: Recorder) -> SummarizeOutcome:
        from oversight.protocols.summarize.graph import summarize  # loaded on first use: the graph library would add 0.9 s to opening `review`

        return await summarize(unit.item, unit.condition, params, rec, unit.id)

    def metrics(self, transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]],
                params: SummarizeParams) -> dict[str, Any]:
        from oversight.protocols.summarize.metrics import compute

        return compute(transcripts, judgments, params)

    def judge_views(self, transcript: dict[str, Any], params: SummarizeParams, texts: TextReader) -> list[JudgeView]:
        return judging.judge_views(transcript, params, texts)

    def response_schema(self, view: JudgeView, params: SummarizeParams) -> dict[str, Any] | None:
        return judging.response_schema(view, params)

    def judge_call(self, view: JudgeView, params: SummarizeParams, structured: bool) -> dict[str, Any]:
        return judging.judge_call(view, structured)

    def verdict(self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse,
                params: SummarizeParams) -> dict[str, Any]:
        return judging.verdict(view, transcript, response, params)

    # Review hooks
    review_tree: ClassVar[bool] = True
    review_help: ClassVar[str] = summarize_review.HELP
    form_titles: ClassVar[dict[str, str]] = summarize_review.FORM_TITLES

    def export_score(self, judgment: dict[str, Any]) -> ExportScore:
        """A node's ratings as the exported score's value (scale -> 1-7)."""
        score = correct_score(judgment)
        if score is not None:
            return score
        ratings = judgment.get("ratings")
        return ExportScore(ratings) if isinstance(ratings, dict) else ExportScore(INVALID_SCORE)

    def review_body(self, transcript: dict[str, Any], params: dict[str, Any], texts: TextReader,
                    judgments: list[dict[str, Any]]) -> Body:
        return summarize_review.summary_body(transcript, texts, judgments)


__all__ = ["STRATEGIES", "SummarizeParams", "SummarizeProtocol", "TextItem"]
