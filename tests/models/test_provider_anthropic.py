"""AnthropicProvider through the Model wrapper, offline: httpx2.MockTransport stands in for the API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx2
import pytest
from tests.helpers.http_fakes import FakeAPI, model_over

from oversight.core.errors import ModelCallError, UserError
from oversight.models import GenerateConfig, Message, Model, ModelPool
from oversight.models.providers.anthropic import AnthropicProvider
from oversight.models.spec import parse_spec

KEY = "sk-ant-api03-TESTKEY0123456789abcdef"
SPEC = "anthropic:claude-sonnet-4-6"
Handler = Callable[[httpx2.Request], httpx2.Response | Awaitable[httpx2.Response]]


def message_body(*texts: str, stop_reason: str = "end_turn") -> dict[str, object]:
    """A Message as api.anthropic.com returns it."""
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": t, "citations": None} for t in texts],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 25,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 8,
            "service_tier": "standard",
        },
    }


def error_body(type_: str, message: str) -> dict[str, object]:
    return {"type": "error", "error": {"type": type_, "message": message}, "request_id": "req_011CPx1"}


def make_model(tmp_path: Path, api: FakeAPI, spec: str = SPEC) -> Model:
    return model_over(AnthropicProvider, spec, api, tmp_path / "cache")


def auth_values(request: httpx2.Request) -> str:
    """Whichever header the SDK uses for the key (x-api-key or a bearer token)."""
    return request.headers.get("x-api-key", "") + request.headers.get("authorization", "")


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


async def test_request_shape_and_usage(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(200, json=message_body("The answer", " is B.")))
    model = make_model(tmp_path, api)
    messages = [
        Message(role="system", content="You are a debate judge."),
        Message(role="user", content="A or B?"),
        Message(role="assistant", content="Let me think."),
        Message(role="user", content="Answer now."),
    ]
    out = await model.generate(messages, GenerateConfig(max_tokens=64))
    await model.aclose()

    request = api.requests[0]
    assert request.method == "POST" and request.url.path == "/v1/messages"
    assert KEY in auth_values(request)
    assert "anthropic-version" in request.headers
    assert request.headers["content-type"] == "application/json"
    body = api.body()
    assert body["model"] == "claude-sonnet-4-6"
    # prompt_cache (on by default): breakpoints after the system prompt, the first message (the
    # shared opening) and the message before the last.
    assert body["system"] == [{"type": "text", "text": "You are a debate judge.", "cache_control": {"type": "ephemeral"}}]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "A or B?", "cache_control": {"type": "ephemeral"}}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me think.", "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "content": "Answer now."},
    ]
    assert body["max_tokens"] == 64
    for unset in ("temperature", "top_p", "stop_sequences"):
        assert unset not in body
    assert out.text == "The answer is B."
    assert out.completion.finish_reason == "end_turn"
    assert (out.completion.usage.input_tokens, out.completion.usage.output_tokens) == (25, 8)
    assert out.completion.usage.cost_usd == pytest.approx((25 * 3.0 + 8 * 15.0) / 1e6)


async def test_sampling_options_and_no_logprobs(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(200, json=message_body("B", stop_reason="stop_sequence")))
    model = make_model(tmp_path, api)
    config = GenerateConfig(temperature=0.0, top_p=0.9, stop=["\n\nHuman:"], logprobs=True, top_logprobs=2)
    out = await model.generate("A or B?", config)
    await model.aclose()
    body = api.body()
    assert "system" not in body
    assert body["temperature"] == 0.0 and body["top_p"] == 0.9
    assert body["stop_sequences"] == ["\n\nHuman:"]
    assert "logprobs" not in body and "top_logprobs" not in body
    assert out.completion.logprobs is None
    assert out.completion.finish_reason == "stop_sequence"


async def test_non_text_blocks_are_not_text(tmp_path: Path) -> None:
    body = message_body("Final answer: A")
    body["content"] = [
        {"type": "thinking", "thinking": "A seems right.", "signature": "EqQBCgIYAhIM"},
        *body["content"],  # type: ignore[misc]
    ]
    body["usage"] = {"input_tokens": 3, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 20, "output_tokens": 9}
    api = FakeAPI(httpx2.Response(200, json=body))
    model = make_model(tmp_path, api)
    out = await model.generate("Q?")
    await model.aclose()
    assert out.text == "Final answer: A"
    assert out.completion.usage.input_tokens == 123


async def test_retries_429_honouring_retry_after(tmp_path: Path) -> None:
    limited = httpx2.Response(
        429,
        json=error_body("rate_limit_error", "This request would exceed your organization's rate limit."),
        headers={"retry-after": "0.01"},
    )
    api = FakeAPI(limited, httpx2.Response(200, json=message_body("ok")))
    model = make_model(tmp_path, api)
    out = await model.generate("Q?")
    await model.aclose()
    assert len(api.requests) == 2 and out.attempts == 2 and out.text == "ok"


async def test_overloaded_529_is_retried(tmp_path: Path) -> None:
    overloaded = httpx2.Response(529, json=error_body("overloaded_error", "Overloaded"))
    api = FakeAPI(overloaded, overloaded, httpx2.Response(200, json=message_body("ok")))
    model = make_model(tmp_path, api)
    out = await model.generate("Q?")
    await model.aclose()
    assert len(api.requests) == 3 and out.attempts == 3


async def test_gives_up_after_repeated_500s(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(500, json=error_body("api_error", "Internal server error")))
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?")
    await model.aclose()
    assert len(api.requests) == 3
    assert info.value.attempts == 3 and info.value.status == 500
    assert "500" in info.value.reason and "3 attempts" in info.value.reason
    assert "Internal server error" in info.value.reason


async def test_bad_request_is_not_retried(tmp_path: Path) -> None:
    bad = httpx2.Response(
        400, json=error_body("invalid_request_error", "messages: at least one message is required")
    )
    api = FakeAPI(bad)
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate([Message(role="system", content="only a system prompt")])
    await model.aclose()
    assert len(api.requests) == 1
    assert info.value.status == 400 and info.value.attempts == 1
    assert "400" in info.value.reason and "at least one message" in info.value.reason


async def test_key_never_in_error(tmp_path: Path) -> None:
    denied = httpx2.Response(401, json=error_body("authentication_error", f"invalid x-api-key {KEY}"))
    api = FakeAPI(denied)
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?")
    await model.aclose()
    assert KEY in auth_values(api.requests[0])
    assert len(api.requests) == 1 and "401" in info.value.reason
    assert KEY not in info.value.reason and KEY not in str(info.value)


async def test_timeout_is_retried_then_fails(tmp_path: Path) -> None:
    async def slow(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(5)
        return httpx2.Response(200, json=message_body("late"))

    api = FakeAPI(slow)
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?", GenerateConfig(timeout_s=0.5))  # long enough to reach the server on a loaded machine
    await model.aclose()
    assert len(api.requests) == 3
    assert "timed out" in info.value.reason and "3 attempts" in info.value.reason


async def test_connection_error_is_retried(tmp_path: Path) -> None:
    def drop(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    api = FakeAPI(drop, httpx2.Response(200, json=message_body("ok")))
    model = make_model(tmp_path, api)
    out = await model.generate("Q?")
    await model.aclose()
    assert len(api.requests) == 2 and out.attempts == 2


async def test_second_identical_call_is_cached(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(200, json=message_body("cached answer")))
    model = make_model(tmp_path, api)
    first = await model.generate("Q?")
    second = await model.generate("Q?")
    await model.aclose()
    assert len(api.requests) == 1
    assert first.cached is False and second.cached is True
    assert second.text == "cached answer"


async def test_missing_key_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    provider = AnthropicProvider(parse_spec(SPEC))
    with pytest.raises(UserError, match="ANTHROPIC_API_KEY is not set") as info:
        provider.check_ready()
    assert "\n" not in str(info.value)
    with pytest.raises(UserError):
        ModelPool(cache=None).get(SPEC)


async def test_pool_builds_provider_from_spec() -> None:
    pool = ModelPool(cache=None)
    model = pool.get(SPEC)
    assert isinstance(model.provider, AnthropicProvider)
    await pool.aclose()
