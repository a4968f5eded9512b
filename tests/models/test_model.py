"""The wrapper every provider shares: specs, retries, concurrency, cache keys, usage and cost."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from tests.helpers.inflight import inflight_provider

from oversight.core.errors import ModelCallError, UserError
from oversight.models import (
    GenerateConfig,
    Message,
    ModelPool,
    ResponseCache,
    RetryPolicy,
    parse_spec,
)
from oversight.models.cache import cache_key
from oversight.models.pricing import with_cost
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.models.types import Completion, Usage

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.0, max_delay_s=0.0)


def test_spec_strings() -> None:
    spec = parse_spec("openai:qwen2.5-7b@http://127.0.0.1:8000/v1")
    assert (spec.provider, spec.model, spec.base_url) == ("openai", "qwen2.5-7b", "http://127.0.0.1:8000/v1")
    assert parse_spec("local:/models/x.gguf").model == "/models/x.gguf"
    assert str(parse_spec("anthropic:claude-sonnet-4-5")) == "anthropic:claude-sonnet-4-5"
    with pytest.raises(UserError, match="unknown provider 'antropic'"):
        parse_spec("antropic:claude")
    with pytest.raises(UserError, match="malformed model spec"):
        parse_spec("gpt-4")
    with pytest.raises(UserError, match="empty"):
        parse_spec("openai:")
    with pytest.raises(UserError, match="malformed base URL"):
        parse_spec("openai:m@localhost:8000")


async def test_retry_after_is_honoured_then_success(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def record(delay: float) -> None:
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", record)
    scripted.register("s", [ProviderError("HTTP 429", retryable=True, status=429, retry_after=7.5), "fine"])
    model = ModelPool(retry=RetryPolicy(max_attempts=3, base_delay_s=1.0, max_delay_s=30.0)).get("scripted:s")
    out = await model.generate("hi")
    assert out.text == "fine" and out.attempts == 2 and waits == [7.5]


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0)
    rng = random.Random(0)
    delays = [policy.delay(attempt, None, rng) for attempt in (1, 2, 3, 4, 5)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and 2.0 <= delays[2] <= 4.0
    assert all(d <= 5.0 for d in delays)
    assert policy.delay(1, 120.0, rng) == 5.0  # a huge Retry-After is capped too


async def test_gives_up_after_max_attempts_with_the_reason() -> None:
    scripted.register("s", [ProviderError("HTTP 500: boom", retryable=True, status=500)])
    model = ModelPool(retry=FAST).get("scripted:s")
    with pytest.raises(ModelCallError, match=r"scripted:s: HTTP 500: boom after 4 attempts") as info:
        await model.generate("hi")
    assert info.value.attempts == 4 and info.value.status == 500
    assert len(scripted.CALLS["s"]) == 4


async def test_non_retryable_error_fails_at_once() -> None:
    scripted.register("s", [ProviderError("HTTP 400: bad request", retryable=False, status=400), "never"])
    model = ModelPool(retry=FAST).get("scripted:s")
    with pytest.raises(ModelCallError, match="HTTP 400"):
        await model.generate("hi")
    assert len(scripted.CALLS["s"]) == 1


async def test_timeout_is_retried_then_reported() -> None:
    class Slow(scripted.ScriptedProvider):
        async def generate(self, messages, config):  # type: ignore[no-untyped-def]
            await asyncio.sleep(1.0)
            return Completion(text="late")

    pool = ModelPool(retry=RetryPolicy(max_attempts=2, base_delay_s=0.0), provider_factory=Slow)
    model = pool.get("scripted:echo")
    with pytest.raises(ModelCallError, match="timed out after 0.05s after 2 attempts"):
        await model.generate("hi", GenerateConfig(timeout_s=0.05))


async def test_a_model_computed_here_is_not_timed_out_nor_started_twice() -> None:
    """The embedded model's call goes on in its thread whatever the wait does: a timeout and a
    retry would only put a second computation beside it on a loaded machine."""
    started = []

    class Embedded(scripted.ScriptedProvider):
        computes_here = True

        async def generate(self, messages, config):  # type: ignore[no-untyped-def]
            started.append(1)
            await asyncio.sleep(0.3)
            return Completion(text="finished late")

    pool = ModelPool(retry=RetryPolicy(max_attempts=3, base_delay_s=0.0), provider_factory=Embedded)
    out = await pool.get("scripted:echo").generate("hi", GenerateConfig(timeout_s=0.05))
    assert out.text == "finished late" and len(started) == 1


async def test_concurrency_is_limited_per_provider() -> None:
    Counting, state = inflight_provider(lambda messages: "ok")
    pool = ModelPool(max_connections=3, provider_factory=Counting)
    a, b = pool.get("scripted:a"), pool.get("scripted:b")  # same provider: one shared limit
    await asyncio.gather(*(m.generate(f"x{i}") for i in range(10) for m in (a, b)))
    assert state["peak"] == 3


async def test_cache_hit_costs_no_call_and_key_ignores_timeout(tmp_path: Path) -> None:
    scripted.register("s", ["first", "second"])
    model = ModelPool(cache=ResponseCache(tmp_path)).get("scripted:s")
    one = await model.generate("hi", GenerateConfig(timeout_s=5))
    two = await model.generate("hi", GenerateConfig(timeout_s=99))
    assert (one.text, one.cached) == ("first", False) and (two.text, two.cached) == ("first", True)
    three = await model.generate("hi", GenerateConfig(temperature=0.7))
    assert three.text == "second" and not three.cached
    assert len(scripted.CALLS["s"]) == 2


def test_cache_key_depends_on_meaning_only() -> None:
    spec = parse_spec("openai:gpt-4.1-mini")
    msgs = [Message(role="user", content="hi")]
    base = cache_key(spec, msgs, GenerateConfig())
    assert base == cache_key(spec, msgs, GenerateConfig(timeout_s=3))
    assert base != cache_key(spec, msgs, GenerateConfig(seed=1))
    assert base != cache_key(parse_spec("openai:gpt-4.1"), msgs, GenerateConfig())
    assert base != cache_key(spec, [Message(role="system", content="hi")], GenerateConfig())


def test_cost_only_for_known_prices() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000)
    assert with_cost(parse_spec("openai:gpt-4.1-mini"), usage).cost_usd == pytest.approx(0.4 + 0.16)
    # Sonnet 4.5 lists 3/15 per million up to 200k prompt tokens per call, 6/22.5 above.
    short = Usage(input_tokens=100_000, output_tokens=10_000)
    assert with_cost(parse_spec("anthropic:claude-sonnet-4-5"), short).cost_usd == pytest.approx(0.3 + 0.15)
    assert with_cost(parse_spec("anthropic:claude-sonnet-4-5"), usage).cost_usd == pytest.approx(6.0 + 2.25)
    assert with_cost(parse_spec("openai:qwen@http://127.0.0.1:1/v1"), usage).cost_usd is None
    assert with_cost(parse_spec("openai:some-new-model"), usage).cost_usd is None
    assert (Usage(cost_usd=None) + Usage(cost_usd=None)).cost_usd is None


async def test_each_output_carries_its_calls_usage() -> None:
    # Callers (the Recorder) sum usage per role from the outputs; the pool sums it per server.
    scripted.register("s", lambda messages: "two words")
    pool = ModelPool()
    model = pool.get("scripted:s")
    outs = [await model.generate("a b c", role="critic"), await model.generate("a", role="judge")]
    assert [(o.completion.usage.input_tokens, o.completion.usage.output_tokens) for o in outs] == [(3, 2), (1, 2)]
    assert pool.endpoint_usage() == {
        "scripted": {"calls": 2, "failures": 0, "input_tokens": 4, "output_tokens": 4, "cost_usd": None}
    }
