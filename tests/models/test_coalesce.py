"""Identical requests in flight at once make one call when the cache is on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from oversight.core.errors import ModelCallError
from oversight.models import GenerateConfig, ModelPool, ResponseCache, RetryPolicy
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.models.types import Completion, Message


def counting_provider(reply, delay: float = 0.01):  # type: ignore[no-untyped-def]
    """A provider class counting the calls that reach it, each taking `delay` seconds."""
    state = {"calls": 0}

    class Counting(scripted.ScriptedProvider):
        async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
            state["calls"] += 1
            await asyncio.sleep(delay)
            return Completion(text=reply(messages))

    return Counting, state


async def test_identical_requests_in_flight_make_one_call(tmp_path: Path) -> None:
    Counting, state = counting_provider(lambda messages: f"answer to {messages[-1].content}", delay=0.05)
    pool = ModelPool(cache=ResponseCache(tmp_path), provider_factory=Counting)
    model = pool.get("scripted:s")
    config = GenerateConfig(temperature=0.0)
    outs = await asyncio.gather(
        model.generate("Which answer?", config), model.generate("Which answer?", config),
        model.generate("Another question", config),
    )
    assert state["calls"] == 2  # not 3
    first, second, other = outs
    assert first.text == second.text == "answer to Which answer?" and other.text == "answer to Another question"
    assert (first.cached, first.coalesced) == (False, False)
    assert (second.cached, second.coalesced) == (True, True)  # spent nothing more: callers count it free
    assert second.completion.usage == first.completion.usage
    assert pool.endpoint_usage()["scripted"]["calls"] == 2


async def test_without_the_cache_identical_requests_are_separate_calls() -> None:
    Counting, state = counting_provider(lambda messages: "sample", delay=0.02)
    model = ModelPool(cache=None, provider_factory=Counting).get("scripted:s")
    outs = await asyncio.gather(*(model.generate("same", GenerateConfig(temperature=1.0)) for _ in range(3)))
    assert state["calls"] == 3 and not any(o.cached or o.coalesced for o in outs)


async def test_a_failed_call_fails_its_followers_once(tmp_path: Path) -> None:
    async def slow_refusal(messages):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.03)
        return ProviderError("HTTP 400: context too long", retryable=False, status=400)

    class Refusing(scripted.ScriptedProvider):
        calls = 0

        async def generate(self, messages, config):  # type: ignore[no-untyped-def]
            Refusing.calls += 1
            raise await slow_refusal(messages)

    model = ModelPool(cache=ResponseCache(tmp_path), provider_factory=Refusing).get("scripted:s")
    results = await asyncio.gather(model.generate("q"), model.generate("q"), return_exceptions=True)
    assert Refusing.calls == 1
    assert all(isinstance(r, ModelCallError) and "HTTP 400: context too long" in r.reason for r in results)


async def test_a_cancelled_leader_hands_the_call_to_its_follower(tmp_path: Path) -> None:
    Counting, state = counting_provider(lambda messages: "done", delay=0.05)
    model = ModelPool(cache=ResponseCache(tmp_path), provider_factory=Counting,
                      retry=RetryPolicy(max_attempts=1)).get("scripted:s")
    leader = asyncio.create_task(model.generate("q"))
    await asyncio.sleep(0.01)
    follower = asyncio.create_task(model.generate("q"))
    await asyncio.sleep(0.01)
    leader.cancel()
    out = await follower
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert out.text == "done" and not out.coalesced and state["calls"] == 2
    again = await model.generate("q")
    assert again.cached and state["calls"] == 2
