"""The `params:` block of an experiment with `protocol: critique`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from oversight.protocol.contract import no_repeats

CONDITIONS = ("unassisted", "assisted")


class CritiqueParams(BaseModel):
    """The experiment's `params:` block for `protocol: critique`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    conditions: Annotated[list[Literal["unassisted", "assisted"]], AfterValidator(no_repeats)] = Field(
        default_factory=lambda: list(CONDITIONS), min_length=1
    )
    """Which conditions to run per item; uplift needs both."""
    answer_source: Literal["task", "answerer"] = "task"
    """`task`: judge the answer in the task file against its gold flaws. `answerer`: a model
    writes the answer; gold flaws are then unknown and recall is measured against the
    grader-confirmed flaws found in any condition."""
    max_critiques: int = Field(default=3, ge=1, le=20)
    """k: the critic writes at most this many critiques."""
    meta_depth: int = Field(default=0, ge=0, le=5)
    """Levels of recursive critique: each level comments once on each node of the level above."""
    show_critique_tree: bool = False
    """Show the judge the meta-critiques under each critique, not just the critiques."""
    model_judge: bool = True
    """Run the built-in model judge; off = generate critiques only, for people to judge later."""
    judge_format: Literal["structured", "text"] = "structured"
    """How the model judge answers: `structured` asks for one JSON object (reasoning, then the list
    of flaws) where the provider supports structured output and falls back to the numbered
    free-text list, noted in the transcript, where it does not; `text` always reads the list."""
    max_reports: int = Field(default=6, ge=1, le=30)
    """The judge's list of flaws is cut after this many."""
    grader: Literal["model", "lexical"] = "model"
    """`model`: the grader role matches reports to gold flaws. `lexical`: content-word overlap
    (deterministic, free; needs gold flaws, so not with answer_source: answerer)."""
    grade_critiques: bool = True
    """Also grade each critique, for critique validity (share matching a gold flaw)."""
    lexical_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    """Overlap needed for a lexical match; also used to merge duplicate flaws in answerer mode."""
    n_boot: int = Field(default=2000, ge=100, le=100_000)
    """Bootstrap resamples for the confidence intervals."""
    bootstrap_seed: int = 0
    """Seed of the bootstrap resampling, so a report is reproducible."""
    pool_judges: bool = False
    """Pool every judge's judgments into one block labelled "all judges (pooled)"; by default
    each judge is reported on its own."""
