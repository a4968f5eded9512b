"""OpenAIProvider through the Model wrapper, offline: httpx2.MockTransport stands in for the API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx2
import pytest
from tests.helpers.http_fakes import FakeAPI, model_over

from oversight.core.errors import ModelCallError, UserError
from oversight.models import GenerateConfig, Message, Model, ModelPool
from oversight.models.providers.openai import OpenAIProvider
from oversight.models.spec import parse_spec

KEY = "sk-proj-TESTKEY0123456789abcdef"
Handler = Callable[[httpx2.Request], httpx2.Response | Awaitable[httpx2.Response]]


def chat_body(text: str = "The answer is B.", *, logprobs: object = None) -> dict[str, object]:
    """A chat.completion as api.openai.com returns it."""
    return {
        "id": "chatcmpl-BxQ3kZ9tLr2mN8vYpWq1",
        "object": "chat.completion",
        "created": 1764000000,
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
                "logprobs": logprobs,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 21,
            "completion_tokens": 6,
            "total_tokens": 27,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_6f2eabb9a5",
    }


def error_body(message: str, type_: str, code: str | None = None) -> dict[str, object]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def make_model(tmp_path: Path, api: FakeAPI, spec: str = "openai:gpt-4.1-mini", cache: bool = True) -> Model:
    return model_over(OpenAIProvider, spec, api, tmp_path / "cache" if cache else None)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


async def test_request_shape_and_usage(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(200, json=chat_body()))
    model = make_model(tmp_path, api)
    messages = [Message(role="system", content="Be brief."), Message(role="user", content="A or B?")]
    out = await model.generate(messages, GenerateConfig(max_tokens=16))
    await model.aclose()

    request = api.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    body = api.body()
    assert body["model"] == "gpt-4.1-mini"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "A or B?"},
    ]
    assert body["max_tokens"] == 16
    for unset in ("temperature", "top_p", "stop", "seed", "logprobs", "top_logprobs"):
        assert unset not in body
    assert out.text == "The answer is B."
    assert out.completion.finish_reason == "stop"
    assert out.completion.logprobs is None
    assert (out.completion.usage.input_tokens, out.completion.usage.output_tokens) == (21, 6)
    assert out.completion.usage.cost_usd == pytest.approx((21 * 0.4 + 6 * 1.6) / 1e6)
    assert out.attempts == 1 and out.cached is False


async def test_sampling_options_sent_when_set(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(200, json=chat_body()))
    model = make_model(tmp_path, api)
    config = GenerateConfig(temperature=0.0, top_p=0.9, stop=["\n\n"], seed=7)
    await model.generate("Q?", config)
    await model.aclose()
    body = api.body()
    assert body["temperature"] == 0.0
    assert body["top_p"] == 0.9
    assert body["stop"] == ["\n\n"]
    assert body["seed"] == 7


async def test_logprobs_parsed(tmp_path: Path) -> None:
    logprobs = {
        "content": [
            {
                "token": " B",
                "logprob": -0.105,
                "bytes": [32, 66],
                "top_logprobs": [
                    {"token": " B", "logprob": -0.105, "bytes": [32, 66]},
                    {"token": " A", "logprob": -2.302, "bytes": [32, 65]},
                ],
            },
            {"token": ".", "logprob": -0.01, "bytes": [46], "top_logprobs": [{"token": ".", "logprob": -0.01, "bytes": [46]}]},
        ],
        "refusal": None,
    }
    api = FakeAPI(httpx2.Response(200, json=chat_body(" B.", logprobs=logprobs)))
    model = make_model(tmp_path, api)
    out = await model.generate("A or B?", GenerateConfig(logprobs=True, top_logprobs=2))
    await model.aclose()

    body = api.body()
    assert body["logprobs"] is True and body["top_logprobs"] == 2
    tokens = out.completion.logprobs
    assert tokens is not None and [t.token for t in tokens] == [" B", "."]
    assert tokens[0].logprob == pytest.approx(-0.105)
    assert [(t.token, t.logprob) for t in tokens[0].top] == [(" B", -0.105), (" A", -2.302)]


async def test_retries_429_honouring_retry_after(tmp_path: Path) -> None:
    limited = httpx2.Response(
        429,
        json=error_body("Rate limit reached for gpt-4.1-mini on tokens per min (TPM).", "tokens", "rate_limit_exceeded"),
        headers={"retry-after": "0.01"},
    )
    api = FakeAPI(limited, httpx2.Response(200, json=chat_body()))
    model = make_model(tmp_path, api)
    out = await model.generate("Q?")
    await model.aclose()
    assert len(api.requests) == 2
    assert out.attempts == 2
    assert out.text == "The answer is B."


async def test_gives_up_after_repeated_500s(tmp_path: Path) -> None:
    failing = httpx2.Response(
        500, json=error_body("The server had an error while processing your request.", "server_error")
    )
    api = FakeAPI(failing)
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?")
    await model.aclose()
    assert len(api.requests) == 3
    assert info.value.attempts == 3 and info.value.status == 500
    assert "500" in info.value.reason and "3 attempts" in info.value.reason
    assert "\n" not in info.value.reason


async def test_bad_request_is_not_retried(tmp_path: Path) -> None:
    bad = httpx2.Response(
        400,
        json=error_body(
            "Unsupported value: 'temperature' does not support 0.0 with this model.",
            "invalid_request_error",
            "unsupported_value",
        ),
    )
    api = FakeAPI(bad)
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?", GenerateConfig(temperature=0.0))
    await model.aclose()
    assert len(api.requests) == 1
    assert info.value.status == 400 and info.value.attempts == 1
    assert "400" in info.value.reason and "does not support" in info.value.reason


async def test_key_never_in_error(tmp_path: Path) -> None:
    # The server echoes the key back; the reason users see must not carry it.
    denied = httpx2.Response(
        401, json=error_body(f"Incorrect API key provided: {KEY}.", "invalid_request_error", "invalid_api_key")
    )
    api = FakeAPI(denied)
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?")
    await model.aclose()
    assert api.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert len(api.requests) == 1
    assert "401" in info.value.reason
    assert KEY not in info.value.reason and KEY not in str(info.value)


async def test_timeout_is_retried_then_fails(tmp_path: Path) -> None:
    async def slow(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(5)
        return httpx2.Response(200, json=chat_body())

    api = FakeAPI(slow)
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?", GenerateConfig(timeout_s=0.5))  # long enough to reach the server on a loaded machine
    await model.aclose()
    assert len(api.requests) == 3
    assert "timed out" in info.value.reason and "3 attempts" in info.value.reason


async def test_connection_error_is_retried(tmp_path: Path) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)

    api = FakeAPI(refuse, httpx2.Response(200, json=chat_body()))
    model = make_model(tmp_path, api)
    out = await model.generate("Q?")
    assert out.attempts == 2

    api.replies = [refuse]
    with pytest.raises(ModelCallError) as info:
        await model.generate("another question")
    await model.aclose()
    assert "connection error" in info.value.reason and "Connection refused" in info.value.reason


async def test_second_identical_call_is_cached(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(200, json=chat_body()))
    model = make_model(tmp_path, api)
    first = await model.generate("Q?", GenerateConfig(temperature=0.0))
    second = await model.generate("Q?", GenerateConfig(temperature=0.0, timeout_s=5))
    await model.aclose()
    assert len(api.requests) == 1
    assert first.cached is False and second.cached is True
    assert second.text == first.text
    assert second.completion.usage == first.completion.usage


async def test_missing_key_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    provider = OpenAIProvider(parse_spec("openai:gpt-4.1-mini"))
    with pytest.raises(UserError, match="OPENAI_API_KEY is not set") as info:
        provider.check_ready()
    assert "\n" not in str(info.value)
    with pytest.raises(UserError):
        ModelPool(cache=None).get("openai:gpt-4.1-mini")


async def test_compatible_server_needs_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    llama_cpp_reply = {
        "choices": [{"finish_reason": "length", "index": 0, "message": {"role": "assistant", "content": "Paris"}}],
        "created": 1764000000,
        "model": "qwen2.5-7b",
        "object": "chat.completion",
        "usage": {"completion_tokens": 1, "prompt_tokens": 9, "total_tokens": 10},
        "id": "chatcmpl-local",
    }
    api = FakeAPI(httpx2.Response(200, json=llama_cpp_reply))
    model = make_model(tmp_path, api, spec="openai:qwen2.5-7b@http://127.0.0.1:8000/v1")
    model.provider.check_ready()
    out = await model.generate("Capital of France?")
    await model.aclose()
    request = api.requests[0]
    assert str(request.url) == "http://127.0.0.1:8000/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer not-needed"
    assert out.text == "Paris" and out.completion.finish_reason == "length"
    assert out.completion.usage.cost_usd is None


async def test_openai_key_is_never_sent_to_a_third_party_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "vllm-token-123")
    reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    api = FakeAPI(httpx2.Response(200, json=reply))
    model = make_model(tmp_path, api, spec="openai:qwen2.5-7b@http://127.0.0.1:8000/v1")
    await model.generate("hi")
    await model.aclose()
    assert api.requests[0].headers["authorization"] == "Bearer vllm-token-123"
    assert KEY not in str(api.requests[0].headers)


async def test_pool_builds_provider_from_spec() -> None:
    pool = ModelPool(cache=None, max_connections=3)
    model = pool.get("openai:qwen2.5-7b@http://127.0.0.1:8000/v1")
    assert isinstance(model.provider, OpenAIProvider)
    assert pool.get("openai:qwen2.5-7b@http://127.0.0.1:8000/v1") is model
    await pool.aclose()


async def test_key_cut_by_shortening_leaves_no_prefix(tmp_path: Path) -> None:
    # The key sits where a 200-character cut would fall: redaction must come first.
    message = "x" * 185 + f" key {KEY} was rejected"
    api = FakeAPI(httpx2.Response(401, json=error_body(message, "invalid_request_error", "invalid_api_key")))
    model = make_model(tmp_path, api)
    with pytest.raises(ModelCallError) as info:
        await model.generate("Q?")
    await model.aclose()
    assert KEY[:9] not in info.value.reason and "***" in info.value.reason
