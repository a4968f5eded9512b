"""The contract between a protocol and the rest of oversight. The runner knows nothing else.

A protocol is a package under `oversight/protocols/<name>/` (or in any installed
distribution) that declares its roles, params model, item type and prompt templates; turns
items into units (one transcript each: an item under one condition); runs a unit through
its LangGraph graph with a `Recorder` for every model call; rebuilds what a judge saw from a
transcript alone (so people and other models can judge it again); and computes metrics.

The registry (`oversight.protocol.registry`) finds protocols: the built-in ones by "module:attr"
strings, others through the `oversight.protocols` entry-point group (README, "Add a protocol").
Generic code calls the hooks through `oversight.protocol.hooks`: one that raises reaches the
person as one line naming the protocol and the hook (a UserError it raises, as it stands). The
declared hooks (class attributes: `Params`, `templates`, `view_alternatives`, ...) are checked
when the registry makes the protocol (`oversight.protocol.declared`), so a wrong type is one line
there too; a missing prompt package or template file names the protocol, template and folder.

Judgment records (`rec.judgment(...)`, and what `verdict` returns) are the protocol's own fields
beside a few that every reader treats alike:
- `invalid: true`: the judge answered, but its answer cannot be read as a verdict (no answer
  found, a malformed structured object, a rating off the scale). Every reader counts it as
  invalid and never scores it as an answer: the report's `inv` column, the agreement label
  "invalid" (a category of its own, never dropped), the export's "N", the review's "?" (never
  right, so never kept by a "right verdicts" filter). A protocol's metrics keep it in their
  denominators where their method says so (debate's accuracy counts it as not right).
- `failed: true` with its `reason`: the judge never answered (a call that failed after retries,
  or a verdict hook that failed on the answer); also `invalid`. Counted in `fail`, left out of
  every score and of agreement (`unscored`), and judged again by `judge --retry-failed`.
- `view_key`: the judge view answered (re-judging and people write it; a protocol's own run
  judge may keep it in a field of its own: `judgment_view_key` reads it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol as TypingProtocol, TypeVar

from pydantic import BaseModel
from rich.console import Group, RenderableType

from oversight.protocol.reporting import (INVALID_SCORE, ExportScore, HeadlineRow, Published, choice_labels, correct_score,
                                          recorded_view)
from oversight.protocol.judge_view import JudgeView
from oversight.protocol.review import Body, Mark, choice_list, correct_mark, generic_body, generic_form
from oversight.protocol.recorder import Recorder, RunContext, settings_for
from oversight.protocol.unit import I, Unit
from oversight.config.tasks import TaskConfig

P = TypeVar("P", bound=BaseModel)


@dataclass
class JudgeResponse:
    """What a judge answered, model or person; the protocol turns it into verdict fields."""

    text: str | None = None
    """A model's raw text."""
    logprobs: list[Any] | None = None
    """A logprob judge's first-token top logprobs (TokenLogprob records)."""
    choice: int | None = None
    """A person's pick: index into `JudgeView.choices` (shown order)."""
    probability: float | None = None
    """A person's confidence in their pick."""
    flaws: list[str] | None = None
    ratings: dict[str, int] | None = None
    comment: str | None = None
    structured: bool = False
    """True when `text` is a provider's structured output (one JSON object against the view's
    schema), read strictly; False for free text."""
    format_note: str | None = None
    """Why a judge asked for structured output answered in free text (the provider has none)."""
    cut_off: bool = False
    """True when a structured answer stopped at the token limit: its object may lack fields the
    schema requires (or parse by luck), so it is read as invalid, never as a verdict."""


@dataclass
class LiveStep:
    """Where a unit judged live by a person stands: paused at a decision (`paused`, the
    protocol's JSON payload saying what the person reads and may do) or finished (`outcome`)."""

    paused: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None


