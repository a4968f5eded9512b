"""Debate, consultancy and their judge-only baselines (Irving et al. 2018; Michael et al. 2023;
Khan et al. 2024) as one LangGraph graph whose nodes are named after roles.

Debaters (and the consultant) read the story; the judge does not, except in the `expert`
baseline. Conditions share items so they can be compared pairwise:

- `debate`: `debater_a` defends answers[0], `debater_b` answers[1], for `rounds` rounds,
  `simultaneous` (each sees only earlier rounds) or `sequential` (B also sees A's current speech);
- `consultancy`: one `consultant` argues for the correct answer on half the items and for the
  wrong one on the other half (balanced, assigned with the experiment seed);
- `blind`: the judge answers from the question alone; `expert`: the judge reads the story.

Every quote in a speech is checked against the story (oversight.protocols.shared.quotes) and shown to
the judge as verified or unverified. The judge step (`judge` node) only reads the speeches stored
in the state, so another judge can later rebuild its view from the transcript alone
(oversight.protocols.debate.judging).
"""

from __future__ import annotations

import operator
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from oversight.protocol import Protocol, Recorder, Unit, no_repeats
from oversight.protocols.debate.data import DebateItem, load_debate_items
from oversight.protocols.debate.judging import (
    LETTERS,
    judge_variables,
    render_transcript,
    verdict_record,
)
from oversight.protocols.shared.quotes import Passage, check_speech, quote_stats
from oversight.protocols.shared.verdicts import parse_verdict, read_logprobs
from oversight.taskdata import TaskConfig

Condition = Literal["debate", "consultancy", "blind", "expert"]
CONDITIONS: tuple[str, ...] = ("debate", "consultancy", "blind", "expert")
_TAG = r"^[A-Za-z][A-Za-z0-9_-]*$"


class DebateParams(BaseModel):
    """The experiment's `params:` block for `protocol: debate`."""

    model_config = ConfigDict(extra="forbid")

    conditions: Annotated[list[Condition], AfterValidator(no_repeats)] = Field(
        default_factory=lambda: list(CONDITIONS), min_length=1)
    """Which conditions to run on every item; each becomes one transcript per item."""
    rounds: int = Field(default=3, ge=1, le=20)
    """Speeches per debater (or consultant)."""
    turns: Literal["simultaneous", "sequential"] = "simultaneous"
    """Simultaneous: both debaters speak each round without seeing the other's current speech.
    Sequential: debater A speaks first and debater B sees A's speech of the same round."""
    word_limit: int = Field(default=150, ge=5, le=2000)
    """Words per speech; told to the speaker and enforced by cutting longer speeches."""
    max_speech_tokens: int | None = Field(default=None, ge=1)
    """Token cap per speech; default about 2 tokens per word of the limit plus 16. A smaller
    `max_tokens` in `generation:` still wins."""
    swap: bool = True
    """Also judge every transcript with the answer order reversed; both verdicts are recorded."""
    judge_kind: Literal["model", "logprob"] = "model"
    """`model`: parse the judge's text (answer + probability). `logprob`: read P(A) vs P(B) from
    the first token's top logprobs (needs a provider with logprobs: local, OpenAI-compatible)."""
    top_logprobs: int = Field(default=10, ge=2, le=20)
    """How many alternatives the logprob judge asks for."""
    quote_tag: str = Field(default="quote", pattern=_TAG)
    """Debaters quote the story as <quote_tag>...</quote_tag>."""
    verified_tag: str = Field(default="v_quote", pattern=_TAG)
    """Tag that marks a verified quote in what the judge sees."""
    unverified_tag: str = Field(default="u_quote", pattern=_TAG)
    """Tag that marks an unverified quote in what the judge sees."""
    fuzzy_threshold: float | None = Field(default=None, ge=0, le=100)
    """If set, a quote whose fuzzy score (0-100) reaches this also counts as verified; by default
    only exact matches (after normalising case, punctuation, quotes and whitespace) do."""
    stop: list[str] = Field(default_factory=lambda: ["\nDebater A", "\nDebater B", "\nConsultant", "\nJudge"])
    """Stop sequences for speeches, used when `generation:` sets none for the role. Base models
    need them, or they write the other side's speech too."""



