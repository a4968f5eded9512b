"""One transcript's review body, as its protocol's `review_body` hook builds it.

The protocol is found through the registry; a protocol that cannot be loaded (a run made with
a package no longer installed) gets the contract's generic view, so the run still opens.
"""

from __future__ import annotations

from typing import Any

from oversight.core.errors import UserError
from oversight.protocol.contract import Protocol, TextReader
from oversight.protocol.registry import get_protocol
from oversight.protocol.review import Body, Mark, QuoteRef, correct_mark, generic_body, heading, labelled
from oversight.protocols.shared.speech_view import FORGED_STYLE, LETTERS, TURN_STYLE

GENERIC_HELP = "its outcome as data and its notes (non-model events)"


_LOADED: dict[str, Protocol[Any, Any]] = {}


def protocol_for(name: str) -> Protocol[Any, Any] | None:
    """The registered protocol of that name (loaded once), or None when it cannot be loaded:
    not remembered, so a protocol installed later is found."""
    if name not in _LOADED:
        try:
            _LOADED[name] = get_protocol(name)
        except UserError:
            return None
    return _LOADED[name]


def forget_protocols() -> None:
    """Load every protocol afresh on next use (a test that registers one of its own)."""
    _LOADED.clear()


class _NoTexts:
    def get_text(self, ref: str) -> str | None:
        return None


def body(transcript: dict[str, Any], params: dict[str, Any], texts: TextReader | None = None,
         judgments: list[dict[str, Any]] | None = None) -> Body:
    protocol = protocol_for(str(transcript.get("protocol")))
    if protocol is None:
        return generic_body(transcript)
    return protocol.review_body(transcript, params, texts or _NoTexts(), list(judgments or []))


def mark(protocol: Protocol[Any, Any] | None, judgment: dict[str, Any]) -> Mark | None:
    """A judgment's mark by its protocol's hook (the contract's default when none is loaded)."""
    return protocol.judgment_mark(judgment) if protocol is not None else correct_mark(judgment)


__all__ = ["Body", "FORGED_STYLE", "GENERIC_HELP", "LETTERS", "QuoteRef", "TURN_STYLE", "body", "generic_body",
           "heading", "labelled", "forget_protocols", "mark",
           "protocol_for"]
