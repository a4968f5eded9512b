"""Which protocols exist: the built-in ones by "module:attr" strings, so a protocol added in this
tree works without reinstalling, and third-party ones through the `oversight.protocols`
entry-point group, declared in their own pyproject.toml."""

from __future__ import annotations

from functools import cache
from importlib import metadata
from typing import Any

from oversight.core.errors import UserError
from oversight.protocol.contract import Protocol

ENTRY_POINT_GROUP = "oversight.protocols"
BUILTIN = {
    "critique": "oversight.protocols.critique:CritiqueProtocol",
    "debate": "oversight.protocols.debate:DebateProtocol",
    "summarize": "oversight.protocols.summarize:SummarizeProtocol",
}
"""Name -> "module:attr" of each protocol shipped in this package."""


@cache
def _entry_points() -> dict[str, metadata.EntryPoint]:
    """Protocols installed by other distributions (tests add theirs here). Entry points that an
    older install of oversight itself left in its metadata are not another distribution's."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
            if ep.dist is None or ep.dist.name != "oversight"}


def _registered() -> dict[str, metadata.EntryPoint]:
    points = {name: metadata.EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP) for name, value in BUILTIN.items()}
    for name, ep in _entry_points().items():
        if name in points and ep.value != points[name].value:
            raise UserError(f"protocol {name!r} is built in, but an installed package also registers {ep.value!r} "
                            f"under that name: rename its entry point in the {ENTRY_POINT_GROUP!r} group")
        points[name] = ep
    return points


def protocol_names() -> list[str]:
    return sorted(_registered())


def get_protocol(name: str) -> Protocol[Any, Any]:
    """A fresh instance of the protocol registered under `name`."""
    points = _registered()
    if name not in points:
        raise UserError(
            f"unknown protocol {name!r} (known: {', '.join(sorted(points)) or 'none'}; a package adds "
            f"one through the {ENTRY_POINT_GROUP!r} entry-point group)"
        )
    try:
        cls = points[name].load()
    except Exception as exc:  # a broken third-party package must not traceback the CLI
        raise UserError(f"protocol {name!r}: cannot load {points[name].value} ({type(exc).__name__}: {exc})") from None
    if not (isinstance(cls, type) and issubclass(cls, Protocol)):
        raise UserError(f"protocol {name!r}: {points[name].value} is not an oversight.protocol.Protocol subclass")
    return cls()
