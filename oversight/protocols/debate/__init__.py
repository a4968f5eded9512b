"""Debate and its baselines (consultancy, blind and expert judges) on reading-comprehension QA.

Files: `params.py` (the YAML `params:` block), `data.py` (items and loaders), `graph.py` (the
LangGraph graph: debaters, consultant, judge), `judging.py` and `views.py` (what a judge sees
and how its answer becomes a verdict), `best_of_n.py` (best-of-N speeches), `questions.py` (the
interactive judge), `metrics.py`, `prompts/` (templates and their variables).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from oversight.protocol.reporting import ExportScore, HeadlineRow
from oversight.protocol.contract import JudgeResponse, JudgeView, LiveStep, Protocol, Recorder, TextReader, Unit
from oversight.protocols.debate import metrics as debate_metrics, report as debate_report
from oversight.protocols.debate.judging import ORDERS
from oversight.protocols.debate.data import DebateItem, load_debate_items
from oversight.protocols.debate.params import CONDITIONS, DebateParams
from oversight.protocols.debate import review as debate_review
from oversight.protocols.debate.outcome import DebateOutcome
from oversight.protocols.debate.open_metrics import open_role_metrics, open_role_rows
from oversight.protocols.debate.best_of_n import selection_metrics
from oversight.protocols.debate.question_metrics import question_metrics, question_rows
from oversight.core.errors import UserError
from oversight.protocol.review import Body, Mark
from rich.console import RenderableType
from oversight.protocols.debate.views import build_views, orders, response_schema, verdict_fields
from oversight.protocols.shared.quotes import Passage
from oversight.config.tasks import TaskConfig


def assign_consultants(items: list[DebateItem], seed: int) -> dict[str, int]:
    """Consultant's answer index per item: honest on exactly half (the odd one out by coin flip)."""
    rng = random.Random(f"{seed}:consultancy")
    order = list(range(len(items)))
    rng.shuffle(order)
    honest_count = len(items) // 2 + int(len(items) % 2 == 1 and rng.random() < 0.5)
    honest = set(order[:honest_count])
    return {
        item.id: item.correct_index if i in honest else 1 - item.correct_index
        for i, item in enumerate(items)
    }


