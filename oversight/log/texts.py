"""Large texts stored once per run and referred to by a content ref, in a folder or in memory."""

from __future__ import annotations

import re
from typing import Any

from oversight.core.ids import sha256_hex
from oversight.log.transcripts import expand_messages


def text_ref(text: str) -> str:
    return "sha256:" + sha256_hex(text)[:16]


_REF = re.compile(r"sha256:[0-9a-f]{16}")


def is_text_ref(value: Any) -> bool:
    """True for a reference `text_ref` makes (a value naming a stored text, not a text)."""
    return isinstance(value, str) and _REF.fullmatch(value) is not None


class MemoryTexts:
    """The text store of a run that writes no folder (a dry run, a test)."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def put_text(self, text: str) -> str:
        ref = text_ref(text)
        self.texts[ref] = text
        return ref

    def model_input(self, event: dict[str, Any]) -> list[dict[str, str]]:
        """A model event's messages exactly as the model saw them."""
        return expand_messages(event.get("input") or [], self.get_text)

    def get_text(self, ref: str) -> str:
        return self.texts[ref]
