"""A protocol's declared hooks (class attributes such as `Params`, `view_alternatives`) checked
once, when the registry makes the protocol: a wrong type is one line naming the protocol and the
hook there, not a traceback wherever the value is first read."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel

from oversight.core.errors import UserError, bounded
from oversight.core.shapes import RecordShapes, record_shapes
from oversight.protocol.hooks import hook_value, protocol_label

STRING_SETS = ("metrics_event_types", "judgment_fields_shown", "optional_roles", "form_hidden")
"""Hooks that are sets of names: any collection of str is taken (a list, a tuple), as a frozenset."""


def _wrong(proto: Any, hook: str, value: Any, wanted: str) -> UserError:
    return UserError(f"protocol {protocol_label(proto)!r}: its {hook} hook is {bounded(repr(value), 80)} "
                     f"(a {type(value).__name__}), not {wanted}")


def _names(value: Any) -> frozenset[str] | None:
    """`value` as a frozenset of str, or None when it is not a collection of str (a bare str is not)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Collection):
        return None
    if not all(isinstance(x, str) for x in value):
        return None
    return frozenset(value)


SHAPE_HOOKS = ("judgment_types", "outcome_types", "note_types")


def protocol_shapes(proto: Any) -> RecordShapes:
    """The field types `proto` declares, as readers test them; a declaration they cannot test is
    one line naming the hook and the field."""
    declared: dict[str, Mapping[str, Any]] = {}
    for hook in SHAPE_HOOKS:
        value = hook_value(proto, hook)
        if not isinstance(value, Mapping):
            raise _wrong(proto, hook, value, "a mapping of field name to type (float | None, list[dict], ...)")
        declared[hook] = value
    try:
        return record_shapes(declared["judgment_types"], declared["outcome_types"], declared["note_types"])
    except ValueError as exc:
        part = str(exc).split(" ", 1)[0]
        raise UserError(f"protocol {protocol_label(proto)!r}: its {part}_types hook: {exc}") from None


def check_declared(proto: Any) -> None:
    """Check the declared hooks of a fresh protocol instance, normalising collections in place."""
    params = hook_value(proto, "Params")
    if not (isinstance(params, type) and issubclass(params, BaseModel)):
        raise _wrong(proto, "Params", params, "a pydantic model class (class MyParams(BaseModel): ...)")
    package = hook_value(proto, "prompt_package")
    if not isinstance(package, str) or not package:
        raise _wrong(proto, "prompt_package", package, 'a package name such as "my_protocol.prompts"')
    templates = hook_value(proto, "templates")
    if not (isinstance(templates, Mapping) and all(isinstance(k, str) and _names(v) is not None
                                                   for k, v in templates.items())):
        raise _wrong(proto, "templates", templates, "a mapping of template name to the set of its variables")
    for hook in STRING_SETS:
        names = _names(hook_value(proto, hook))
        if names is None:
            raise _wrong(proto, hook, hook_value(proto, hook), "a set of str")
        setattr(proto, hook, names)
    keys = hook_value(proto, "metrics_outcome_keys")
    if keys is not None:
        names = _names(keys)
        if names is None:
            raise _wrong(proto, "metrics_outcome_keys", keys, "None or a set of str (the outcome fields metrics read)")
        setattr(proto, "metrics_outcome_keys", names)
    alternatives = hook_value(proto, "view_alternatives")
    if isinstance(alternatives, Mapping):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in alternatives.items()):
            raise _wrong(proto, "view_alternatives", alternatives, "a mapping of view key to the part it shows")
        setattr(proto, "view_alternatives", dict(alternatives))
    else:
        keys_only = _names(alternatives)
        if keys_only is None:
            raise _wrong(proto, "view_alternatives", alternatives,
                         "a mapping of view key to the part it shows, or a collection of view keys")
        # the keys alone: every one of them shows the same part, in its own way; the order
        # given is kept, so `--no-swap` keeps the first
        ordered = list(dict.fromkeys(alternatives)) if not isinstance(alternatives, (set, frozenset)) \
            else sorted(keys_only)
        setattr(proto, "view_alternatives", {key: "alternatives" for key in ordered})
    protocol_shapes(proto)


__all__ = ["SHAPE_HOOKS", "check_declared", "protocol_shapes"]
