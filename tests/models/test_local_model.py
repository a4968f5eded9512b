"""The embedded model for real: llama.cpp through xllamacpp with the packaged gemma-3-270m weights."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from oversight.core.errors import UserError
from oversight.models import GenerateConfig, ModelPool, ResponseCache
from oversight.models.providers.local import completion_prompt, has_chat_template
from oversight.models.types import Message


@pytest.mark.local_model
async def test_real_generation_returns_text_usage_and_logprobs(tmp_path: Path) -> None:
    pool = ModelPool(cache=ResponseCache(tmp_path))
    model = pool.get("local:gemma-3-270m")
    prompt = "Question: What is the capital of France?\nAnswer:"
    config = GenerateConfig(max_tokens=8, temperature=0.0, seed=1, logprobs=True, top_logprobs=5)
    out = await model.generate(prompt, config, role="judge")
    assert out.text.strip(), "the model produced no text"
    usage = out.completion.usage
    assert usage.input_tokens >= 10 and 1 <= usage.output_tokens <= 8
    assert usage.cost_usd is None  # no made-up price for a local model
    assert out.completion.logprobs and len(out.completion.logprobs[0].top) == 5
    assert all(t.logprob <= 0 for t in out.completion.logprobs[0].top)

    again = await model.generate(prompt, config, role="judge")
    assert again.cached and again.text == out.text
    assert again.completion.usage == usage  # the original call's usage, marked cached


@pytest.mark.local_model
async def test_parallel_slots_serve_concurrent_calls(tmp_path: Path) -> None:
    model = ModelPool(cache=None).get("local:gemma-3-270m")
    config = GenerateConfig(max_tokens=4, temperature=0.0)
    outs = await asyncio.gather(*(model.generate(f"Count: {i}, ", config) for i in range(4)))
    assert all(o.completion.usage.output_tokens >= 1 for o in outs)


def test_embedded_gguf_is_a_base_model_without_chat_template() -> None:
    model = ModelPool(cache=None).get("local:gemma-3-270m")
    path = model.provider.path()  # type: ignore[attr-defined]
    assert path.suffix == ".gguf" and path.stat().st_size > 100_000_000
    assert not has_chat_template(path)


def test_messages_become_one_completion_prompt() -> None:
    messages = [Message(role="system", content="You judge."), Message(role="user", content="Q: x\nAnswer:")]
    assert completion_prompt(messages) == "You judge.\n\nQ: x\nAnswer:"


def test_unknown_or_missing_local_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown local model 'llama-9000'"):
        ModelPool().get("local:llama-9000")
    with pytest.raises(UserError, match="not found"):
        ModelPool().get(f"local:{tmp_path}/none.gguf")


@pytest.mark.local_model
async def test_prompt_longer_than_the_context_fails_with_a_hint() -> None:
    from oversight.core.errors import ModelCallError

    model = ModelPool(cache=None).get("local:gemma-3-270m")
    with pytest.raises(ModelCallError, match="exceeds the available context size.*OVERSIGHT_LOCAL_CTX") as info:
        await model.generate("word " * 6000, GenerateConfig(max_tokens=2))
    assert info.value.attempts == 1  # not retried: it cannot succeed


async def test_a_file_that_is_not_a_model_fails_the_call_with_its_name(tmp_path: Path) -> None:
    from oversight.core.errors import ModelCallError

    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)
    model = ModelPool(cache=None).get(f"local:{bogus}")
    with pytest.raises(ModelCallError, match="could not load .*bogus.gguf"):
        await model.generate("hi", GenerateConfig(max_tokens=1))


@pytest.mark.local_model
async def test_a_streamed_completion_is_the_one_shot_completion() -> None:
    """Plain completions are streamed (so a cancelled call stops): the text, finish reason and
    usage equal what the one-shot endpoint answers for the same request."""
    from oversight.models.providers.local import embedded_path, load_server, streamed

    server, _ = load_server(embedded_path("gemma-3-270m"))
    body = {"prompt": "Once upon a time, in a land far away,", "max_tokens": 24, "temperature": 0.0, "seed": 3}
    once = await asyncio.to_thread(server.handle_completions, body)
    again = await streamed(server.handle_completions, body)
    assert again["choices"][0]["text"] == once["choices"][0]["text"] and once["choices"][0]["text"].strip()
    assert again["choices"][0]["finish_reason"] == once["choices"][0]["finish_reason"]
    assert again["usage"]["completion_tokens"] == once["usage"]["completion_tokens"]
    assert again["usage"]["prompt_tokens"] == once["usage"]["prompt_tokens"]
