"""The experiment's `batch_options:` block: how calls are gathered into batches and polled."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

BATCH_PROVIDERS = ("anthropic", "openai")
"""Providers with a Batch API (their own endpoints only: an OpenAI-compatible server has none)."""


class BatchOptions(BaseModel):
    """Tuning for batched roles; the defaults suit real APIs (batches take minutes to hours)."""

    model_config = ConfigDict(extra="forbid")

    window_s: float = Field(default=2.0, gt=0)
    """How long calls are gathered after the first one before they are submitted as one batch."""
    max_requests: int = Field(default=10_000, ge=1, le=50_000)
    """A batch is submitted at once when it holds this many calls (the APIs allow 50,000+)."""
    poll_s: float = Field(default=10.0, gt=0)
    """First wait before asking whether a batch has ended; each wait is 1.5 times the last."""
    poll_max_s: float = Field(default=300.0, gt=0)
    """Longest wait between two polls of one batch."""
    max_poll_errors: int = Field(default=8, ge=1)
    """Failed polls in a row after which the batch's calls are made as normal calls instead."""
