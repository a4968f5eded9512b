"""Holes found reviewing prompt caching and billed costs: each test failed before its fix.

Oracles: the fake API of tests/fakes/prompt_cache.py (the providers' documented caching rules,
prices copied from their pricing pages) and exact rational arithmetic for sums.
"""

from __future__ import annotations

import asyncio
import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes.llm_server import oversight_reply
from fakes.prompt_cache import PRICES, CachingAPI, tokens
from hypothesis import given
from hypothesis import strategies as st

from oversight.models import GenerateConfig, Message, ModelPool
from oversight.models.providers.anthropic import AnthropicProvider

ROOT = Path(__file__).resolve().parents[1]
STORY = (ROOT / "tasks" / "the_tide_clock.txt").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    for name in ("ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


# ---- Anthropic breakpoints: the story's end, whatever follows it ---------------------------------

def _anthropic_calls(conversations: list[list[Message]]) -> tuple[list[Any], CachingAPI]:
    async def go() -> list[Any]:
        api.bill.requests = 0
        pool = ModelPool(cache=None, provider_factory=lambda s: AnthropicProvider(s, http_client=api.client()))
        model = pool.get("anthropic:claude-sonnet-4-5")
        out = [(await model.generate(c, GenerateConfig(max_tokens=30))).completion.usage for c in conversations]
        await pool.aclose()
        return out

    api = CachingAPI(reply=oversight_reply)
    return asyncio.run(go()), api


@pytest.mark.parametrize("system", [None, "You take part in a reading study.\n\nBe careful."])
def test_instructions_in_several_messages_still_read_the_cached_story(system: str | None) -> None:
    """A template that keeps the story in its own opening message (no validate warning) but
    splits the instructions over two messages must still be billed cache reads for the story,
    never a fresh 1.25x write per call."""
    head = [Message(role="system", content=system)] if system else []
    conversations = [
        [*head, Message(role="user", content=f"Story: The Tide Clock\n\n{STORY}"),
         Message(role="user", content=f"You are {who}. This is round 1 of 2."),
         Message(role="assistant", content="Understood."),
         Message(role="user", content="Give your speech now.")]
        for who in ("Debater A", "Debater B", "the Consultant", "the judge")
    ]
    usages, api = _anthropic_calls(conversations)
    story = len(tokens(f"Story: The Tide Clock\n\n{STORY}"))
    assert all(u.cache_read_tokens >= story for u in usages[1:])
    assert api.bill.billed_input_fraction < 0.5
    assert sum(u.cost_usd for u in usages) == pytest.approx(api.bill.usd, rel=1e-9)
    for body in api.bodies:
        assert json.dumps(body).count("cache_control") <= 4
