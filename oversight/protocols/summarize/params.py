"""The experiment's `params:` block for `protocol: summarize`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from oversight.protocol.contract import no_repeats

STRATEGIES: tuple[str, ...] = ("hierarchical", "incremental")


class SummarizeParams(BaseModel):
    """How a text is cut, how the summary tree is built, and which nodes the judge rates."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    strategies: Annotated[list[Literal["hierarchical", "incremental"]], AfterValidator(no_repeats)] = Field(
        default_factory=lambda: ["hierarchical"], min_length=1)
    """Each strategy is a condition (one transcript per text): `hierarchical` (Wu et al. 2021: leaves,
    then merges level by level) and/or `incremental` (Chang et al. 2024: one running summary)."""
    chunk_tokens: int = Field(default=500, ge=20, le=200_000)
    """Leaf chunk size in approximate tokens (4 characters a token), cut at paragraph, then
    sentence, then word breaks. Keep chunk plus prompt within the model's context."""
    fan_in: int = Field(default=3, ge=2, le=50)
    """Summaries merged into one at each level of the hierarchical tree."""
    context: bool = False
    """Hierarchical only: show each node the summary of the previous node on its level (Wu et al.'s
    context). That node must finish first, so a level then runs in sequence, not all at once."""
    summary_words: list[Annotated[int, Field(ge=5, le=5000)]] = Field(
        default_factory=lambda: [80, 120, 160], min_length=1)
    """Word budget per level of the hierarchical tree: leaves, first merges, ...; the last value
    holds for every higher level."""
    running_words: int = Field(default=160, ge=5, le=5000)
    """Word budget of the incremental strategy's running summary."""
    judge: Literal["all", "root", "none"] = "all"
    """Which nodes the built-in judge rates for faithfulness and coverage (1-7)."""
    judge_format: Literal["structured", "text"] = "structured"
    """How the node judge answers: `structured` asks for one JSON object (reasoning, then each
    1-7 rating) where the provider supports structured output and falls back to the two text
    lines, noted in the transcript, where it does not; `text` always reads the lines. The
    coherence check is always read as text."""
    coherence: bool = True
    """Also check the root summary's coherence, sentence by sentence (BooookScore)."""
    tokens_per_word: float = Field(default=2.0, ge=1.0, le=10.0)
    """Summary calls are capped at budget x this + 32 tokens, enough room to tell an over-long
    summary (which is retried shorter once, then cut) from one that fits."""
    stop: list[str] = Field(default_factory=lambda: ["\n\n\n", "\nPart ", "\nSummary of", "\nTitle:"])
    """Stop sequences for summary calls when `generation:` sets none; base models need them or
    they write the next part of the prompt too."""

    def budget(self, strategy: str, level: int) -> int:
        """The word budget of a node at `level` under `strategy`."""
        if strategy == "incremental":
            return self.running_words
        return self.summary_words[min(level, len(self.summary_words) - 1)]


__all__ = ["STRATEGIES", "SummarizeParams"]
