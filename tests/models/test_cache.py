"""The response cache only saves money: it never fails a call that was paid for."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from oversight.core import atomic
from oversight.core.errors import UserError
from oversight.models import CacheWriteWarning, GenerateConfig, ModelPool, ResponseCache, parse_spec
from oversight.models import cache as cache_module
from oversight.models.cache import cache_key
from oversight.models.providers import scripted
from oversight.models.types import Message


def full_disk(fd: int, data: object) -> int:
    """os.write as on a full disk."""
    raise OSError(errno.ENOSPC, "No space left on device")


def leftovers(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


@pytest.mark.parametrize("failure", ["write", "rename"])
async def test_a_failed_write_warns_and_the_call_still_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    if failure == "write":
        monkeypatch.setattr(atomic.os, "write", full_disk)
    else:
        def refuse(src: str, dst: object) -> None:
            raise OSError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(atomic.os, "replace", refuse)
    scripted.register("s", ["paid answer", "second answer"])
    model = ModelPool(cache=ResponseCache(tmp_path / "cache")).get("scripted:s")
    with pytest.warns(CacheWriteWarning, match=r"could not be written \((No space left on device|Permission denied)\)"):
        out = await model.generate("question")
    assert out.text == "paid answer" and not out.cached
    assert leftovers(tmp_path / "cache") == []  # the temporary file went too


async def test_cache_folder_replaced_by_a_file_mid_run(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    scripted.register("s", ["one", "two"])
    model = ModelPool(cache=ResponseCache(directory)).get("scripted:s")
    directory.rmdir()
    directory.write_text("not a folder")
    with pytest.warns(CacheWriteWarning):
        first = await model.generate("q")
    with pytest.warns(CacheWriteWarning):
        second = await model.generate("q")  # reading fails too: a miss, so a second call
    assert (first.text, second.text) == ("one", "two")


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_cache_dir_env_pointing_at_a_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    blocker = tmp_path / "cache.txt"
    blocker.write_text("I am a file")
    monkeypatch.setenv("OVERSIGHT_CACHE_DIR", str(blocker if where == "file" else blocker / "responses"))
    with pytest.raises(UserError) as info:
        ResponseCache()
    message = str(info.value)
    assert "\n" not in message and "OVERSIGHT_CACHE_DIR" in message and str(blocker) in message
    if where == "file":
        assert "is a file" in message


@pytest.mark.parametrize("garbage", [b"", b'{"text": "half', b"\xff\xfe not utf-8", b'{"text": 3}'])
async def test_a_corrupt_entry_is_a_miss_and_is_rewritten(tmp_path: Path, garbage: bytes) -> None:
    cache = ResponseCache(tmp_path)
    messages = [Message(role="user", content="q")]
    key = cache_key(parse_spec("scripted:s"), messages, GenerateConfig())
    path = tmp_path / key[:2] / f"{key}.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)
    scripted.register("s", ["fresh", "never"])
    model = ModelPool(cache=cache).get("scripted:s")
    first = await model.generate(messages)
    again = await model.generate(messages)
    assert (first.text, first.cached) == ("fresh", False)
    assert (again.text, again.cached) == ("fresh", True)
    assert len(scripted.CALLS["s"]) == 1


def test_keys_are_those_every_earlier_version_made() -> None:
    """A cache filled before stays valid: the key is sha256 of json.dumps(sort_keys, no ASCII
    escaping) of the request, however the bytes are produced now."""
    import hashlib
    import json

    spec = parse_spec("openai:gpt-4o-mini")
    messages = [Message(role="system", content="Be brief.\n\t\u201cquoted\u201d \\ \x00\x1f\x7f"),
                Message(role="user", content="Stor\u00e9: \u4e2d\u6587 \U0001F600 \u2028 end")]
    config = GenerateConfig(max_tokens=300, temperature=0.7, stop=["\n\nJudge:"], seed=3)
    payload = {"model": spec.cache_id, "messages": [m.model_dump() for m in messages],
               "config": config.cache_fields()}
    expected = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert cache_key(spec, messages, config) == expected


def test_keys_match_the_old_definition_on_random_requests() -> None:
    """Control characters, quotes, backslashes, non-ASCII, emoji, line separators in the text;
    every sampling field set or not; several messages."""
    import hashlib
    import json
    import random

    rng = random.Random(11)
    alphabet = [chr(i) for i in range(0x80)] + ["\u00e9", "\u2028", "\ufeff", "\U0001F600", "\x85", "\u4e2d"]
    specs = [parse_spec("openai:gpt-4o-mini"), parse_spec("anthropic:claude-x"), parse_spec("scripted:s")]
    for _ in range(500):
        messages = [Message(role=rng.choice(["system", "user", "assistant"]),
                            content="".join(rng.choice(alphabet) for _ in range(rng.randrange(60))))
                    for _ in range(rng.randrange(1, 4))]
        settings = {"max_tokens": rng.randrange(1, 4000)}
        if rng.random() < 0.5:
            settings["temperature"] = rng.choice([0.0, 0.7, 1.25e-05, 2.0])
        if rng.random() < 0.5:
            settings["stop"] = ["".join(rng.choice(alphabet) for _ in range(5))]
        if rng.random() < 0.3:
            settings.update(logprobs=True, top_logprobs=rng.randrange(1, 20))
        config = GenerateConfig(**settings)
        spec = rng.choice(specs)
        payload = {"model": spec.cache_id, "messages": [m.model_dump() for m in messages],
                   "config": config.cache_fields()}
        old = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        assert cache_key(spec, messages, config) == old
