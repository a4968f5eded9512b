"""A fleet of OpenAI-compatible servers behind one spec: least in-flight routing, resting a
failing server, and usage per server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx2
import pytest
from tests.helpers.http_fakes import FakeAPI, LoopbackServer, closed_port_url
from tests.models.test_provider_openai import chat_body

from oversight.core.errors import ModelCallError, UserError
from oversight.models import Cooldown, GenerateConfig, ModelPool, ResponseCache, RetryPolicy, parse_spec
from oversight.models.providers.openai import OpenAIProvider
from oversight.models.spec import ModelSpec

A, B = "http://10.0.0.1:8001/v1", "http://10.0.0.2:8002/v1"  # never contacted: MockTransport answers
FLEET = f"openai:qwen@{A},{B}"
PATIENT = RetryPolicy(max_attempts=4, base_delay_s=30.0, max_delay_s=30.0)  # a backoff sleep would show


def refuse(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)


async def answer_slowly(request: httpx2.Request) -> httpx2.Response:
    await asyncio.sleep(0.02)
    return httpx2.Response(200, json=chat_body("ok"))


def fleet_pool(apis: dict[str, FakeAPI], **kwargs: object) -> ModelPool:
    def provider(spec: ModelSpec) -> OpenAIProvider:
        transport = httpx2.MockTransport(apis[spec.base_url])  # type: ignore[index]
        return OpenAIProvider(spec, http_client=httpx2.AsyncClient(transport=transport))

    return ModelPool(provider_factory=provider, **kwargs)  # type: ignore[arg-type]


def test_fleet_spec_syntax_and_identity() -> None:
    spec = parse_spec(f"openai:qwen@{A}, {B}")
    assert spec.base_urls == (A, B) and str(spec) == f"openai:qwen@{A},{B}"
    assert spec.cache_id == parse_spec(f"openai:qwen@{B},{A}").cache_id  # order does not matter
    assert [spec.endpoint(i).base_url for i in (0, 1)] == [A, B]
    with pytest.raises(UserError, match="listed twice"):
        parse_spec(f"openai:qwen@{A},{A}")
    with pytest.raises(UserError, match="empty base URL"):
        parse_spec(f"openai:qwen@{A},")


async def test_calls_spread_by_least_in_flight() -> None:
    apis = {A: FakeAPI(answer_slowly), B: FakeAPI(answer_slowly)}
    pool = fleet_pool(apis, cache=None)
    model = pool.get(FLEET)
    await asyncio.gather(*(model.generate(f"q{i}") for i in range(10)))
    await pool.aclose()
    assert len(apis[A].requests) == 5 and len(apis[B].requests) == 5
    usage = pool.endpoint_usage()
    assert usage[A]["calls"] == 5 and usage[B]["calls"] == 5
    assert usage[A]["input_tokens"] == 5 * 21 and usage[B]["output_tokens"] == 5 * 6


async def test_a_down_server_is_rested_and_retries_go_to_the_other_at_once() -> None:
    apis = {A: FakeAPI(refuse), B: FakeAPI(answer_slowly)}
    pool = fleet_pool(apis, cache=None, retry=PATIENT, cooldown=Cooldown(base_s=60.0))
    model = pool.get(FLEET)
    start = time.monotonic()
    outs = await asyncio.gather(*(model.generate(f"q{i}") for i in range(6)))
    later = await model.generate("one more")
    await pool.aclose()
    assert time.monotonic() - start < 5.0  # no 30 s backoff: the retry went straight to B
    assert all(o.text == "ok" for o in [*outs, later])
    usage = pool.endpoint_usage()
    # Calls already sent to A when it failed fail there too; once rested, A gets nothing.
    assert usage[A]["calls"] == 0 and usage[A]["failures"] == len(apis[A].requests) <= 3
    assert usage[B]["calls"] == 7 and usage[B]["failures"] == 0
    assert sum(o.attempts for o in outs) == 6 + usage[A]["failures"] and later.attempts == 1


async def test_a_rested_server_is_tried_again_and_rejoins_when_it_answers() -> None:
    apis = {A: FakeAPI(refuse), B: FakeAPI(answer_slowly)}
    pool = fleet_pool(apis, cache=None, retry=PATIENT, cooldown=Cooldown(base_s=0.05, max_s=1.0))
    model = pool.get(FLEET)
    await model.generate("first")  # A refuses (sent there first: equal load), B answers
    assert len(apis[A].requests) == 1
    await asyncio.sleep(0.06)
    apis[A].replies = [answer_slowly]  # A is back
    await asyncio.gather(*(model.generate(f"q{i}") for i in range(4)))
    await pool.aclose()
    usage = pool.endpoint_usage()
    assert usage[A]["calls"] >= 1 and usage[A]["failures"] == 1


async def test_every_server_down_is_one_line_naming_the_last_one() -> None:
    apis = {A: FakeAPI(refuse), B: FakeAPI(refuse)}
    pool = fleet_pool(apis, cache=None, retry=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.01),
                      cooldown=Cooldown(base_s=0.01, max_s=0.01))
    model = pool.get(FLEET)
    with pytest.raises(ModelCallError) as info:
        await model.generate("q")
    await pool.aclose()
    reason = info.value.reason
    assert reason.startswith(f"{FLEET}: connection error") and reason.endswith("after 3 attempts")
    assert "(last at http://10.0.0." in reason and "\n" not in reason
    assert len(apis[A].requests) + len(apis[B].requests) == 3 and len(apis[A].requests) >= 1 <= len(apis[B].requests)


async def test_fleets_listed_in_another_order_share_cache_and_coalesce(tmp_path: Path) -> None:
    apis = {A: FakeAPI(answer_slowly), B: FakeAPI(answer_slowly)}
    pool = fleet_pool(apis, cache=ResponseCache(tmp_path))
    one, other = pool.get(FLEET), pool.get(f"openai:qwen@{B},{A}")
    config = GenerateConfig(temperature=0.0)
    first, second = await asyncio.gather(one.generate("q", config), other.generate("q", config))
    third = await other.generate("q", config)
    await pool.aclose()
    assert len(apis[A].requests) + len(apis[B].requests) == 1
    assert second.coalesced and third.cached and first.text == second.text == third.text


async def test_real_sockets_one_server_up_one_port_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    server = LoopbackServer(chat_body("from the live server"))
    up = await server.start()
    down = closed_port_url()
    pool = ModelPool(cache=None, retry=PATIENT, cooldown=Cooldown(base_s=60.0))
    try:
        model = pool.get(f"openai:qwen@{down},{up}")
        outs = await asyncio.gather(*(model.generate(f"q{i}", GenerateConfig(timeout_s=10)) for i in range(4)))
    finally:
        await pool.aclose()
        await server.stop()
    assert all(o.text == "from the live server" for o in outs)
    usage = pool.endpoint_usage()
    assert usage[up]["calls"] == 4 == server.requests
    assert usage[down]["calls"] == 0 and usage[down]["failures"] >= 1
