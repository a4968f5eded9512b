"""Which calls share a concurrency limit: the provider names its server (`limit_key`)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from oversight.models import GenerateConfig, ModelPool
from oversight.models.providers import local
from tests.helpers.llama_fake import deliver


class SlowLlama:
    """Stands in for an xllamacpp.Server: answers a completion after a pause, counting overlap."""

    def __init__(self, counts: dict[str, int], name: str, lock: threading.Lock) -> None:
        self.counts, self.name, self.lock = counts, name, lock

    def handle_completions(self, body: dict[str, Any], callback: Any = None) -> Any:
        with self.lock:
            for key in (self.name, "all"):
                self.counts[key] += 1
                self.counts[f"{key}_peak"] = max(self.counts[f"{key}_peak"], self.counts[key])
        time.sleep(0.05)
        with self.lock:
            self.counts[self.name] -= 1
            self.counts["all"] -= 1
        return deliver({"choices": [{"text": " ok", "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 1}}, callback)


@pytest.fixture
def two_ggufs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, dict[str, int]]:
    paths = (tmp_path / "a.gguf", tmp_path / "b.gguf")
    counts = {f"{key}{suffix}": 0 for key in ("a.gguf", "b.gguf", "all") for suffix in ("", "_peak")}
    lock = threading.Lock()
    servers = {p.resolve(): SlowLlama(counts, p.name, lock) for p in paths}
    for p in paths:
        p.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setattr(local, "load_server", lambda path: (servers[path.resolve()], False))
    return paths[0], paths[1], counts


async def test_each_local_gguf_has_its_own_limit(two_ggufs: tuple[Path, Path, dict[str, int]]) -> None:
    a, b, counts = two_ggufs
    pool = ModelPool(cache=None, max_connections=1)
    model_a, model_b = pool.get(f"local:{a}"), pool.get(f"local:{b}")
    same_file = pool.get(f"local:{a.parent}/./a.gguf")  # another spelling of a.gguf
    config = GenerateConfig(max_tokens=1)
    await asyncio.gather(model_a.generate("x", config), same_file.generate("z", config),
                         model_b.generate("y", config))
    # One slot per file: a.gguf's two calls ran one after the other, b.gguf's alongside them.
    assert counts["a.gguf_peak"] == 1 and counts["all_peak"] == 2
    usage = pool.endpoint_usage()
    assert usage[f"local:{a.resolve()}"]["calls"] == 2 and usage[f"local:{b.resolve()}"]["calls"] == 1


def test_servers_not_providers_decide_who_shares_a_limit() -> None:
    pool = ModelPool(cache=None)
    on_one = [pool.get("openai:qwen@http://127.0.0.1:8001/v1"), pool.get("openai:llama@http://127.0.0.1:8001/v1")]
    other = pool.get("openai:qwen@http://127.0.0.1:8002/v1")
    assert on_one[0].endpoints[0] is on_one[1].endpoints[0]
    assert other.endpoints[0] is not on_one[0].endpoints[0]
    assert set(pool.endpoint_usage()) == {"http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1"}