class DebateProtocol(Protocol[DebateParams, DebateItem]):
    name = "debate"
    Params = DebateParams
    prompt_package = "oversight.protocols.debate.prompts"
    importers: ClassVar[dict[str, str]] = {"nyu-debate": "oversight.protocols.debate.importers.nyu"}
    view_alternatives: ClassVar[dict[str, str]] = {order: "order" for order in ORDERS}
    judge_kind_param: ClassVar[str | None] = "judge_kind"
    swap_param: ClassVar[str | None] = "swap"
    top_logprobs_param: ClassVar[str | None] = "top_logprobs"
    optional_roles: ClassVar[frozenset[str]] = frozenset({"debater_a", "debater_b", "consultant", "selector"})
    shared_prefix: ClassVar[dict[str, tuple[str, ...]]] = {"story": ("debater", "consultant", "judge_expert",
                                                                      "choose_answer", "cross_question")}
    """Every call that reads the story opens with the same message: its title and text."""
    same_per_item: ClassVar[frozenset[str]] = frozenset({"title", "question"})
    STORY_TEMPLATES: ClassVar[dict[str, str]] = {"debate": "debater", "consultancy": "consultant",
                                                 "expert": "judge_expert"}
    """Condition -> the template of its calls that read the story."""
    judgment_types: ClassVar[dict[str, Any]] = {
        "order": str | None, "answer_index": int | None, "p_correct": float | None, "p_chosen": float | None,
        "answer_kind": str | None,
    }
    """Verdict fields `metrics` and the review read as numbers and names: a hand-edited line of
    another type is skipped by every reader."""
    metrics_outcome_keys: ClassVar[frozenset[str] | None] = frozenset({"condition", "correct_index", "consultant_index",
                                                                       "open_roles", "best_of_n", "rounds", "judge_turns",
                                                                       "rounds_spoken", "ended_round"})
    """Outcome fields metrics and tournaments read; a report streams only these (oversight.report.results)."""
    templates: ClassVar[dict[str, set[str]]] = {
        "debater": {"title", "story", "question", "answer_a", "answer_b", "name", "letter", "my_answer",
                    "opponent_name", "opponent_letter", "opponent_answer", "round", "rounds", "word_limit",
                    "transcript", "quote_open", "quote_close", "questions"},
        "consultant": {"title", "story", "question", "answer_a", "answer_b", "name", "letter", "my_answer",
                       "other_letter", "other_answer", "round", "rounds", "word_limit", "transcript",
                       "quote_open", "quote_close", "questions"},
        "judge_debate": {"question", "answer_a", "answer_b", "transcript", "verified_tag", "unverified_tag"},
        "judge_consultancy": {"question", "answer_a", "answer_b", "transcript", "consultant_letter",
                              "verified_tag", "unverified_tag"},
        "judge_blind": {"question", "answer_a", "answer_b"},
        "judge_expert": {"title", "story", "question", "answer_a", "answer_b"},
        # closed questions (`passage: none`): no story, no quote tags; a math answer's proof
        "debater_closed": {"question", "answer_a", "answer_b", "name", "letter", "my_answer", "my_proof",
                           "opponent_name", "opponent_letter", "opponent_answer", "opponent_proof", "round",
                           "rounds", "word_limit", "transcript", "questions"},
        "consultant_closed": {"question", "answer_a", "answer_b", "name", "letter", "my_answer", "my_proof",
                              "other_letter", "other_answer", "other_proof", "round", "rounds", "word_limit",
                              "transcript", "questions"},
        "judge_debate_closed": {"question", "answer_a", "answer_b", "transcript", "quote_note"},
        "judge_consultancy_closed": {"question", "answer_a", "answer_b", "transcript", "consultant_letter",
                                     "quote_note"},
        "judge_blind_closed": {"question", "answer_a", "answer_b"},
        "judge_consultancy_open": {"question", "answer_a", "answer_b", "transcript", "consultant_letter",
                                   "verified_tag", "unverified_tag"},
        # the interactive judge (`judge_questions`): ask questions or end, after a round
        "judge_ask_debate": {"question", "answer_a", "answer_b", "transcript", "rules", "round", "rounds",
                             "max_questions", "verified_tag", "unverified_tag", "quote_note"},
        "judge_ask_consultancy": {"question", "answer_a", "answer_b", "transcript", "rules", "round", "rounds",
                                  "max_questions", "consultant_letter", "consultant_note", "verified_tag",
                                  "unverified_tag", "quote_note"},
        # open roles: a speaker chooses the answer it defends
        "choose_answer": {"title", "story", "question", "answer_a", "answer_b", "name", "task"},
        "choose_answer_closed": {"question", "answer_a", "answer_b", "proof_a", "proof_b", "name", "task"},
        # cross-examination: a debater's questions (what it sees for its speech, plus the limits),
        # and the answer, continuing the opponent's earlier speech call
        "cross_question": {"title", "story", "question", "answer_a", "answer_b", "name", "letter", "my_answer",
                           "opponent_name", "opponent_letter", "opponent_answer", "round", "rounds", "word_limit",
                           "transcript", "quote_open", "quote_close", "cross_questions", "earlier_rounds"},
        "cross_question_closed": {"question", "answer_a", "answer_b", "name", "letter", "my_answer", "my_proof",
                                  "opponent_name", "opponent_letter", "opponent_answer", "opponent_proof", "round",
                                  "rounds", "word_limit", "transcript", "cross_questions", "earlier_rounds"},
        "cross_answer": {"name", "asker_name", "of_round", "question", "word_limit", "quoting"},
        # best-of-N: the selector scores one candidate speech (it never sees the story)
        "select_speech": {"question", "answer_a", "answer_b", "name", "my_answer", "transcript", "quote_note"},
    }

    published = debate_report.PUBLISHED
    table_notes = debate_report.TABLE_NOTES

    figures = "oversight.protocols.debate.figures:debate_plots"
    cross_run = "oversight.protocols.debate.crossplay:crossplay"
    cross_run_key = "tournament"

    def headline(self, metrics: dict[str, Any]) -> list[HeadlineRow]:
        return debate_report.headline(metrics)

    def export_score(self, judgment: dict[str, Any]) -> ExportScore:
        return debate_report.export_score(judgment)

    def agreement_labels(self, judgment: dict[str, Any]) -> dict[str, str] | None:
        return debate_report.agreement_labels(judgment)

    def shared_prefix_for(self, params: DebateParams) -> dict[str, tuple[str, ...]]:
        if params.passage == "none":
            return {}
        used = {self.STORY_TEMPLATES[c] for c in params.conditions if c in self.STORY_TEMPLATES}
        if params.roles == "open" and {"debate", "consultancy"} & set(params.conditions):
            used.add("choose_answer")
        if params.cross_examination:
            used.add("cross_question")
        return {v: tuple(t for t in names if t in used) for v, names in self.shared_prefix.items()}

    def judgment_view_key(self, judgment: dict[str, Any]) -> str | None:
        return debate_report.judgment_view_key(judgment)

    def roles(self, params: DebateParams) -> set[str]:
        roles = {"judge"}
        if "debate" in params.conditions:
            roles |= {"debater_a", "debater_b"}
        if "consultancy" in params.conditions:
            roles.add("consultant")
        if any(params.level(r) > 1 for r in roles):  # best-of-N: the selector's model scores candidates
            roles.add(params.bon_selector)
        return roles

    def call_bounds(self, params: DebateParams) -> list[str]:
        spoken = {"debate", "consultancy"} & set(params.conditions)
        bounds = []
        if params.judge_questions and spoken:
            bounds.append("judge_questions: the judge may end a debate early, counted as hearing every round")
        if params.cross_examination and "debate" in spoken:
            bounds.append(f"cross_examination: every debater counted as asking all {params.cross_questions} "
                          f"allowed question(s) each round, each answered")
        return bounds

    def load_items(self, task: TaskConfig, base_dir: Path) -> list[DebateItem]:
        return load_debate_items(task, base_dir)

    def units(self, items: list[DebateItem], params: DebateParams, seed: int) -> list[Unit[DebateItem]]:
        if params.passage == "story":
            untold = next((item for item in items if not item.story), None)
            if untold is not None:
                raise UserError(f"params.passage: item {untold.id!r} has no story (a closed question); "
                                f"set params.passage: none")
        items = [item.seeded_pair(seed) for item in items]
        sides = assign_consultants(items, seed) if "consultancy" in params.conditions else {}
        units = []
        for item in items:
            for condition in params.conditions:
                data: dict[str, Any] = {}
                if condition == "consultancy":
                    data = {"consultant_index": sides[item.id],
                            "consultant_correct": sides[item.id] == item.correct_index}
                units.append(Unit(id=f"{item.id}:{condition}", item_id=item.id, condition=condition,
                                  item=item, data=data))
        return units

    async def run_unit(self, unit: Unit[DebateItem], params: DebateParams, rec: Recorder) -> DebateOutcome:  # type: ignore[override]
        from oversight.protocols.debate.graph import DebateContext, build_graph, is_rerun  # loaded on first use: the graph library would add 0.9 s to opening `review`

        item = unit.item
        ctx = DebateContext(rec=rec, item=item, params=params, passage=Passage.of(item.story),
                            story_ref=rec.put_text(item.story), consultant_index=unit.data.get("consultant_index"))
        start: dict[str, Any] = {"condition": unit.condition, "round": 1, "speeches": [], "outcome": {}}
        final = await build_graph().ainvoke(start, context=ctx)
        if not is_rerun(params, unit.condition):
            return final["outcome"]
        # `swap: rerun`: the same exchange spoken again with the answers in the other order
        # (open roles: by the sides chosen in the first run, not chosen again).
        rerun = dataclasses.replace(ctx, order="swapped", prior=final["outcome"])
        if final["outcome"].get("open_roles"):
            start["sides"] = final["outcome"]["open_roles"]
        return (await build_graph().ainvoke(start, context=rerun))["outcome"]

    # Live judging: a person as the interactive judge (live.py)
    live_judge: ClassVar[bool] = True

    def live_problem(self, params: DebateParams) -> str | None:
        if params.swap == "rerun":
            return "params.swap: rerun would be a second live debate; use swap: false or true to judge live"
        if not self.live_conditions(params):
            return (f"params.conditions {list(params.conditions)}: blind and expert have no speeches to judge "
                    f"live; add debate or consultancy")
        return None

    def live_conditions(self, params: DebateParams) -> set[str]:
        return {c for c in params.conditions if c in ("debate", "consultancy")}

    async def run_unit_live(self, unit: Unit[DebateItem], params: DebateParams, rec: Recorder, *,  # type: ignore[override]
                            checkpointer: Any, thread_id: str, judge_id: str, resume: Any = None,
                            show: Callable[[dict[str, Any]], None] | None = None) -> LiveStep:
        from langgraph.types import Command  # loaded on first use, as in run_unit

        from oversight.protocols.debate.live import LiveBoard

        from oversight.protocols.debate.graph import DebateContext, live_graph  # loaded on first use, as in run_unit

        item = unit.item
        ctx = DebateContext(rec=rec, item=item, params=params, passage=Passage.of(item.story),
                            story_ref=rec.put_text(item.story), consultant_index=unit.data.get("consultant_index"),
                            live=judge_id, board=LiveBoard(show) if show is not None else None)
        graph = live_graph(checkpointer)
        config = {"configurable": {"thread_id": thread_id}}
        if resume is not None:
            start: Any = Command(resume=resume)
        elif (await graph.aget_state(config)).next:
            start = None  # paused or killed mid-unit: go on from the last checkpoint
        else:
            start = {"condition": unit.condition, "round": 1, "speeches": [], "outcome": {}}
        final = await graph.ainvoke(start, config, context=ctx)
        pauses = final.get("__interrupt__") if isinstance(final, dict) else None
        if pauses:
            return LiveStep(paused=pauses[0].value)
        return LiveStep(outcome=final["outcome"])

    def reference_answer(self, transcript: dict[str, Any]) -> str:
        outcome = transcript.get("outcome") or {}
        answers, ci = outcome.get("answers"), outcome.get("correct_index")
        ok = isinstance(answers, list) and isinstance(ci, int) and not isinstance(ci, bool) and 0 <= ci < len(answers)
        return str(answers[ci]) if ok else ""

    def metrics(self, transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: DebateParams) -> dict[str, Any]:
        result = debate_metrics.compute(transcripts, judgments, params)
        levels = params.levels() if isinstance(params, DebateParams) else {}
        if levels:  # only runs with best-of-N: other metrics stay as they were
            result["best_of_n"] = selection_metrics(transcripts, params)
        open_roles = open_role_metrics(transcripts, judgments)
        if open_roles:  # only runs with `roles: open` carry choices: other metrics stay as they were
            result["open_roles"] = open_roles
            result["table"] += open_role_rows(open_roles, len(result["judges"]) > 1)
        interactive = question_metrics(transcripts, judgments)
        if interactive:  # only runs with `judge_questions` carry judge turns: other metrics stay as they were
            result["interactive_judge"] = interactive
            result["table"] += question_rows(interactive, len(result["judges"]) > 1)
        return result

    def judge_views(self, transcript: dict[str, Any], params: DebateParams, texts: TextReader) -> list[JudgeView]:
        outcome = transcript["outcome"]
        return build_views(outcome, params, lambda: texts.get_text(outcome["story_ref"]))

    def view_keys(self, transcript: dict[str, Any], params: DebateParams) -> list[str] | None:
        return list(orders(params))

    def response_schema(self, view: JudgeView, params: DebateParams) -> dict[str, Any] | None:
        return response_schema(view, params)

    def verdict(self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse,
                params: DebateParams) -> dict[str, Any]:
        kind = "human" if response.choice is not None else params.judge_kind
        return verdict_fields(transcript["outcome"], view, response, kind)

    # Review hooks
    review_help: ClassVar[str] = debate_review.HELP
    mark_help: ClassVar[str] = debate_review.MARK_HELP

    def transcript_mark(self, judgments: list[dict[str, Any]]) -> Mark | None:
        return debate_review.transcript_mark(judgments)

    def review_body(self, transcript: dict[str, Any], params: dict[str, Any], texts: TextReader,
                    judgments: list[dict[str, Any]]) -> Body:
        return debate_review.debate_body(transcript, params)

    form_hidden: ClassVar[frozenset[str]] = debate_review.FORM_HIDDEN
    form_titles: ClassVar[dict[str, str]] = debate_review.FORM_TITLES

    def form_body(self, view: JudgeView) -> RenderableType:
        return debate_review.form_body(view, self.form_titles)


__all__ = ["CONDITIONS", "DebateItem", "DebateParams", "DebateProtocol", "assign_consultants"]
