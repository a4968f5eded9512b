"""Which protocols exist: the built-in ones by "module:attr" strings, so a protocol added in this
tree works without reinstalling, and third-party ones through the `oversight.protocols`
entry-point group, declared in their own pyproject.toml."""

from __future__ import annotations

from functools import cache
from importlib import metadata
from typing import Any

from oversight.core.errors import UserError, bounded
from oversight.protocol.contract import Protocol
from oversight.protocol.declared import check_declared

ENTRY_POINT_GROUP = "oversight.protocols"
BUILTIN = {
    "critique": "oversight.protocols.critique:CritiqueProtocol",
    "debate": "oversight.protocols.debate:DebateProtocol",
    "summarize": "oversight.protocols.summarize:SummarizeProtocol",
}
"""Name -> "module:attr" of each protocol shipped in this package."""


class ProtocolNotInstalled(UserError):
    """No protocol is registered under the name: a run made where another package was
    installed. Readers of such a run fall back to generic views; a protocol that is installed
    but fails to load is a plain UserError, never this."""


def _dist_name(ep: metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "an unnamed distribution"


@cache
def _entry_points() -> dict[str, metadata.EntryPoint]:
    """Protocols installed by other distributions (tests add theirs here). Entry points that an
    older install of oversight itself left in its metadata are not another distribution's; two
    distributions giving one name different protocols is a one-line error naming both."""
    points: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.dist is not None and ep.dist.name == "oversight":
            continue
        seen = points.get(ep.name)
        if seen is not None and seen.value != ep.value:
            raise UserError(
                f"protocol {ep.name!r} is registered by two installed distributions, {_dist_name(seen)!r} "
                f"({seen.value}) and {_dist_name(ep)!r} ({ep.value}): uninstall one, or rename its entry point "
                f"in the {ENTRY_POINT_GROUP!r} group")
        points.setdefault(ep.name, ep)
    return points


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
        raise ProtocolNotInstalled(
            f"unknown protocol {name!r} (known: {', '.join(sorted(points)) or 'none'}; a package adds "
            f"one through the {ENTRY_POINT_GROUP!r} entry-point group)"
        )
    try:
        cls = points[name].load()
    except Exception as exc:  # a broken third-party package must not traceback the CLI
        raise UserError(f"protocol {name!r}: cannot load {points[name].value} ({type(exc).__name__}: "
                        f"{bounded(' '.join(str(exc).split()))})") from None
    if not (isinstance(cls, type) and issubclass(cls, Protocol)):
        raise UserError(f"protocol {name!r}: {points[name].value} is not an oversight.protocol.Protocol subclass")
    try:
        proto = cls()
    except Exception as exc:  # a constructor that raises is a broken package too
        raise UserError(f"protocol {name!r}: cannot load {points[name].value} ({type(exc).__name__}: "
                        f"{bounded(' '.join(str(exc).split()))})") from None
    check_declared(proto)
    return proto
