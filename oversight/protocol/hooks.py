"""Calling a protocol's hooks from generic code: a hook that raises, or a "module:attr" hook that
cannot be loaded, is a one-line UserError naming the protocol and the hook, never a traceback
and never a quiet fallback to the generic behaviour. A UserError the hook raises itself is
already the protocol's own one-line message and passes through unchanged."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from oversight.core.errors import UserError, bounded
from oversight.protocol.judge_view import JudgeView

T = TypeVar("T")


def protocol_label(proto: Any) -> str:
    """The name a message gives a protocol (its class name if it set none)."""
    name = getattr(type(proto), "name", None) if not isinstance(proto, str) else proto
    return name if isinstance(name, str) and name else type(proto).__name__


def hook_failure(protocol: str, hook: str, exc: BaseException) -> UserError:
    """The one line for a hook that raised `exc`."""
    detail = " ".join(str(exc).split()) or "no message"
    return UserError(f"protocol {protocol!r}: its {hook} hook failed ({type(exc).__name__}: {bounded(detail)})")


@contextmanager
def hook_guard(protocol: str, hook: str) -> Iterator[None]:
    """Code inside runs a protocol's `hook` (a loaded drawer, a generator of figures)."""
    try:
        yield
    except UserError:
        raise
    except Exception as exc:  # a third-party hook may raise anything; the user gets one line
        raise hook_failure(protocol, hook, exc) from exc


def call_hook(proto: Any, hook: str, *args: Any, **kwargs: Any) -> Any:
    """`proto.<hook>(*args)`, with any exception it raises turned into one line."""
    with hook_guard(protocol_label(proto), hook):
        return getattr(proto, hook)(*args, **kwargs)


async def call_hook_async(proto: Any, hook: str, *args: Any, **kwargs: Any) -> Any:
    """`await proto.<hook>(*args)`, like `call_hook`."""
    with hook_guard(protocol_label(proto), hook):
        result: Awaitable[Any] = getattr(proto, hook)(*args, **kwargs)
        return await result


def call_hook_as(kind: type[T], proto: Any, hook: str, *args: Any, **kwargs: Any) -> T:
    """`call_hook`, and a value that is not a `kind` is one line too (a hook returning the wrong
    thing would otherwise fail later, far from its cause)."""
    value = call_hook(proto, hook, *args, **kwargs)
    if not isinstance(value, kind):
        raise UserError(f"protocol {protocol_label(proto)!r}: its {hook} hook returned a {type(value).__name__}, "
                        f"not a {kind.__name__}")
    return value


def call_views(proto: Any, transcript: dict[str, Any], params: Any, texts: Any) -> list[JudgeView]:
    """`proto.judge_views(...)`, checked: a list of `JudgeView`s with distinct keys, else one line
    naming what came back (a dict standing for a view would fail deep inside judging; a repeated
    key would merge two views' judgments into one)."""
    views = call_hook(proto, "judge_views", transcript, params, texts)
    if not isinstance(views, (list, tuple)) or not all(isinstance(v, JudgeView) for v in views):
        odd = views if not isinstance(views, (list, tuple)) else next(v for v in views if not isinstance(v, JudgeView))
        raise UserError(f"protocol {protocol_label(proto)!r}: its judge_views hook returned "
                        f"{bounded(repr(odd))}, not a list of JudgeView (oversight.protocol.JudgeView)")
    keys = [v.key for v in views]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:  # judgments are kept per view key: a repeat would silently stand for the other view
        raise UserError(f"protocol {protocol_label(proto)!r}: its judge_views hook gave view key "
                        f"{bounded(repr(repeated[0]))} twice for transcript {bounded(repr(transcript.get('id')))}; "
                        f"give each view of a transcript its own key")
    return list(views)


def hook_value(proto: Any, hook: str) -> Any:
    """A hook that is a class attribute (`published`, `figures`): a property that raises is one line."""
    with hook_guard(protocol_label(proto), hook):
        return getattr(proto, hook)


def load_spec(protocol: str, hook: str, spec: str) -> Callable[..., Any]:
    """The callable a "module:attr" hook names, or one line saying why it cannot be loaded:
    the module fails to import (any exception while loading), lacks the attribute, or the
    attribute is not callable."""
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr:
        raise UserError(f"protocol {protocol!r}: its {hook} hook {spec!r} is not \"module:attr\"")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except Exception as exc:  # ImportError, SyntaxError, or whatever the module raises at import
        detail = " ".join(str(exc).split()) or "no message"
        raise UserError(f"protocol {protocol!r}: its {hook} hook {spec!r} cannot be loaded "
                        f"({type(exc).__name__}: {bounded(detail)})") from exc
    if not callable(fn):
        raise UserError(f"protocol {protocol!r}: its {hook} hook {spec!r} is a {type(fn).__name__}, not a function")
    return fn  # type: ignore[no-any-return]


def load_hook(proto: Any, hook: str) -> Callable[..., Any] | None:
    """The callable of a protocol's "module:attr" hook (`figures`, `cross_run`); None when it has none."""
    spec = hook_value(proto, hook)
    if not spec:
        return None
    if not isinstance(spec, str):
        raise UserError(f"protocol {protocol_label(proto)!r}: its {hook} hook is a {type(spec).__name__}, "
                        f"not a \"module:attr\" string")
    return load_spec(protocol_label(proto), hook, spec)


__all__ = ["call_hook", "call_views", "call_hook_as", "call_hook_async", "hook_failure", "hook_guard", "hook_value", "load_hook", "load_spec",
           "protocol_label"]
