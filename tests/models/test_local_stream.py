"""A plain local completion is streamed so that cancelling the call (Ctrl-C, a person quitting
judge-live mid-speech) stops llama.cpp at its next token; the joined stream is the one-shot
answer, and a broken chunk is passed on as the one-shot endpoint would have answered it."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from oversight.models import GenerateConfig, ModelPool
from oversight.models.providers import local
from oversight.models.providers.local import joined_stream
from tests.helpers.llama_fake import chunks_of

ANSWER = {"choices": [{"index": 0, "text": " The soup did not tremble on the viaduct.", "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 9, "completion_tokens": 9, "prompt_tokens_details": {"cached_tokens": 4}},
          "model": "m"}


class SlowLlama:
    """Streams `tokens` chunks, one every 20 ms, until its callback asks it to stop."""

    def __init__(self, tokens: int = 500) -> None:
        self.tokens, self.sent, self.done = tokens, 0, threading.Event()
        self.bodies: list[dict[str, Any]] = []

    def handle_completions(self, body: dict[str, Any], callback: Any = None) -> Any:
        self.bodies.append(body)
        try:
            for i in range(self.tokens):
                time.sleep(0.02)
                self.sent += 1
                if callback({"choices": [{"index": 0, "text": f" w{i}", "finish_reason": None}]}):
                    return None
            callback({"choices": [{"index": 0, "text": "", "finish_reason": "length"}],
                      "usage": {"prompt_tokens": 3, "completion_tokens": self.tokens}})
            return None
        finally:
            self.done.set()


async def test_a_cancelled_call_stops_the_model_at_its_next_token(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    server = SlowLlama()
    monkeypatch.setattr(local, "load_server", lambda path: (server, False))
    model = ModelPool(cache=None).get(f"local:{gguf}")
    call = asyncio.create_task(model.generate("Tell the story.", GenerateConfig(max_tokens=500)))
    while server.sent < 3:
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await asyncio.to_thread(server.done.wait, 30)
    assert server.bodies[0]["stream"] is True
    assert server.sent < 100  # stopped at once, not after all 500 tokens


def test_the_joined_stream_is_the_one_shot_answer() -> None:
    joined = joined_stream(chunks_of(ANSWER))
    assert joined["choices"][0]["text"] == ANSWER["choices"][0]["text"]
    assert joined["choices"][0]["finish_reason"] == "stop" and joined["usage"] == ANSWER["usage"]


@pytest.mark.parametrize("broken", [{"choices": []}, "<html>502</html>", {"error": {"code": 400, "message": "bad"}},
                                    {"choices": [{"text": 7}]}])
def test_a_broken_chunk_is_passed_on_as_it_came(broken: Any) -> None:
    assert joined_stream([*chunks_of(ANSWER)[:2], broken]) == broken
    assert joined_stream([]) == {"error": {"message": "llama.cpp streamed nothing"}}
