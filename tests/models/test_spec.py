"""Spec strings: credentials inside a base URL connect but are never shown; bad URLs are one line."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from tests.helpers.http_fakes import FakeAPI, model_over
from tests.models.test_provider_openai import chat_body

from oversight.core.errors import ModelCallError, UserError
from oversight.models import GenerateConfig, Message, ModelPool, parse_spec, redact_url
from oversight.models.cache import cache_key
from oversight.models.providers.openai import OpenAIProvider

SECRET = "sk-live-5f3e9a7c1b2d4e6f8a0b"
SPEC = f"openai:qwen2.5-7b@http://research:{SECRET}@gpu-node-3.lab:8000/v1"


def test_credentials_in_a_base_url_are_never_shown() -> None:
    spec = parse_spec(SPEC)
    shown = "openai:qwen2.5-7b@http://research:***@gpu-node-3.lab:8000/v1"
    assert str(spec) == shown and SECRET not in repr(spec)
    assert spec.endpoint_names == ("http://research:***@gpu-node-3.lab:8000/v1",)
    assert SECRET not in spec.cache_id
    assert spec.base_url == f"http://research:{SECRET}@gpu-node-3.lab:8000/v1"  # what connects
    assert ModelPool(cache=None).get(SPEC).name == shown


@pytest.mark.parametrize(("url", "shown"), [
    (f"http://{SECRET}@host/v1", "http://***@host/v1"),
    (f"https://me:{SECRET}@host:443/v1?x=1", "https://me:***@host:443/v1?x=1"),
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    (f"see http://a:{SECRET}@h1/v1,http://b:{SECRET}@h2/v1 here", "see http://a:***@h1/v1,http://b:***@h2/v1 here"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


async def test_the_real_url_connects_and_no_record_holds_the_key(tmp_path: Path) -> None:
    api = FakeAPI(httpx2.Response(500, json={"error": {"message": "overloaded"}}), httpx2.Response(200, json=chat_body()))
    model = model_over(OpenAIProvider, SPEC, api, tmp_path / "cache")
    out = await model.generate([Message(role="user", content="A or B?")])
    request = api.requests[0]
    assert request.url.host == "gpu-node-3.lab" and request.url.port == 8000
    assert request.url.userinfo == f"research:{SECRET}".encode()  # httpx2 sends it as basic auth
    assert SECRET not in out.model_dump_json()
    assert all(SECRET not in p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    api.replies = [httpx2.Response(400, json={"error": {"message": f"bad request to http://research:{SECRET}@gpu-node-3.lab"}})]
    with pytest.raises(ModelCallError) as info:
        await model.generate("again")
    await model.aclose()
    assert SECRET not in str(info.value) and "research:***@" in str(info.value)


def test_cache_identity_ignores_the_hidden_key() -> None:
    msgs = [Message(role="user", content="hi")]
    rotated = SPEC.replace(SECRET, "sk-live-rotated-0000000000")
    assert cache_key(parse_spec(SPEC), msgs, GenerateConfig()) == cache_key(parse_spec(rotated), msgs, GenerateConfig())


def test_specs_differing_only_in_the_key_are_two_models() -> None:
    pool = ModelPool(cache=None)
    rotated = SPEC.replace(SECRET, "sk-live-rotated-0000000000")
    assert pool.get(SPEC) is not pool.get(rotated)
    assert pool.get(SPEC) is pool.get(SPEC)


@pytest.mark.parametrize("url", [
    "http://[::1", "http://", "http:///v1", "ftp://host/v1", "localhost:8000", "http://host:port/v1",
    f"http://me:{SECRET}@[::1", "",
])
def test_malformed_base_urls_are_one_line(url: str) -> None:
    with pytest.raises(UserError) as info:
        parse_spec(f"openai:qwen@{url}")
    message = str(info.value)
    assert "\n" not in message and "base URL" in message and SECRET not in message



def test_two_spellings_of_one_model_are_the_same_model(tmp_path: Path) -> None:
    """A fleet in another order, and the embedded model by its name and by its file, are one
    model; another file, model or provider is not."""
    from oversight.models.identity import same_model
    from oversight.models.providers.local import embedded_path

    fleet = parse_spec("openai:m@http://a:1/v1,http://b:2/v1")
    assert same_model(fleet, parse_spec("openai:m@http://b:2/v1,http://a:1/v1"))
    assert not same_model(fleet, parse_spec("openai:m@http://a:1/v1"))
    assert not same_model(parse_spec("openai:m"), parse_spec("anthropic:m"))
    file = embedded_path("gemma-3-270m")
    assert same_model(parse_spec("local:gemma-3-270m"), parse_spec(f"local:{file}"))
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF")
    assert not same_model(parse_spec("local:gemma-3-270m"), parse_spec(f"local:{other}"))
    assert same_model(parse_spec(f"local:{other}"), parse_spec(f"local:{tmp_path}/./other.gguf"))
    assert not same_model(parse_spec(f"local:{tmp_path}/missing.gguf"), parse_spec(f"local:{tmp_path}/gone.gguf"))
