"""A 200 whose body is not a response (a proxy's HTML page, a cut-off body, wrong types) is the
server's fault: retried like a 5xx, then one line naming the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from tests.helpers.http_fakes import FakeAPI, model_over
from tests.models.test_provider_anthropic import message_body
from tests.models.test_provider_openai import chat_body

from oversight.core.errors import ModelCallError
from oversight.models import GenerateConfig, ModelPool, RetryPolicy
from oversight.models.providers import local
from oversight.models.providers.anthropic import AnthropicProvider
from oversight.models.providers.openai import OpenAIProvider
from tests.helpers.llama_fake import deliver

PROXY_PAGE = httpx2.Response(
    200, text="<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
    headers={"content-type": "text/html"},
)


def truncated(body: dict[str, Any]) -> httpx2.Response:
    text = json.dumps(body)
    return httpx2.Response(200, content=text[: len(text) // 2].encode(), headers={"content-type": "application/json"})


def openai_bad_usage() -> httpx2.Response:
    body = chat_body()
    body["usage"] = {"prompt_tokens": "x", "completion_tokens": 6, "total_tokens": 27}
    return httpx2.Response(200, json=body)


def anthropic_bad_usage() -> httpx2.Response:
    body = message_body("B")
    body["usage"] = {"input_tokens": "x", "output_tokens": 8}
    return httpx2.Response(200, json=body)


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-TESTKEY0123456789abcdef")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-TESTKEY0123456789abcdef")
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


CASES = {
    "openai": (OpenAIProvider, "openai:gpt-4.1-mini", lambda: httpx2.Response(200, json=chat_body()),
               lambda: truncated(chat_body()), openai_bad_usage, "The answer is B."),
    "anthropic": (AnthropicProvider, "anthropic:claude-sonnet-4-6", lambda: httpx2.Response(200, json=message_body("B")),
                  lambda: truncated(message_body("B")), anthropic_bad_usage, "B"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("bad", ["html", "truncated", "usage"])
async def test_a_malformed_200_is_retried(tmp_path: Path, kind: str, bad: str) -> None:
    provider, spec, good, cut, bad_usage, text = CASES[kind]
    reply = {"html": PROXY_PAGE, "truncated": cut(), "usage": bad_usage()}[bad]
    api = FakeAPI(reply, good())
    model = model_over(provider, spec, api, tmp_path / "cache")
    out = await model.generate("A or B?")
    await model.aclose()
    assert len(api.requests) == 2 and out.attempts == 2 and out.text == text
    assert out.completion.usage.input_tokens > 0


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("bad", ["html", "truncated", "usage"])
async def test_malformed_every_time_is_one_line_naming_the_model(tmp_path: Path, kind: str, bad: str) -> None:
    provider, spec, _good, cut, bad_usage, _text = CASES[kind]
    reply = {"html": PROXY_PAGE, "truncated": cut(), "usage": bad_usage()}[bad]
    api = FakeAPI(reply)
    model = model_over(provider, spec, api, tmp_path / "cache")
    with pytest.raises(ModelCallError) as info:
        await model.generate("A or B?")
    await model.aclose()
    reason = info.value.reason
    assert len(api.requests) == 3 and info.value.attempts == 3
    assert reason.startswith(f"{spec}: malformed response") and reason.endswith("after 3 attempts")
    assert "\n" not in reason and len(reason) < 300
    assert not list((tmp_path / "cache").rglob("*.json"))  # nothing malformed was cached


class FlakyLlama:
    """An xllamacpp.Server stand-in whose first answers are broken."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.calls = 0

    def handle_completions(self, body: dict[str, Any], callback: Any = None) -> Any:
        self.calls += 1
        return deliver(self.answers[min(self.calls, len(self.answers)) - 1], callback)


GOOD_LLAMA = {"choices": [{"text": " Paris", "finish_reason": "stop"}], "usage": {"prompt_tokens": 7, "completion_tokens": 1}}


@pytest.mark.parametrize("broken", [
    {"choices": []},
    {"choices": [{"text": " Paris"}], "usage": {"prompt_tokens": "x", "completion_tokens": 1}},
    "<html>502</html>",
])
async def test_local_server_malformed_answer_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: Any) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    server = FlakyLlama([broken, GOOD_LLAMA])
    monkeypatch.setattr(local, "load_server", lambda path: (server, False))
    pool = ModelPool(cache=None, retry=RetryPolicy(max_attempts=2, base_delay_s=0.0))
    model = pool.get(f"local:{gguf}")
    out = await model.generate("Capital of France?", GenerateConfig(max_tokens=2))
    assert out.text == " Paris" and out.attempts == 2 and server.calls == 2

    server.answers = [broken]
    with pytest.raises(ModelCallError, match=rf"^local:{gguf}: malformed response.* after 2 attempts$"):
        await model.generate("Capital of Italy?", GenerateConfig(max_tokens=2))
