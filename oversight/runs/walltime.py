"""A rough wall-time figure for `--dry-run`, from the estimated calls and tokens per role.

It is a planning aid, not a measurement: the rates below are typical, output is counted at
each call's max_tokens (real answers are usually shorter), and a provider's rate limits or a
busy machine make any of them wrong. The printed line says so and names its assumptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oversight.models.spec import ModelSpec

LOCAL_PROMPT_TOK_S = 200.0
"""Prompt tokens a second the embedded llama.cpp model reads on a 2-core machine, all slots together."""
LOCAL_OUTPUT_TOK_S = 40.0
"""Generated tokens a second on the same machine, all slots together."""
API_OUTPUT_TOK_S = 60.0
"""Generated tokens a second of one hosted-API call."""
API_FIRST_TOKEN_S = 0.8
"""Seconds before a hosted-API call's first token."""
LOCAL_PROVIDERS = ("local",)
FREE_PROVIDERS = ("scripted",)


@dataclass(frozen=True)
class RoleLoad:
    """What one role's calls ask for, from the dry run."""

    spec: ModelSpec
    calls: int
    input_tokens: int
    output_tokens: int
    batched: bool = False


@dataclass(frozen=True)
class WallTime:
    seconds: float
    batched_roles: tuple[str, ...]
    assumptions: str

    def line(self) -> str:
        """One line for the terminal: the figure, what it assumes, and what it leaves out."""
        text = f"wall time (rough): about {_duration(self.seconds)}"
        if self.batched_roles:
            text += f" plus the Batch API's turnaround (up to 24 h) for {', '.join(self.batched_roles)}"
        return f"{text}; assumes {self.assumptions}; output counted at max_tokens, so usually less"


def estimate_wall(loads: dict[str, RoleLoad], concurrency: int) -> WallTime:
    """Local roles share one machine (their seconds add up); hosted calls run `concurrency`
    at a time. The two kinds overlap, so the longer of them is the run's time."""
    local = api = 0.0
    batched = []
    for role, load in sorted(loads.items()):
        if load.spec.provider in FREE_PROVIDERS:
            continue
        if load.batched:
            batched.append(role)
        elif load.spec.provider in LOCAL_PROVIDERS:
            local += load.input_tokens / LOCAL_PROMPT_TOK_S + load.output_tokens / LOCAL_OUTPUT_TOK_S
        else:
            per_call = load.output_tokens / max(load.calls, 1) / API_OUTPUT_TOK_S + API_FIRST_TOKEN_S
            api += per_call * load.calls / max(concurrency, 1)
    assumed = []
    if any(l.spec.provider in LOCAL_PROVIDERS and not l.batched for l in loads.values()):
        assumed.append(f"the local model reads {LOCAL_PROMPT_TOK_S:.0f} and writes {LOCAL_OUTPUT_TOK_S:.0f} "
                       "tokens a second (2 CPU cores, before its prompt cache helps)")
    if any(l.spec.provider not in (*LOCAL_PROVIDERS, *FREE_PROVIDERS) and not l.batched for l in loads.values()):
        assumed.append(f"hosted calls take {API_FIRST_TOKEN_S} s plus {API_OUTPUT_TOK_S:.0f} tokens a second, "
                       f"{concurrency} at a time, with no rate limit hit")
    return WallTime(max(local, api), tuple(batched), "; ".join(assumed) or "no call costs time (scripted models)")


def wall_line(rows: list[dict[str, object]], specs: dict[str, ModelSpec], concurrency: int,
              batched: Callable[[str], bool] = lambda role: False) -> str:
    """The wall-time line for a dry run's estimate rows (one per role, as `--dry-run` prints them)."""
    loads = {str(r["role"]): RoleLoad(specs[str(r["role"])], int(str(r["calls"]).split()[0]),
                                      int(str(r["input tokens (est.)"])), int(str(r["output tokens (max)"])),
                                      batched(str(r["role"]))) for r in rows}
    return estimate_wall(loads, concurrency).line()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
