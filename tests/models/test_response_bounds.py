"""An answer past what `max_tokens` allows (with its documented margin) fails the call, is retried
per our policy and then recorded as a failure, and nothing of it is stored: through the real SDKs
over a streamed 30 MB body (reading stops at the bound), a real socket server in a CLI run, the
scripted and batch paths. Legitimate answers at the bound, with logprobs, pass."""

from __future__ import annotations

import asyncio
import json
import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from tests.helpers.fake_batch import FakeBatchService
from tests.helpers.fakes.llm_server import FakeLLM, serve
from tests.helpers.http_fakes import FakeAPI, model_over
from oversight.cli.main import main
from oversight.core.errors import ModelCallError
from oversight.models import GenerateConfig, ModelPool, ResponseCache, RetryPolicy
from oversight.models.batch import BatchJournal, BatchOptions, BatchRuntime
from oversight.models.bounds import BODY_SLACK, body_limit, text_limit
from oversight.models.providers import scripted
from oversight.models.providers.anthropic import AnthropicProvider
from oversight.models.providers.openai import OpenAIProvider
from oversight.models.types import Completion

HUGE = 30 * 1024 * 1024
CHUNK = 64 * 1024
SMALL = GenerateConfig(max_tokens=5)


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")


def files_under(*roots: Path) -> dict[str, int]:
    return {str(p): p.stat().st_size for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


class HugeBody(httpx2.AsyncByteStream):
    """A 200 whose JSON body goes on for 30 MB, produced chunk by chunk; counts what was pulled."""

    def __init__(self, anthropic: bool, pulled: list[int]) -> None:
        self.anthropic, self.pulled = anthropic, pulled

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = (b'{"id":"msg","type":"message","role":"assistant","content":[{"type":"text","text":"' if self.anthropic
                else b'{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"')
        self.pulled.append(0)
        yield head
        block = b"The answer is A. " * (CHUNK // 17)
        sent = len(head)
        while sent < HUGE:
            self.pulled[-1] += len(block)
            sent += len(block)
            yield block
        yield b'"}]}' if self.anthropic else b'"},"finish_reason":"stop"}]}'


@pytest.mark.parametrize("cls,spec", [(OpenAIProvider, "openai:gpt-4.1-mini"),
                                      (AnthropicProvider, "anthropic:claude-sonnet-4-5")])
async def test_a_30mb_answer_to_a_5_token_call_fails_after_retries_reading_only_its_bound(
        tmp_path: Path, cls: type, spec: str) -> None:
    pulled: list[int] = []
    api = FakeAPI(lambda request: httpx2.Response(200, headers={"content-type": "application/json"},
                                                  stream=HugeBody(cls is AnthropicProvider, pulled)))
    model = model_over(cls, spec, api, tmp_path / "cache")
    tracemalloc.start()
    try:
        with pytest.raises(ModelCallError) as caught:
            await model.generate("Answer A or B.", SMALL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await model.aclose()
    assert "answer too large" in caught.value.reason and caught.value.attempts == 3  # retried, then failed
    assert len(pulled) == 3 and all(n <= body_limit(SMALL) + CHUNK for n in pulled)
    assert peak < 4 * body_limit(SMALL) + 2 * 1024 * 1024  # never the 30 MB
    assert files_under(tmp_path / "cache") == {}  # nothing cached


async def test_an_answer_within_the_bound_passes_with_logprobs(tmp_path: Path) -> None:
    """The largest legitimate body for a one-token logprob call (20 alternatives, each token with
    its bytes) and a text exactly at the text bound both pass."""
    config = GenerateConfig(max_tokens=1, logprobs=True, top_logprobs=20)
    token = {"token": "\u00e9" * 10, "logprob": -0.12345678901234, "bytes": [195, 169] * 10}
    body = {"id": "c", "choices": [{"index": 0, "message": {"role": "assistant", "content": " A"},
                                    "logprobs": {"content": [{**token, "top_logprobs": [token] * 20}]},
                                    "finish_reason": "length"}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 1}}
    assert len(json.dumps(body)) < body_limit(config)
    api = FakeAPI(httpx2.Response(200, json=body))
    model = model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, tmp_path / "cache")
    out = await model.generate("Answer:", config)
    assert out.text == " A" and out.completion.logprobs is not None
    at_bound = "é" * text_limit(SMALL)
    api.replies = [httpx2.Response(200, json={**body, "choices": [{"index": 0, "finish_reason": "length",
                                                                   "message": {"role": "assistant", "content": at_bound}}]})]
    assert (await model.generate("Another question", SMALL)).text == at_bound
    api.replies = [httpx2.Response(200, json={**body, "choices": [{"index": 0, "finish_reason": "length",
                                                                   "message": {"role": "assistant", "content": at_bound + "!"}}]})]
    with pytest.raises(ModelCallError, match="answer too large"):
        await model.generate("A third question", SMALL)
    await model.aclose()


def test_the_bounds_are_what_the_docs_say() -> None:
    assert text_limit(GenerateConfig(max_tokens=5)) == 64 * 5 + 4096
    assert body_limit(GenerateConfig(max_tokens=5)) == BODY_SLACK + 12 * (64 * 5 + 4096)
    assert body_limit(GenerateConfig(max_tokens=1, logprobs=True, top_logprobs=20)) == \
        BODY_SLACK + 12 * (64 + 4096) + 21 * 2048
    assert body_limit(GenerateConfig(max_tokens=4096)) < 4 * 1024 * 1024


def debate_experiment(tmp_path: Path, judge: str, cache: bool = True) -> Path:
    repo = Path(__file__).resolve().parents[2]
    (tmp_path / "items.jsonl").write_text((repo / "tasks" / "debate_stories.jsonl").read_text())
    config = {"name": "bounded", "protocol": "debate", "task": {"path": "items.jsonl"}, "limit": 1, "cache": cache,
              "models": {"debater_a": "scripted:debater", "debater_b": "scripted:debater", "judge": judge},
              "retry": {"max_attempts": 2, "base_delay_s": 0.001, "max_delay_s": 0.01},
              "generation": {"judge": {"max_tokens": 8}},
              "params": {"conditions": ["debate", "blind"], "rounds": 1, "judge_kind": "model", "swap": False}}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def check_failed_run(tmp_path: Path, code: int) -> None:
    assert code == 1  # finished, with failed units
    [run] = list((tmp_path / "runs").iterdir())
    transcripts = [json.loads(x) for x in (run / "transcripts.jsonl").read_text().splitlines()]
    assert transcripts and all(t["error"] and "answer too large" in t["error"] for t in transcripts)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["run"]["units_failed"] == len(transcripts)
    sizes = files_under(run, Path(os.environ["OVERSIGHT_CACHE_DIR"]))
    assert sum(sizes.values()) < 2 * 1024 * 1024, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_a_real_server_sending_30mb_to_a_judge_fails_the_unit_and_stores_nothing(tmp_path: Path) -> None:
    scripted.register("debater", lambda m: "Debater: the story says <quote>Ines Arrow</quote>.")
    with serve(FakeLLM(reply=lambda prompt: "A" * HUGE)) as fake:
        code = main(["run", str(debate_experiment(tmp_path, f"openai:fake-gpt@{fake.openai_url}")),
                     "--runs-dir", str(tmp_path / "runs")])
    check_failed_run(tmp_path, code)


def test_a_local_or_scripted_provider_past_the_bound_fails_the_unit(tmp_path: Path) -> None:
    scripted.register("debater", lambda m: "Debater: the story says <quote>Ines Arrow</quote>.")
    scripted.register("flood", lambda m: "Answer: A " + "x" * (5 * 1024 * 1024))
    check_failed_run(tmp_path, main(["run", str(debate_experiment(tmp_path, "scripted:flood")),
                                     "--runs-dir", str(tmp_path / "runs")]))


@pytest.mark.parametrize("spec", ["openai:gpt-4.1-mini", "anthropic:claude-sonnet-4-5"])
async def test_a_batch_result_past_the_bound_is_made_again_as_a_normal_call(tmp_path: Path, spec: str) -> None:
    fake = FakeBatchService(answer=lambda body: "B" * 200_000 if body.get("max_tokens") else "?")

    def pool() -> ModelPool:
        def provider(s: Any) -> Any:
            cls = OpenAIProvider if s.provider == "openai" else AnthropicProvider
            return cls(s, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(fake)))

        return ModelPool(cache=ResponseCache(tmp_path / "cache"), provider_factory=provider,
                         retry=RetryPolicy(max_attempts=2, base_delay_s=0.0, max_delay_s=0.0),
                         batching=BatchRuntime(BatchOptions(window_s=0.01, poll_s=0.001, poll_max_s=0.004),
                                               BatchJournal(tmp_path / "batches.jsonl")))

    p = pool()
    model = p.get(spec, batch=True)
    try:
        results = await asyncio.gather(*(model.generate(f"Question {i}", SMALL) for i in range(3)),
                                       return_exceptions=True)
    finally:
        await p.aclose()
    assert len(fake.created) == 1  # batched, then each result refused and made as a normal call
    assert len(fake.normal_calls) >= 3
    assert all(isinstance(r, ModelCallError) and "answer too large" in r.reason for r in results)
    assert files_under(tmp_path / "cache") == {}
    journal = [json.loads(x) for x in (tmp_path / "batches.jsonl").read_text().splitlines()]
    assert all(r["max_tokens"] == 5 for r in journal[0]["requests"])


def test_a_recovered_batch_result_past_the_bound_is_not_cached(tmp_path: Path) -> None:
    """Collecting a batch a crash left behind (its journal recorded max_tokens 5): an answer past
    the bound is neither stored nor handed on; one within it is stored before anyone wakes."""
    from oversight.models.batch.batcher import Batcher
    from oversight.models.spec import parse_spec

    class Ended:
        async def ended(self, batch_id: str) -> bool:
            return True

        async def results(self, batch_id: str, logprobs: dict[str, bool]) -> dict[str, Completion]:
            return {"huge": Completion(text="x" * 100_000), "fine": Completion(text="fine")}

    got: dict[str, Completion | None] = {}
    cache = ResponseCache(tmp_path / "cache")
    runtime = BatchRuntime(BatchOptions(poll_s=0.001), cache=cache)
    batcher = Batcher(parse_spec("openai:gpt-4.1-mini"), Ended(), runtime)  # type: ignore[arg-type]
    waiters = {cid: (cid * 16, lambda r, cid=cid: got.__setitem__(cid, r)) for cid in ("huge", "fine")}
    asyncio.run(batcher.collect("batch_1", waiters, {}, {"huge": 5, "fine": 5}))
    assert got["huge"] is None and got["fine"] is not None and got["fine"].text == "fine"
    assert cache.get("huge" * 16) is None and cache.get("fine" * 16) is not None
    assert len(files_under(tmp_path / "cache")) == 1


class HugeError(httpx2.AsyncByteStream):
    """A 500 whose error page goes on for 30 MB."""

    def __init__(self, pulled: list[int]) -> None:
        self.pulled = pulled

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled.append(0)
        yield b'{"error": {"message": "'
        while self.pulled[-1] < HUGE:
            self.pulled[-1] += CHUNK
            yield b"x" * CHUNK


@pytest.mark.parametrize("cls,spec", [(OpenAIProvider, "openai:gpt-4.1-mini"),
                                      (AnthropicProvider, "anthropic:claude-sonnet-4-5")])
async def test_an_endless_error_page_is_cut_and_the_call_retried(tmp_path: Path, cls: type, spec: str) -> None:
    from oversight.models.providers.sdk import ERROR_BODY_LIMIT

    pulled: list[int] = []
    api = FakeAPI(lambda request: httpx2.Response(500, headers={"content-type": "application/json"},
                                                  stream=HugeError(pulled)))
    model = model_over(cls, spec, api, tmp_path / "cache")
    try:
        with pytest.raises(ModelCallError) as caught:
            await model.generate("Answer A or B.", SMALL)
    finally:
        await model.aclose()
    assert caught.value.status == 500 and caught.value.attempts == 3 and len(caught.value.reason) < 400
    assert len(pulled) == 3 and all(n <= ERROR_BODY_LIMIT + CHUNK for n in pulled)