class TextReader(TypingProtocol):
    """Reads back a large text stored once per run (RunFolder implements it)."""

    def get_text(self, ref: str) -> str: ...


class Protocol(ABC, Generic[P, I]):
    """Subclass, set the class attributes, implement the abstract methods, declare an entry point."""

    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    """Parameters from the YAML `params:` block (pydantic, extra="forbid")."""
    prompt_package: ClassVar[str]
    """Package holding `<template>.txt` files (the protocol's `prompts/` folder)."""
    templates: ClassVar[dict[str, set[str]]]
    """Template name -> the variables it may use (documented in the prompts folder's README)."""
    shared_prefix: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Long variable -> the templates that read it (a debate's story): their calls of one item
    must open with the same bytes so prompt caches can reuse them (`PromptSet.prefix_warnings`)."""
    def shared_prefix_for(self, params: P) -> dict[str, tuple[str, ...]]:
        """`shared_prefix` narrowed to the templates these params call: a template no call
        renders cannot break the opening the others share."""
        return dict(self.shared_prefix)

    same_per_item: ClassVar[frozenset[str]] = frozenset()
    """Template variables with one value for every call of an item (a story's title), which may
    stand beside a shared variable in the opening messages."""
    optional_roles: ClassVar[frozenset[str]] = frozenset()
    """Roles an experiment may bind even when its params leave them unused (e.g. a blind-only debate)."""
    metrics_outcome_keys: ClassVar[frozenset[str] | None] = None
    """The outcome fields `metrics` reads; reports keep only these per transcript (None: all), so a
    run of 100,000 transcripts never holds every speech in memory at once."""
    metrics_event_types: ClassVar[frozenset[str]] = frozenset()
    """The event types `metrics` reads (e.g. a tree's node records); reports drop all other events."""
    judgment_types: ClassVar[Mapping[str, Any]] = {}
    """The protocol's own verdict fields -> their types, as plain annotations (`float | None`,
    `list[dict] | None`; `float` is any number): readers of its runs skip a judgment line whose
    field has another type (a hand edit) with a warning, so `metrics` and the review hooks never
    meet one, and `rec.judgment` refuses one where it is made. The contract's own fields
    (`correct`, `invalid`, `failed`, `view_key`, ...) are typed already and may not be declared."""
    outcome_types: ClassVar[Mapping[str, Any]] = {}
    """The same for the fields of `run_unit`'s outcome."""
    note_types: ClassVar[Mapping[str, Any]] = {}
    """The same for the fields of its notes (`rec.note`), beside those a model event has."""

    @abstractmethod
    def roles(self, params: P) -> set[str]:
        """Roles that need a model under these params."""

    def call_bounds(self, params: P) -> list[str]:
        """Why a dry run's call counts are the most a run can make, not what it will make: one
        line per param whose calls depend on what the models say (e.g. a judge that may stop
        early). Empty: every run of these params makes exactly the counted calls."""
        return []

    @abstractmethod
    def load_items(self, task: TaskConfig, base_dir: Path) -> list[I]:
        """Items from the experiment's `task:` block; raise UserError naming the file on bad data."""

    @abstractmethod
    def units(self, items: list[I], params: P, seed: int) -> list[Unit[I]]: ...

    @abstractmethod
    async def run_unit(self, unit: Unit[I], params: P, rec: Recorder) -> dict[str, Any]:
        """Run one unit through the protocol's graph and return its `outcome`."""

    @abstractmethod
    def metrics(self, transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: P) -> dict[str, Any]:
        """Metrics for metrics.json; `metrics["table"]` is a list of row dicts printed as a table.

        `transcripts` include failed ones (`error` set) so a protocol can count them per
        condition; `judgments` belong to finished, successful transcripts only.
        """

    def judge_views(self, transcript: dict[str, Any], params: P, texts: TextReader) -> list[JudgeView]:
        """What each judge of this transcript sees, rebuilt from the transcript alone."""
        return []

    def view_keys(self, transcript: dict[str, Any], params: P) -> list[str] | None:
        """The keys `judge_views` would give, without rendering the views (a person's judging
        plan over a large run needs only these). None: build the views to find out."""
        return None

    def response_schema(self, view: JudgeView, params: P) -> dict[str, Any] | None:
        """The JSON schema a model judge of `view` answers with (structured output), or None for
        free text. Protocols return one when `params.judge_format` is "structured"."""
        return None

    def judge_call(self, view: JudgeView, params: P, structured: bool) -> dict[str, Any]:
        """How the judge's call on `view` goes beyond the experiment's sampling: `defaults`,
        `caps` and overrides as `Recorder.call` takes them (`structured`: the answer is one JSON
        object). The run's judge and a re-judge both use it, so a re-judge asks the model as the
        run did. {}: the experiment's sampling alone."""
        return {}

    def verdict(
        self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse, params: P
    ) -> dict[str, Any]:
        """The verdict fields of a judgment record, the same for model and human judges."""
        raise NotImplementedError(f"protocol {self.name!r} has no judge views to answer")

    # Reporting hooks: optional; the defaults leave the report to its generic behaviour.
    published: ClassVar[Published] = Published()
    """Figures from papers shown beside this protocol's headline rows of the same label."""

    def headline(self, metrics: dict[str, Any]) -> list[HeadlineRow] | None:
        """The run's headline rows; None lets the report list every estimate record it finds."""
        return None

    table_notes: ClassVar[dict[str, str]] = {}
    """Column of `metrics["table"]` (as the terminal table heads it: "acc", "sev") -> what it
    means, one line for the legend under the table; a column "coverage rated" takes the note of
    "rated". The report adds the generic columns' notes (n, inv, fail, tokens) itself."""

    figures: ClassVar[str] = ""
    """"module:attr" of a drawer (`oversight.figures.Drawer`) giving the run's figures from its
    metrics; "" draws the headline rows as one interval plot. A string, loaded by the report only,
    so importing a protocol never loads matplotlib."""

    cross_run: ClassVar[str] = ""
    """"module:attr" of a `CrossRun`: given the report's runs of this protocol, extra tables and
    figures (debate's tournament); "" for none. Loaded by the report only, like `figures`."""
    cross_run_key: ClassVar[str] = ""
    """Where the cross-run result goes in the JSON report (null when the runs make none)."""

    def export_score(self, judgment: dict[str, Any]) -> ExportScore:
        """One judgment as a score of an exported sample (`oversight export --format inspect`).
        Default: its boolean `correct` as "C" / "I" ("N" when invalid), else "N"."""
        return correct_score(judgment) or ExportScore(INVALID_SCORE)

    def agreement_labels(self, judgment: dict[str, Any]) -> dict[str, str] | None:
        """The labels two judges of one view are compared on (metrics.json's `agreement`), by
        sub-item: {"": label} for one pick, one entry per part otherwise (critique: "found" or
        "missed" per known flaw). None: nothing to compare (a failed call, a rating), counted
        as `unscored`. Default: `choice_labels` (the judgment's `choice`, if it records one)."""
        return choice_labels(judgment)

    def judgment_view_key(self, judgment: dict[str, Any]) -> str | None:
        """Which view a judgment answered: several records of one rater on one view stand as one
        (the latest), agreement pairs judges on it, and exports name the score `<judge>/<view>`.
        None: the record names none (it always counts, and pairs as the transcript's one view).
        Default: `view_key`, which re-judging and people write (`recorded_view`); a protocol
        whose own run judge records the view in another field reads that too."""
        return recorded_view(judgment)
    # End of reporting hooks.

    def all_roles(self, params: P) -> set[str]:
        """Every role an experiment may bind: the required ones and the optional ones."""
        return self.roles(params) | set(self.optional_roles)

    # ---- Judging hooks: what judging a finished run again (`oversight judge --model`) asks ----

    judge_role: ClassVar[str] = "judge"
    """The role that answers the judge views: `oversight judge --model SPEC` binds SPEC to it and
    lays `--set` over the run's `generation:` block of this role (list it in `roles` or
    `optional_roles`, so an experiment may give it a `generation:` block)."""
    judge_kind_param: ClassVar[str | None] = None
    """The params field naming the run's judge kind ("model" or "logprob"): a re-judge reads the
    run's kind from it and sets it to `--judge-kind`. None: the protocol has model judges only,
    and `--judge-kind logprob` is refused."""
    swap_param: ClassVar[str | None] = None
    """The boolean params field that asks for every `view_alternatives` key (true) or the first
    of each (false); a re-judge sets it from `--swap`/`--no-swap`. None: no such field."""
    top_logprobs_param: ClassVar[str | None] = None
    """The params field giving a logprob judge's number of top logprobs, when the judge's
    `generation:` block sets none. None: 10."""

    rejudge_flags: ClassVar[dict[str, str]] = {}
    """Command-line shorthands for `--bind ROLE=SPEC`, flag -> role (e.g. `--grader` -> "grader")."""

    def rejudge_roles(self, params: P) -> set[str]:
        """Roles beside the judge whose models `judge_verdict` calls; each is bound to the run's
        own model for the role unless `--bind ROLE=SPEC` names another."""
        return set()

    async def judge_verdict(
        self, view: JudgeView, transcript: dict[str, Any], response: JudgeResponse, params: P, rec: Recorder
    ) -> dict[str, Any]:
        """`verdict` for a model judge, which may finish it with calls through `rec` (to the
        `rejudge_roles` models). A call that fails after retries is recorded in the fields
        (`failed: True` and a `reason`), never raised, so the judge's answer is kept."""
        return self.verdict(view, transcript, response, params)

    # ---- Live judging hooks: a person as the judge while the unit runs (`oversight judge-live`)

    live_judge: ClassVar[bool] = False
    """True when `run_unit_live` is implemented."""

    def live_problem(self, params: P) -> str | None:
        """Why these params cannot be judged live (one line), or None."""
        return None if self.live_judge else f"protocol {self.name!r} has no live judge"

    def live_conditions(self, params: P) -> set[str]:
        """The conditions with something to judge live (the others are left out)."""
        return set()

    async def run_unit_live(self, unit: Unit[I], params: P, rec: Recorder, *, checkpointer: Any, thread_id: str,
                            judge_id: str, resume: Any = None,
                            show: Callable[[dict[str, Any]], None] | None = None) -> LiveStep:
        """Run (or go on with) `unit` with the person `judge_id` as its judge: the graph pauses
        at each of the person's decisions (LangGraph's interrupt, checkpointed by `checkpointer`
        under `thread_id`); `resume` is the person's answer to the pause the last call returned
        (None: start, or go on after a crash from the last checkpoint). `show`, when given, gets
        a JSON progress payload as soon as each speech is spoken ({"kind": "progress", "view"
        as in a pause, drawn with `form_body`; "speaking": who speaks now}), so the person
        reads along while the next speaker's call runs."""
        raise NotImplementedError(f"protocol {self.name!r} has no live judge")

    # ---- Import hooks: published transcripts of other tools as run folders
    importers: ClassVar[dict[str, str]] = {}
    """Format name (`oversight import FORMAT FILE`) -> module with `FORMAT`, `import_file(path,
    runs_dir) -> Path`, `summary(imported) -> str` and optionally `published_metrics(run_dir)`."""

    # ---- Review hooks: what `oversight review` and `judge --human` show; optional -----------

    view_alternatives: ClassVar[dict[str, str]] = {}
    """Judge-view key -> the part of a transcript it shows, for views that show one part in
    several ways (debate's two answer orders): a person judges one of them, chosen at random."""

    def reference_answer(self, transcript: dict[str, Any]) -> str:
        """The answer a right verdict names, for exports that want a target ("" when none)."""
        return ""

    review_tree: ClassVar[bool] = False
    """True when `review_body` gives a tree (`Body.tree`): the view tab is then a node tree."""
    review_help: ClassVar[str] = ""
    """Lines for the transcript screen's help page: what this protocol's view shows and which
    keys it answers (story, quotes); "" for the generic view's words."""
    mark_help: ClassVar[str] = ""
    """A line for the list's help page: when `judgment_mark` calls a verdict right."""
    form_titles: ClassVar[dict[str, str]] = {}
    """Judge-view variable -> its section title on the human judging form (beside the generic
    titles such as "Question"); variables named in neither get their name capitalised."""

    form_hidden: ClassVar[frozenset[str]] = frozenset()
    """Judge-view variables the default form body gives no section of their own: tags that steer
    how others are drawn, or numbers the form says in words."""
    flaws_guide: ClassVar[str] = ""
    """What to list, shown above a flaws view on the human judging form ("" for nothing)."""
    flaws_hint: ClassVar[str] = "Flaws you found, one per line (empty: none found):"
    """The line above a person's flaw list on a flaws view."""
    rating_scales: ClassVar[tuple[str, ...]] = ("rating",)
    """The scales a person rates a rating view on, 1-7 each, named as `verdict` reads them."""

    def form_body(self, view: JudgeView) -> RenderableType:
        """What a person judging `view` reads above the answer form (`judge --human`), its values
        already cleaned for the terminal. Default: every variable under its title as plain text
        (`generic_form`), then a choice view's answers by letter (`choice_list`); a protocol
        draws its own sections, e.g. speaker turns and quotes."""
        form = generic_form(view, self.form_titles, self.flaws_guide or None, self.form_hidden)
        listed = choice_list(view)
        return Group(form, *listed) if listed else form

    def review_body(self, transcript: dict[str, Any], params: dict[str, Any], texts: TextReader,
                    judgments: list[dict[str, Any]]) -> Body:
        """One transcript as a researcher reads it. `params` is the experiment's raw `params:`
        block (read as data: it may predate this version's params model); `judgments` are the
        standing ones on this transcript. Every string is already cleaned for the terminal."""
        return generic_body(transcript)

    def judgment_mark(self, judgment: dict[str, Any]) -> Mark | None:
        """Whether a judgment was right (an invalid one is marked wrong by the caller); None
        when the protocol cannot say. Default: the judgment's boolean `correct`."""
        return correct_mark(judgment)

    def transcript_mark(self, judgments: list[dict[str, Any]]) -> Mark | None:
        """One rater's verdict on one transcript, from all of that rater's standing judgments
        on it, as the protocol's metrics score it (debate: the order-averaged verdict over both
        answer orders). The list's verdict filter uses it; None: each judgment's own mark decides."""
        return None

    judgment_fields_shown: ClassVar[frozenset[str]] = frozenset()
    """Judgment fields `judgment_body` draws, left out of the verdicts tab's field list."""

    def judgment_body(self, transcript: dict[str, Any], judgment: dict[str, Any]) -> RenderableType | None:
        """What the verdicts tab shows of one judgment beside its fields (critique's graded
        reports); None for nothing more."""
        return None
    # End of review hooks.


def no_repeats(values: list[Any]) -> list[Any]:
    """For a params list such as `conditions`: a repeat would run and count the same unit twice."""
    seen: set[str] = set()
    for value in values:
        if str(value) in seen:
            raise ValueError(f"list each value once ({str(value)!r} is repeated)")
        seen.add(str(value))
    return values


__all__ = [
    "JudgeResponse", "JudgeView", "LiveStep", "Protocol", "Recorder", "RunContext", "TextReader", "Unit",
    "no_repeats", "settings_for",
]