@dataclass(frozen=True)
class DebateContext:
    """Run-scoped dependencies handed to every node through LangGraph's runtime context."""

    rec: Recorder
    item: DebateItem
    params: DebateParams
    passage: Passage
    consultant_index: int | None = None


class Speech(TypedDict):
    round: int
    role: str
    answer_index: int
    text: str
    """The speech as generated, cut to the word limit."""
    shown: str
    """The same with quotes marked verified/unverified: what judges and the other debater see."""
    words: int
    truncated: bool
    quotes: list[dict[str, Any]]


class DebateState(TypedDict):
    condition: str
    speeches: Annotated[list[Speech], operator.add]
    verdicts: Annotated[list[dict[str, Any]], operator.add]


def cut_words(text: str, limit: int) -> tuple[str, int, bool]:
    """Keep the first `limit` words (whitespace kept as written); return text, word count, cut?"""
    words = list(re.finditer(r"\S+", text))
    if len(words) <= limit:
        return text.strip(), len(words), False
    return text[: words[limit - 1].end()].strip(), limit, True


def _speech_overrides(rec: Recorder, role: str, params: DebateParams) -> dict[str, Any]:
    config = rec.config_for(role)
    overrides: dict[str, Any] = {}
    if config.stop is None and params.stop:
        overrides["stop"] = list(params.stop)
    cap = params.max_speech_tokens or params.word_limit * 2 + 16
    if config.max_tokens > cap:
        overrides["max_tokens"] = cap
    return overrides


def _outcome_base(item: DebateItem, condition: str, params: DebateParams, consultant_index: int | None) -> dict[str, Any]:
    base: dict[str, Any] = {"condition": condition, "title": item.title, "question": item.question,
                            "answers": list(item.answers), "correct_index": item.correct_index}
    if condition in ("debate", "consultancy"):
        base.update(turns=params.turns, rounds=params.rounds, word_limit=params.word_limit)
    if consultant_index is not None:
        base["consultant_index"] = consultant_index
    return base


async def _speak(role: str, state: DebateState, ctx: DebateContext) -> Speech:
    """One speech by a debater or the consultant: prompt, call, cut, check quotes, log."""
    p, item = ctx.params, ctx.item
    mine = [s for s in state["speeches"] if s["role"] == role]
    rnd = len(mine) + 1
    if role == "consultant":
        assert ctx.consultant_index is not None
        index = ctx.consultant_index
    else:
        index = 0 if role == "debater_a" else 1
    other = 1 - index
    if p.turns == "simultaneous":
        visible = [s for s in state["speeches"] if s["round"] < rnd]
    else:
        visible = list(state["speeches"])
    variables = {
        "title": item.title, "story": item.story, "question": item.question,
        "answer_a": item.answers[0], "answer_b": item.answers[1],
        "name": "Consultant" if role == "consultant" else f"Debater {LETTERS[index]}",
        "letter": LETTERS[index], "my_answer": item.answers[index],
        "opponent_name": f"Debater {LETTERS[other]}", "opponent_letter": LETTERS[other],
        "opponent_answer": item.answers[other], "other_letter": LETTERS[other], "other_answer": item.answers[other],
        "round": rnd, "rounds": p.rounds, "word_limit": p.word_limit,
        "transcript": render_transcript(visible, sequential=p.turns == "sequential"), "quote_open": f"<{p.quote_tag}>", "quote_close": f"</{p.quote_tag}>",
    }
    template = "consultant" if role == "consultant" else "debater"
    out = await ctx.rec.call(role, template, variables, step=f"{role} round {rnd}", **_speech_overrides(ctx.rec, role, p))
    text, words, truncated = cut_words(out.text, p.word_limit)
    checked = check_speech(text, ctx.passage, tag=p.quote_tag, verified_tag=p.verified_tag,
                           unverified_tag=p.unverified_tag, fuzzy_threshold=p.fuzzy_threshold)
    quotes = [q.to_dict() for q in checked.quotes]
    ctx.rec.note("quote_check", role=role, round=rnd, words=words, truncated=truncated, shown=checked.shown,
                 quotes=quotes, **quote_stats(checked.quotes))
    return Speech(round=rnd, role=role, answer_index=index, text=text, shown=checked.shown, words=words,
                  truncated=truncated, quotes=quotes)


