"""What a run has spent and may be about to spend, for `max_cost_usd`.

Every call that reaches a provider adds its upper-bound cost (`pricing.cost_bound`: the prompt
at four characters a token plus all of `max_tokens`) while in flight, and its real cost once
answered (as billed: cache reads and writes at their own rates). Cache hits and coalesced calls
cost nothing and are not counted. Unpriced models
(self-hosted, local, scripted) count 0.
"""

from __future__ import annotations


class SpendMeter:
    """Plain floats: one event loop owns them."""

    def __init__(self, previous_usd: float = 0.0) -> None:
        self.previous_usd = previous_usd
        """Spent by earlier sessions of the same run (their transcripts' usage)."""
        self.spent_usd = 0.0
        self.saved_usd = 0.0
        """What prompt caching took off the list price of this session's calls."""
        self.in_flight_usd = 0.0
        self.in_flight_calls = 0

    def start(self, bound_usd: float) -> None:
        self.in_flight_usd += bound_usd
        self.in_flight_calls += 1

    def finish(self, bound_usd: float, cost_usd: float | None, saved_usd: float | None = None) -> None:
        """The call ended: its bound leaves, its real cost (None for unpriced or failed) stays."""
        self.saved_usd += saved_usd or 0.0
        self.in_flight_calls -= 1
        self.in_flight_usd = 0.0 if self.in_flight_calls == 0 else max(0.0, self.in_flight_usd - bound_usd)
        self.spent_usd += cost_usd or 0.0

    @property
    def committed_usd(self) -> float:
        """Spent in this run so far, every session included, plus the bound of calls in flight."""
        return self.previous_usd + self.spent_usd + self.in_flight_usd
