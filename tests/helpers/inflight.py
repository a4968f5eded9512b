"""A scripted provider that records how many calls are in flight at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from oversight.models.providers import scripted
from oversight.models.types import Completion, GenerateConfig, Message


def inflight_provider(reply: Callable[[list[Message]], str], delay: float = 0.01):  # type: ignore[no-untyped-def]
    """A provider class and its counters: `peak` is the most calls ever running together."""
    state = {"now": 0, "peak": 0}

    class InFlight(scripted.ScriptedProvider):
        async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            await asyncio.sleep(delay)
            state["now"] -= 1
            return Completion(text=reply(messages))

    return InFlight, state