def _last_round(state: DebateState, role: str, ctx: DebateContext) -> bool:
    return sum(s["role"] == role for s in state["speeches"]) + 1 >= ctx.params.rounds


async def debater_a(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    """Debater A's turn. In simultaneous mode A also schedules the next round for both."""
    ctx = runtime.context
    speech = await _speak("debater_a", state, ctx)
    last = _last_round(state, "debater_a", ctx)
    if ctx.params.turns == "sequential":
        goto: Any = "debater_b"
    else:
        goto = "judge" if last else ["debater_a", "debater_b"]
    return Command(update={"speeches": [speech]}, goto=goto)


async def debater_b(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    """Debater B's turn; in sequential mode B closes each round."""
    ctx = runtime.context
    speech = await _speak("debater_b", state, ctx)
    if ctx.params.turns == "sequential":
        return Command(update={"speeches": [speech]},
                       goto="judge" if _last_round(state, "debater_b", ctx) else "debater_a")
    return Command(update={"speeches": [speech]})


async def consultant(state: DebateState, runtime: Runtime[DebateContext]) -> Command[Any]:
    ctx = runtime.context
    speech = await _speak("consultant", state, ctx)
    return Command(update={"speeches": [speech]},
                   goto="judge" if _last_round(state, "consultant", ctx) else "consultant")


async def judge(state: DebateState, runtime: Runtime[DebateContext]) -> dict[str, Any]:
    """Judge the finished exchange once per answer order; record every verdict, valid or not."""
    ctx = runtime.context
    p, rec = ctx.params, ctx.rec
    outcome = {**_outcome_base(ctx.item, state["condition"], p, ctx.consultant_index), "speeches": state["speeches"]}
    judge_id = f"{p.judge_kind}:{rec.ctx.models['judge'].name}"
    overrides = {"logprobs": True, "top_logprobs": p.top_logprobs, "max_tokens": 1} if p.judge_kind == "logprob" else {}
    verdicts = []
    for order in (("original", "swapped") if p.swap else ("original",)):
        variables = judge_variables(outcome, order, story=ctx.item.story,
                                    verified_tag=p.verified_tag, unverified_tag=p.unverified_tag)
        out = await rec.call("judge", f"judge_{state['condition']}", variables, step=f"judge {order}", **overrides)
        if p.judge_kind == "logprob" and out.completion.logprobs:
            parsed = read_logprobs(out.completion.logprobs)
        else:
            # No logprobs (e.g. a provider without them): fall back to reading the text.
            parsed = parse_verdict(out.text)
            if p.judge_kind == "logprob":
                parsed.extra["fallback"] = "no logprobs returned; parsed the text"
        record = verdict_record(outcome, order, parsed, raw=out.text, kind=p.judge_kind)
        if parsed.extra:
            record["logprob_read"] = parsed.extra
        rec.note("verdict", **record)
        rec.judgment(judge_id, **record)
        verdicts.append(record)
    return {"verdicts": verdicts}


def _route_start(state: DebateState) -> list[str]:
    return {"debate": ["debater_a", "debater_b"], "consultancy": ["consultant"]}.get(state["condition"], ["judge"])


@cache
def build_graph(turns: str = "simultaneous") -> Any:
    """The compiled graph; sequential debates start with debater A alone."""
    g = StateGraph(DebateState, context_schema=DebateContext)
    g.add_node("debater_a", debater_a, destinations=("debater_a", "debater_b", "judge"))
    g.add_node("debater_b", debater_b, destinations=("debater_a", "judge"))
    g.add_node("consultant", consultant, destinations=("consultant", "judge"))
    g.add_node("judge", judge)

    def route(state: DebateState) -> list[str]:
        nodes = _route_start(state)
        return ["debater_a"] if turns == "sequential" and state["condition"] == "debate" else nodes

    g.add_conditional_edges(START, route, ["debater_a", "debater_b", "consultant", "judge"])
    g.add_edge("judge", END)
    return g.compile()


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


class DebateProtocol(Protocol):
    name = "debate"
    Params = DebateParams
    prompt_package = "oversight.protocols.debate.prompts"
    optional_roles: ClassVar[set[str]] = {"debater_a", "debater_b", "consultant"}
    """Roles an experiment may bind even when its conditions do not use them (e.g. a blind-only run)."""
    templates: ClassVar[dict[str, set[str]]] = {
        "debater": {"title", "story", "question", "answer_a", "answer_b", "name", "letter", "my_answer",
                    "opponent_name", "opponent_letter", "opponent_answer", "round", "rounds", "word_limit",
                    "transcript", "quote_open", "quote_close"},
        "consultant": {"title", "story", "question", "answer_a", "answer_b", "name", "letter", "my_answer",
                       "other_letter", "other_answer", "round", "rounds", "word_limit", "transcript",
                       "quote_open", "quote_close"},
        "judge_debate": {"question", "answer_a", "answer_b", "transcript", "verified_tag", "unverified_tag"},
        "judge_consultancy": {"question", "answer_a", "answer_b", "transcript", "consultant_letter",
                              "verified_tag", "unverified_tag"},
        "judge_blind": {"question", "answer_a", "answer_b"},
        "judge_expert": {"title", "story", "question", "answer_a", "answer_b"},
    }

    def roles(self, params: DebateParams) -> set[str]:
        roles = {"judge"}
        if "debate" in params.conditions:
            roles |= {"debater_a", "debater_b"}
        if "consultancy" in params.conditions:
            roles.add("consultant")
        return roles

    def load_items(self, task: TaskConfig, base_dir: Path) -> list[DebateItem]:
        return load_debate_items(task, base_dir)

    def units(self, items: list[DebateItem], params: DebateParams, seed: int) -> list[Unit]:
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

    async def run_unit(self, unit: Unit, rec: Recorder) -> dict[str, Any]:
        params: DebateParams = rec.ctx.params
        item: DebateItem = unit.item
        ctx = DebateContext(rec=rec, item=item, params=params, passage=Passage(item.story),
                            consultant_index=unit.data.get("consultant_index"))
        final = await build_graph(params.turns).ainvoke(
            {"condition": unit.condition, "speeches": [], "verdicts": []}, context=ctx
        )
        speeches = sorted(final["speeches"], key=lambda s: (s["round"], s["role"]))
        all_quotes = [q for s in speeches for q in s["quotes"]]
        return {
            **_outcome_base(item, unit.condition, params, ctx.consultant_index),
            "speeches": speeches,
            "quote_stats": {"quotes": len(all_quotes), "verified": sum(q["verified"] for q in all_quotes)},
            "verdicts": [{k: v[k] for k in ("order", "answer_index", "correct", "p_correct", "invalid")}
                         for v in final["verdicts"]],
        }

    def metrics(self, transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: Any) -> dict[str, Any]:
        from oversight.protocols.debate.metrics import debate_metrics

        return debate_metrics(transcripts, judgments)


__all__ = [
    "CONDITIONS",
    "DebateContext",
    "DebateParams",
    "DebateProtocol",
    "DebateState",
    "assign_consultants",
    "build_graph",
    "cut_words",
]
