"""A scripted model that records every request it receives (messages and settings)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oversight.models.providers import scripted
from oversight.models.types import Completion, GenerateConfig, Message


def critique_reply(messages: list[Message]) -> str:
    """Plausible text for every critique role, decided by the prompt alone (so replies repeat)."""
    text = messages[-1].content
    if "Reported flaw" in text:
        return "None - not one of them"
    words = [w for w in text.split() if w[:1].isdigit()]
    return f" The answer gets {words[0] if words else 'a detail'} wrong.\n2. It leaves out the date."


def record_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request any scripted model gets, as canonical JSON (model, messages, full settings)."""
    log: list[str] = []
    original = scripted.ScriptedProvider.generate

    async def generate(self: Any, messages: list[Message], config: GenerateConfig) -> Completion:
        log.append(json.dumps({"model": self.spec.model, "messages": [m.model_dump() for m in messages],
                               "config": config.model_dump()}, sort_keys=True))
        return await original(self, messages, config)

    monkeypatch.setattr(scripted.ScriptedProvider, "generate", generate)
    return log
