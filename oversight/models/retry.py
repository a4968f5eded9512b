"""Exponential backoff with "equal jitter", honouring Retry-After.

The n-th wait is drawn uniformly from [c/2, c] with c = min(max_delay_s, base_delay_s * 2**(n-1)):
half the ceiling is always waited (so a busy server gets real rest), the other half is random
(so clients that failed together do not retry together).
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field


class RetryPolicy(BaseModel):
    """How often and how patiently a failed call is tried again (the experiment's `retry:`)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=6, ge=1)
    """Attempts per call, the first included; then the call fails and the item records why."""
    base_delay_s: float = Field(default=1.0, ge=0)
    """First backoff; doubles each attempt."""
    max_delay_s: float = Field(default=60.0, ge=0)
    """Cap on one wait, including a server's Retry-After."""

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait before attempt number `attempt + 1` (attempt counts from 1): the server's
        Retry-After if it sent one (capped at max_delay_s), else equal jitter as above."""
        if retry_after is not None:
            return min(retry_after, self.max_delay_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return rng.uniform(ceiling / 2, ceiling)
