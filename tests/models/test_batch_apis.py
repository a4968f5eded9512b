"""Batch APIs through the real SDKs against tests/helpers/fake_batch.py: submit, poll, collect, fall back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx2
import pytest

from tests.helpers.fake_batch import FakeBatchService
from oversight.core.errors import UserError
from oversight.models import GenerateConfig, ModelPool, ResponseCache, RetryPolicy
from oversight.models.batch import BatchJournal, BatchOptions, BatchRuntime
from oversight.models.pricing import with_cost
from oversight.models.providers.anthropic import AnthropicProvider
from oversight.models.providers.openai import OpenAIProvider
from oversight.models.spec import parse_spec

FAST = BatchOptions(window_s=0.01, poll_s=0.001, poll_max_s=0.004)
QUESTIONS = [f"Which answer does passage {i} support, A or B?" for i in range(5)]


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")


def pool_over(fake: FakeBatchService, tmp_path: Path, options: BatchOptions = FAST) -> ModelPool:
    """A pool whose providers talk to `fake`, journaling to tmp_path/batches.jsonl."""

    def provider(spec):  # type: ignore[no-untyped-def]
        cls = OpenAIProvider if spec.provider == "openai" else AnthropicProvider
        return cls(spec, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(fake)))

    return ModelPool(
        cache=ResponseCache(tmp_path / "cache"), provider_factory=provider,
        retry=RetryPolicy(max_attempts=2, base_delay_s=0.0, max_delay_s=0.0),
        batching=BatchRuntime(options, BatchJournal(tmp_path / "batches.jsonl")),
    )


def journal(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "batches.jsonl").read_text().splitlines()]


async def ask_all(pool: ModelPool, spec: str, questions: list[str]) -> list:
    model = pool.get(spec, batch=True)
    try:
        return await asyncio.gather(*(model.generate(q, GenerateConfig(max_tokens=50)) for q in questions))
    finally:
        await pool.aclose()


@pytest.mark.parametrize("spec", ["openai:gpt-4.1-mini", "anthropic:claude-sonnet-4-5"])
async def test_concurrent_calls_go_out_as_one_batch_at_half_price(tmp_path: Path, spec: str) -> None:
    fake = FakeBatchService(polls_to_end=3)
    outs = await ask_all(pool_over(fake, tmp_path), spec, QUESTIONS)
    assert len(fake.created) == 1 and fake.normal_calls == []
    # Each caller got the answer to its own question, whatever order the results came in.
    assert [o.text for o in outs] == [f"reply to: {q[-40:]}" for q in QUESTIONS]
    assert all(o.batched and not o.cached for o in outs)
    for out in outs:
        list_price = with_cost(parse_spec(spec), out.completion.usage).cost_usd
        assert out.completion.usage.cost_usd == pytest.approx(list_price / 2) and list_price > 0
    # What went in the batch is what a normal call sends, minus the client-side timeout.
    body = fake.batched_requests()[0]
    assert body["max_tokens"] == 50 and "timeout" not in body and body["model"] == spec.split(":")[1]
    lines = journal(tmp_path)
    assert [line["event"] for line in lines] == ["submitted", "collected"]
    assert lines[0]["id"] == fake.created[0] and len(lines[0]["requests"]) == 5
    assert lines[1] == {**lines[1], "succeeded": 5, "failed": 0}


async def test_results_fill_the_cache_so_asking_again_costs_nothing(tmp_path: Path) -> None:
    fake = FakeBatchService()
    await ask_all(pool_over(fake, tmp_path), "openai:gpt-4.1-mini", QUESTIONS[:2])
    again = await ask_all(pool_over(fake, tmp_path), "openai:gpt-4.1-mini", QUESTIONS[:2])
    assert all(o.cached for o in again) and len(fake.created) == 1 and fake.normal_calls == []


async def test_batch_is_journaled_before_it_is_polled(tmp_path: Path) -> None:
    fake = FakeBatchService()
    seen_at_first_poll: list[list[dict]] = []
    retrieve = fake._openai_retrieve

    def spy(request, batch_id):  # type: ignore[no-untyped-def]
        if not seen_at_first_poll:
            seen_at_first_poll.append(journal(tmp_path))
        return retrieve(request, batch_id)

    fake._openai_retrieve = spy  # type: ignore[method-assign]
    await ask_all(pool_over(fake, tmp_path), "openai:gpt-4.1-mini", QUESTIONS[:3])
    assert [line["id"] for line in seen_at_first_poll[0]] == fake.created


@pytest.mark.parametrize("spec", ["openai:gpt-4.1-mini", "anthropic:claude-sonnet-4-5"])
async def test_errored_items_are_made_again_as_normal_calls(tmp_path: Path, spec: str) -> None:
    fake = FakeBatchService(item_fate=lambda cid, body: "errored" if "passage 2" in str(body) else "succeeded")
    outs = await ask_all(pool_over(fake, tmp_path), spec, QUESTIONS)
    assert [o.text for o in outs] == [f"reply to: {q[-40:]}" for q in QUESTIONS]
    assert [o.batched for o in outs] == [True, True, False, True, True]
    assert len(fake.normal_calls) == 1 and "passage 2" in str(fake.normal_calls[0])
    # The normal call is paid at list price.
    usage = outs[2].completion.usage
    assert usage.cost_usd == pytest.approx(with_cost(parse_spec(spec), usage).cost_usd)
    assert journal(tmp_path)[-1]["failed"] == 1


@pytest.mark.parametrize("spec", ["openai:gpt-4.1-mini", "anthropic:claude-sonnet-4-5"])
async def test_an_expired_batch_returns_what_it_did_and_the_rest_are_normal_calls(tmp_path: Path, spec: str) -> None:
    fake = FakeBatchService()
    fake.expire_next = True
    outs = await ask_all(pool_over(fake, tmp_path), spec, QUESTIONS[:3])
    assert [o.text for o in outs] == [f"reply to: {q[-40:]}" for q in QUESTIONS[:3]]
    assert sum(o.batched for o in outs) == 1 and len(fake.normal_calls) == 2


async def test_a_batch_cancelled_in_the_console_falls_back_to_normal_calls(tmp_path: Path) -> None:
    fake = FakeBatchService(polls_to_end=1000)
    pool = pool_over(fake, tmp_path)
    model = pool.get("anthropic:claude-sonnet-4-5", batch=True)

    async def cancel_soon() -> None:
        while not fake.created or fake.retrieves < 3:
            await asyncio.sleep(0.001)
        fake.cancel(fake.created[0])

    outs, _ = await asyncio.gather(
        asyncio.gather(*(model.generate(q) for q in QUESTIONS[:2])), cancel_soon()
    )
    await pool.aclose()
    assert not any(o.batched for o in outs) and len(fake.normal_calls) == 2


async def test_a_batch_that_cannot_be_created_falls_back_to_normal_calls(tmp_path: Path) -> None:
    fake = FakeBatchService()
    original = fake.__call__

    def no_batches(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/v1/batches":
            return httpx2.Response(400, json={"error": {"message": "batch quota exceeded"}})
        return original(request)

    pool = pool_over(no_batches, tmp_path)  # type: ignore[arg-type]
    outs = await ask_all(pool, "openai:gpt-4.1-mini", QUESTIONS[:2])
    assert [o.text for o in outs] == [f"reply to: {q[-40:]}" for q in QUESTIONS[:2]]
    assert len(fake.normal_calls) == 2 and not (tmp_path / "batches.jsonl").exists()


async def test_max_requests_splits_calls_into_batches(tmp_path: Path) -> None:
    fake = FakeBatchService()
    pool = pool_over(fake, tmp_path, FAST.model_copy(update={"max_requests": 2, "window_s": 5.0}))
    outs = await ask_all(pool, "openai:gpt-4.1-mini", QUESTIONS[:4])
    assert len(fake.created) == 2 and all(o.batched for o in outs)


async def test_resume_collects_a_pending_batch_instead_of_paying_again(tmp_path: Path) -> None:
    fake = FakeBatchService(polls_to_end=1000)
    pool = pool_over(fake, tmp_path)
    task = asyncio.ensure_future(ask_all(pool, "openai:gpt-4.1-mini", QUESTIONS[:3]))
    while not fake.retrieves:  # submitted and journaled: now the process "crashes"
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [line["event"] for line in journal(tmp_path)] == ["submitted"]
    fake.polls_to_end = 0  # meanwhile the provider finished the batch

    resumed = pool_over(fake, tmp_path)
    assert resumed.batching is not None and resumed.recover_batches() == 1
    outs = await ask_all(resumed, "openai:gpt-4.1-mini", QUESTIONS[:3])
    assert [o.text for o in outs] == [f"reply to: {q[-40:]}" for q in QUESTIONS[:3]]
    assert len(fake.created) == 1 and fake.normal_calls == []  # nothing submitted or paid twice
    assert all(o.cached for o in outs)  # paid by the first session, free in this one
    assert [line["event"] for line in journal(tmp_path)] == ["submitted", "collected"]
    # The results are in the cache for the next reader too.
    cache = ResponseCache(tmp_path / "cache")
    from oversight.models.cache import cache_key

    key = cache_key(parse_spec("openai:gpt-4.1-mini"), [_msg(QUESTIONS[0])], GenerateConfig(max_tokens=50))
    assert cache.get(key) is not None


def _msg(text: str):  # type: ignore[no-untyped-def]
    from oversight.models import Message

    return Message(role="user", content=text)


async def test_a_recovered_batch_item_that_expired_is_made_normally(tmp_path: Path) -> None:
    fake = FakeBatchService(polls_to_end=1000)
    pool = pool_over(fake, tmp_path)
    task = asyncio.ensure_future(ask_all(pool, "anthropic:claude-sonnet-4-5", QUESTIONS[:2]))
    while not fake.retrieves:
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    fake.batches[fake.created[0]].state = "expiring"  # first request done, the other expires
    fake.polls_to_end = 0
    resumed = pool_over(fake, tmp_path)
    assert resumed.batching is not None
    resumed.recover_batches()
    outs = await ask_all(resumed, "anthropic:claude-sonnet-4-5", QUESTIONS[:2])
    assert [o.text for o in outs] == [f"reply to: {q[-40:]}" for q in QUESTIONS[:2]]
    # The expired one was asked again (in a new batch, as its role still batches), never lost.
    assert len(fake.created) == 2 and fake.batches[fake.created[1]].requests[0][1]["messages"][0]["content"] == QUESTIONS[1]


@pytest.mark.parametrize("spec", ["local:gemma-3-270m", "openai:qwen@http://127.0.0.1:9/v1", "scripted:echo"])
def test_a_model_without_a_batch_api_cannot_batch(spec: str) -> None:
    with pytest.raises(UserError, match="has no Batch API"):
        ModelPool(cache=None).get(spec, batch=True)
