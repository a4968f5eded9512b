"""One transcript's review body, as its protocol's `review_body` hook builds it.

The protocol is found through the registry; a protocol not installed here (a run made with a
package since removed) gets the contract's generic view, so the run still opens. One that is
installed but fails to load is a one-line UserError. A review hook that fails on a transcript
never closes the app: the generic view is shown with a line naming the protocol and the hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Group
from rich.protocol import is_renderable
from rich.text import Text

from oversight.core.errors import UserError
from oversight.core.safe_text import clean
from oversight.protocol.contract import Protocol, TextReader
from oversight.protocol.hooks import call_hook, protocol_label
from oversight.protocol.registry import ProtocolNotInstalled, get_protocol
from oversight.protocol.review import Body, Mark, QuoteRef, ReviewTree, correct_mark, generic_body, heading, labelled
from oversight.protocol.review import FORGED_STYLE, LETTERS, TURN_STYLE

GENERIC_HELP = "its outcome as data and its notes (non-model events)"


_LOADED: dict[str, Protocol[Any, Any]] = {}


def protocol_for(name: str) -> Protocol[Any, Any] | None:
    """The registered protocol of that name (loaded once), or None when none is installed under
    it (not remembered, so a protocol installed later is found). One that is installed but fails
    to load raises its one-line UserError: a broken package is not a missing one."""
    if name not in _LOADED:
        try:
            _LOADED[name] = get_protocol(name)
        except ProtocolNotInstalled:
            return None
    return _LOADED[name]


def not_installed(name: str) -> str:
    """The note a run of a protocol not installed here gets, once."""
    return clean(f"protocol {name!r} is not installed here: transcripts are shown in the generic view", one_line=True)


def forget_protocols() -> None:
    """Load every protocol afresh on next use (a test that registers one of its own)."""
    _LOADED.clear()


class _NoTexts:
    def get_text(self, ref: str) -> str | None:
        return None


def _fallback(transcript: dict[str, Any], notice: str, tree: bool) -> Body:
    """The generic view under the notice; as a one-node tree where the screen shows a tree."""
    generic = generic_body(transcript)
    shown = Group(Text(notice, style="bold red"), generic.renderable)
    if not tree:
        return Body(shown, source_ref=generic.source_ref)
    fallback = ReviewTree(labels={"generic": Text(notice, style="bold red")}, children={}, root="generic",
                          details=lambda _node: shown)
    return Body(shown, source_ref=generic.source_ref, tree=fallback)


def review_body(protocol: Protocol[Any, Any] | None, transcript: dict[str, Any], params: dict[str, Any],
                texts: TextReader | None = None, judgments: list[dict[str, Any]] | None = None,
                ) -> tuple[Body, str | None]:
    """The protocol's body of the transcript and None, or, when its hook fails, the generic
    view and the one-line notice saying which protocol and hook failed."""
    if protocol is None:
        return generic_body(transcript), None
    try:
        built = call_hook(protocol, "review_body", transcript, params, texts or _NoTexts(), list(judgments or []))
        if not isinstance(built, Body):
            raise UserError(f"protocol {protocol_label(protocol)!r}: its review_body hook returned a "
                            f"{type(built).__name__}, not an oversight.protocol.Body")
        if protocol.review_tree and built.tree is None:
            raise UserError(f"protocol {protocol_label(protocol)!r}: its review_body hook gave no tree, "
                            f"though review_tree is set")
    except UserError as exc:
        notice = clean(f"{exc}; showing the generic view", one_line=True)
        return _fallback(transcript, notice, bool(protocol.review_tree)), notice
    return built, None


def body(transcript: dict[str, Any], params: dict[str, Any], texts: TextReader | None = None,
         judgments: list[dict[str, Any]] | None = None) -> Body:
    """The transcript's review body by its protocol (a failing hook: the generic view, noted)."""
    return review_body(protocol_for(str(transcript.get("protocol"))), transcript, params, texts, judgments)[0]


Notice = Callable[[str], None]
"""Where a review screen sends a one-line notice (a failed hook), shown once."""


def _mark_hook(protocol: Protocol[Any, Any], hook: str, arg: Any, notice: Notice | None, instead: str) -> Mark | None:
    """A mark hook's answer, checked; when it fails, None, and the failure and what is done
    `instead` go to `notice`."""
    try:
        found = call_hook(protocol, hook, arg)
        if found is not None and not isinstance(found, Mark):
            raise UserError(f"protocol {protocol_label(protocol)!r}: its {hook} hook returned a "
                            f"{type(found).__name__}, not an oversight.protocol.Mark or None")
    except UserError as exc:
        if notice is not None:
            notice(clean(f"{exc}; {instead}", one_line=True))
        return None
    return found  # type: ignore[no-any-return]


def mark(protocol: Protocol[Any, Any] | None, judgment: dict[str, Any], notice: Notice | None = None) -> Mark | None:
    """A judgment's mark by its protocol's hook (the contract's default when none is loaded);
    when the hook fails, no mark, and the failure goes to `notice`."""
    if protocol is None:
        return correct_mark(judgment)
    return _mark_hook(protocol, "judgment_mark", judgment, notice, "verdicts it cannot mark show ·")


def transcript_mark(protocol: Protocol[Any, Any] | None, judgments: list[dict[str, Any]],
                    notice: Notice | None = None) -> Mark | None:
    """One rater's mark on a transcript by the protocol's `transcript_mark` (None: the judgments'
    own marks decide, also when the hook fails, which goes to `notice`)."""
    if protocol is None:
        return None
    return _mark_hook(protocol, "transcript_mark", judgments, notice,
                      "the verdict filter goes by each verdict's own mark")


def judgment_extra(protocol: Protocol[Any, Any] | None, transcript: dict[str, Any], judgment: dict[str, Any],
                   notice: Notice | None = None) -> Any:
    """What the protocol's `judgment_body` adds under a verdict; on failure, a red line saying so."""
    if protocol is None:
        return None
    try:
        extra = call_hook(protocol, "judgment_body", transcript, judgment)
        if extra is not None and not is_renderable(extra):
            raise UserError(f"protocol {protocol_label(protocol)!r}: its judgment_body hook returned a "
                            f"{type(extra).__name__}, not something Rich can draw")
        return extra
    except UserError as exc:
        line = clean(str(exc), one_line=True)
        if notice is not None:
            notice(line)
        return Text(line, style="bold red")


__all__ = ["Body", "FORGED_STYLE", "GENERIC_HELP", "LETTERS", "Notice", "QuoteRef", "TURN_STYLE", "body",
           "forget_protocols", "generic_body", "heading", "judgment_extra", "labelled", "mark", "not_installed",
           "protocol_for", "review_body", "transcript_mark"]
