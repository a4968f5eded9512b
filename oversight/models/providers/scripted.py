"""`scripted:NAME`: a deterministic stand-in that tests program, so protocol tests never touch HTTP.

A script is a list of replies (used in order, the last one repeating), or a function of
the messages. A reply may be an exception instance (e.g. `ProviderError(..., retryable=True)`)
to inject a failure, or a `Completion` to control usage and logprobs. A function may also return
an awaitable of a reply, so a test can hold a call until it lets it go (a slow model).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Union

from oversight.core.errors import UserError
from oversight.models.providers.base import Provider
from oversight.models.types import Completion, GenerateConfig, Message, Usage

Reply = Union[str, Completion, BaseException]
Script = Union[list[Reply], Callable[[list[Message]], Union[Reply, Awaitable[Reply]]]]

_SCRIPTS: dict[str, Script] = {}
_CURSORS: dict[str, int] = {}
_STRUCTURED: set[str] = set()
CALLS: dict[str, list[list[Message]]] = {}
"""Every message list each script received, for tests to inspect."""


CONFIGS: dict[str, list[GenerateConfig]] = {}
"""The settings of every call each script received."""


def register(name: str, script: Script, *, structured: bool = False) -> None:
    """`structured=True`: the script stands for a provider with structured output (its replies
    should then be the JSON answers such a provider returns)."""
    _SCRIPTS[name] = script
    _CURSORS[name] = 0
    CALLS[name] = []
    CONFIGS[name] = []
    (_STRUCTURED.add if structured else _STRUCTURED.discard)(name)


def reset() -> None:
    _SCRIPTS.clear()
    _CURSORS.clear()
    _STRUCTURED.clear()
    CALLS.clear()
    CONFIGS.clear()


def _builtin(name: str) -> Script | None:
    if name == "echo":
        return lambda messages: messages[-1].content
    if name.startswith("const="):
        return [name[len("const="):]]
    return None


def _tokens(text: str) -> int:
    return max(1, len(text.split())) if text else 0


class ScriptedProvider(Provider):
    default_max_connections = 64

    def check_ready(self) -> None:
        if self.spec.model not in _SCRIPTS and _builtin(self.spec.model) is None:
            raise UserError(
                f"no script named {self.spec.model!r} (register one with "
                f"oversight.models.providers.scripted.register, or use scripted:echo / scripted:const=TEXT)"
            )

    def supports_structured(self) -> bool:
        return self.spec.model in _STRUCTURED

    def _next(self, messages: list[Message]) -> Reply | Awaitable[Reply]:
        name = self.spec.model
        script = _SCRIPTS.get(name) or _builtin(name)
        CALLS.setdefault(name, []).append(messages)
        if callable(script):
            return script(messages)
        assert script is not None
        index = min(_CURSORS.get(name, 0), len(script) - 1)
        _CURSORS[name] = _CURSORS.get(name, 0) + 1
        return script[index]

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        CONFIGS.setdefault(self.spec.model, []).append(config)
        reply = self._next(messages)
        if inspect.isawaitable(reply):
            reply = await reply
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, Completion):
            return reply
        prompt = " ".join(m.content for m in messages)
        return Completion(
            text=reply,
            usage=Usage(input_tokens=_tokens(prompt), output_tokens=_tokens(reply)),
            finish_reason="stop",
        )
