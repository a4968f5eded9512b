"""Shape checks of the records read back from a run folder, so readers never meet a wrong type.

A line may be valid JSON of the wrong shape (edited by hand, written by another tool): an
integer id, `events` as a string, `outcome` as a list, a bare `{"id": ...}`. Every reader goes
through `RunFolder`, which skips such a line with a warning naming the file, the line and the
field (`transcript_problem`, `judgment_problem`). The checks follow the contract of
oversight.log.transcripts (README "Run folder") for the fields readers use; other fields pass as they
are. They are plain type tests, not model validation: a report streams 100,000 lines through them.

Only the contract's own fields are typed here. A protocol types its own verdict, outcome and note
fields (`Protocol.judgment_types`, ...); readers that know the run's protocol check those too
through the `RecordShapes` it gives (`oversight.protocol.shapes`), and a run whose protocol is not
installed is read with the contract's fields alone.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

MAX_DEPTH = 250
"""Deepest nesting a record's free-form parts (outcome, notes, verdict fields) may have: readers
print, copy and serialise them recursively (json.dumps fails near 1,000 levels, deepcopy sooner)."""

_NONE = type(None)
_TEXT = (str,)
_TEXT_OR_NONE = (str, _NONE)
_LIST_OR_NONE = (list, _NONE)
_DICT_OR_NONE = (dict, _NONE)
_BOOL_OR_NONE = (bool, _NONE)

TRANSCRIPT_REQUIRED: dict[str, tuple[type, ...]] = {
    "id": _TEXT, "item_id": _TEXT, "protocol": _TEXT, "condition": _TEXT, "events": (list,), "outcome": (dict,),
}
TRANSCRIPT_OPTIONAL: dict[str, tuple[type, ...]] = {
    "schema": _TEXT, "run_id": _TEXT, "error": _TEXT_OR_NONE, "attempt": _TEXT_OR_NONE, "created_at": _TEXT_OR_NONE,
    "usage": _DICT_OR_NONE, "usage_by_role": _DICT_OR_NONE,
}
EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "role": _TEXT_OR_NONE, "step": _TEXT_OR_NONE, "model": _TEXT_OR_NONE, "input": _LIST_OR_NONE,
    "content": _TEXT_OR_NONE, "usage": _DICT_OR_NONE, "cached": _BOOL_OR_NONE, "logprobs": _LIST_OR_NONE,
    "error": _TEXT_OR_NONE, "endpoint": _TEXT_OR_NONE,
}
JUDGMENT_OPTIONAL: dict[str, tuple[type, ...]] = {
    "schema": _TEXT, "attempt": _TEXT_OR_NONE, "id": _TEXT_OR_NONE, "supersedes": _TEXT_OR_NONE,
    "retracted": _BOOL_OR_NONE, "correct": _BOOL_OR_NONE, "invalid": _BOOL_OR_NONE, "failed": _BOOL_OR_NONE,
    "condition": _TEXT_OR_NONE, "view_key": _TEXT_OR_NONE, "raw": (str, dict, _NONE), "reason": _TEXT_OR_NONE,
    "usage": _DICT_OR_NONE, "created_at": _TEXT_OR_NONE,
}
"""The contract's own judgment fields; a protocol's verdict fields are typed by its `RecordShapes`."""
USAGE_INTEGERS = ("input_tokens", "output_tokens")


_PLAIN: dict[Any, tuple[type, ...]] = {
    str: (str,), int: (int,), float: (int, float), bool: (bool,), list: (list,), dict: (dict,), _NONE: (_NONE,),
}
"""A declared type -> the value types it admits (`float` is any number; a boolean is no number)."""
_SAID = {str: "a string", int: "an integer", float: "a number", bool: "true/false", list: "a list",
         dict: "an object", _NONE: "null"}
_PLURAL = {str: "strings", int: "integers", float: "numbers", bool: "booleans", list: "lists", dict: "objects",
           _NONE: "nulls"}


@dataclass(frozen=True)
class FieldType:
    """One declared field's type as readers test it (`field_type` makes one)."""

    admits: tuple[type, ...]
    said: str
    """How a message names it: "a number or null"."""
    items: tuple[type, ...] | None = None
    """For `list[T]`: what each item may be."""
    items_said: str = ""


def field_type(spec: Any) -> FieldType:
    """A FieldType from a plain annotation: `str`, `int`, `float` (any number), `bool`, `list`,
    `dict`, `list[T]` with T one of these, or a union of them with `None` (`float | None`).
    ValueError for anything else (a reader tests types, not schemas)."""
    parts = typing.get_args(spec) if typing.get_origin(spec) in (typing.Union, types.UnionType) else (spec,)
    admits: list[type] = []
    said: list[str] = []
    items: tuple[type, ...] | None = None
    items_said = ""
    for part in parts:
        part = _NONE if part is None else part
        inner = typing.get_args(part)
        if typing.get_origin(part) is list and len(inner) == 1 and inner[0] in _PLAIN and items is None:
            admits.append(list)
            items, items_said = _PLAIN[inner[0]], _SAID[inner[0]]
            said.append(f"a list of {_PLURAL[inner[0]]}")
        elif isinstance(part, type) and part in _PLAIN and not inner:
            admits += _PLAIN[part]
            said.append(_SAID[part])
        else:
            raise ValueError(f"{part!r} is not str, int, float, bool, list, dict, list[T] or None")
    return FieldType(tuple(dict.fromkeys(admits)), " or ".join(dict.fromkeys(said)), items, items_said)


@dataclass(frozen=True)
class RecordShapes:
    """Field types beyond the contract's, declared by a run's protocol: readers skip a line whose
    declared field has another type, so the protocol's own code never meets one."""

    judgment: Mapping[str, FieldType] = field(default_factory=dict)
    outcome: Mapping[str, FieldType] = field(default_factory=dict)
    note: Mapping[str, FieldType] = field(default_factory=dict)
    """Fields of the protocol's non-model events (`rec.note`)."""

    def reserved(self) -> str:
        """The typed field names, for the message a protocol gets when it writes a wrong type."""
        judged = [*JUDGMENT_OPTIONAL, *self.judgment]
        return "judgment fields with fixed types: " + ", ".join(judged) + "; note fields: " + ", ".join(
            [*EVENT_FIELDS, *self.note])


GENERIC = RecordShapes()
"""The contract's fields alone: a run read without its protocol (or one that declares none)."""

CONTRACT_NAMES = {"judgment": frozenset({*JUDGMENT_OPTIONAL, "transcript_id", "judge"}),
                  "outcome": frozenset(), "note": frozenset({*EVENT_FIELDS, "type", "latency_s"})}
"""Fields whose type the contract fixes: a protocol may not declare them again."""


def record_shapes(judgment: Mapping[str, Any], outcome: Mapping[str, Any], note: Mapping[str, Any]) -> RecordShapes:
    """RecordShapes from field -> annotation mappings; ValueError naming the part and field."""
    compiled: dict[str, dict[str, FieldType]] = {}
    for part, declared in (("judgment", judgment), ("outcome", outcome), ("note", note)):
        compiled[part] = {}
        for name, spec in declared.items():
            if not isinstance(name, str):
                raise ValueError(f"{part} field {name!r} is not a string")
            if name in CONTRACT_NAMES[part]:
                raise ValueError(f"{part} field {name!r} is the contract's own (its type is fixed)")
            try:
                compiled[part][name] = field_type(spec)
            except ValueError as exc:
                raise ValueError(f"{part} field {name!r}: {exc}") from None
    return RecordShapes(**compiled)


def _declared(record: Mapping[str, Any], spec: Mapping[str, FieldType], where: str) -> str | None:
    for name, wanted in spec.items():
        if name not in record:
            continue
        value = record[name]
        if type(value) not in wanted.admits:
            return f"{where}{name} is {_kind(value)}, not {wanted.said}"
        if type(value) is float and not math.isfinite(value):  # JSON has no infinity: a hand edit or another tool
            return f"{where}{name} is {value}, not a finite number"
        if wanted.items is not None and type(value) is list:
            for n, item in enumerate(value):
                if type(item) not in wanted.items:
                    return f"{where}{name}[{n}] is {_kind(item)}, not {wanted.items_said}"
    return None


def _kind(value: Any) -> str:
    return "null" if value is None else {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
                                         int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def _want(types: tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", _NONE: "null"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _fields(record: dict[str, Any], spec: dict[str, tuple[type, ...]], where: str,
            required: bool) -> str | None:
    for name, types in spec.items():
        if name not in record:
            if required:
                return f"{where}{name} is missing"
            continue
        value = record[name]
        if type(value) not in types:
            return f"{where}{name} is {_kind(value)}, not {_want(types)}"
    return None


def _number(value: Any, integer: bool) -> bool:
    if value is None or type(value) is int:
        return True
    return not integer and type(value) is float


def _usage(usage: Any, where: str) -> str | None:
    if not isinstance(usage, dict):
        return None
    for name in USAGE_INTEGERS:
        if name in usage and type(usage[name]) is not int:
            return f"{where}usage.{name} is {_kind(usage[name])}, not an integer"
    cost = usage.get("cost_usd")
    if cost is not None and type(cost) not in (int, float):
        return f"{where}usage.cost_usd is {_kind(cost)}, not a number"
    return None


def _message(message: Any, where: str) -> str | None:
    if not isinstance(message, dict):
        return f"{where} is {_kind(message)}, not an object"
    if "parts" in message:
        parts = message["parts"]
        if not isinstance(parts, list) or not all(
                isinstance(p, str) or isinstance(p, dict) and isinstance(p.get("ref"), str) for p in parts):
            return f"{where}.parts is not a list of texts and {{\"ref\": ...}} objects"
    elif not isinstance(message.get("content"), str):
        return f"{where}.content is {_kind(message.get('content'))}, not a string"
    if not isinstance(message.get("role"), str):
        return f"{where}.role is {_kind(message.get('role'))}, not a string"
    return None


def too_deep(value: Any) -> bool:
    """Whether `value` nests deeper than MAX_DEPTH. orjson serialises up to about that depth in
    C (fast); only what it refuses (a deeper value, or an integer past 64 bits) is walked here."""
    try:
        orjson.dumps(value)
        return False
    except TypeError:
        pass
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


_DEEP = f"nested more than {MAX_DEPTH} levels deep"


def transcript_problem(record: dict[str, Any], shapes: RecordShapes = GENERIC) -> str | None:
    """What is wrong with a transcript line's shape, or None if readers can use it."""
    problem = (_fields(record, TRANSCRIPT_REQUIRED, "", True) or _fields(record, TRANSCRIPT_OPTIONAL, "", False)
               or _declared(record["outcome"], shapes.outcome, "outcome."))
    if problem:
        return problem
    if too_deep(record["outcome"]):
        return f"outcome is {_DEEP}"
    problem = _usage(record.get("usage"), "")
    if problem:
        return problem
    for role, usage in (record.get("usage_by_role") or {}).items():
        if not isinstance(usage, dict):
            return f"usage_by_role.{role} is {_kind(usage)}, not an object"
        problem = _usage(usage, f"usage_by_role.{role}.")
        if problem:
            return problem
    for n, event in enumerate(record["events"]):
        where = f"events[{n}]."
        if not isinstance(event, dict):
            return f"events[{n}] is {_kind(event)}, not an object"
        if not isinstance(event.get("type"), str):
            return f"{where}type is {_kind(event.get('type'))}, not a string"
        problem = _fields(event, EVENT_FIELDS, where, False) or _usage(event.get("usage"), where)
        if not problem and shapes.note and event["type"] not in ("model", "model_error"):
            problem = _declared(event, shapes.note, where)
        if problem:
            return problem
        free = event.get("logprobs") if event["type"] in ("model", "model_error") else event
        if free is not None and too_deep(free):
            return f"events[{n}] is {_DEEP}"
        if "latency_s" in event and not _number(event["latency_s"], integer=False):
            return f"{where}latency_s is {_kind(event['latency_s'])}, not a number"
        for m, message in enumerate(event.get("input") or []):
            problem = _message(message, f"{where}input[{m}]")
            if problem:
                return problem
    return None


def judgment_problem(record: dict[str, Any], shapes: RecordShapes = GENERIC) -> str | None:
    """What is wrong with a judgment line's shape, or None if readers can use it."""
    if not isinstance(record.get("transcript_id"), str):
        return f"transcript_id is {_kind(record.get('transcript_id'))}, not a string"
    judge = record.get("judge")
    if not isinstance(judge, dict):
        return f"judge is {_kind(judge)}, not an object"
    if judge.get("kind") not in ("model", "human"):
        return f"judge.kind is {str(judge.get('kind'))[:40]!r}, not 'model' or 'human'"
    if not isinstance(judge.get("id"), str):
        return f"judge.id is {_kind(judge.get('id'))}, not a string"
    problem = (_fields(record, JUDGMENT_OPTIONAL, "", False) or _usage(record.get("usage"), "")
               or _declared(record, shapes.judgment, ""))
    if problem:
        return problem
    if too_deep(record):
        return _DEEP
    return None


def event_problem(data: dict[str, Any], shapes: RecordShapes = GENERIC) -> str | None:
    """What is wrong with a note's fields: the ones it shares with a model event's, and the ones
    its protocol declares."""
    return _fields(data, EVENT_FIELDS, "", False) or _declared(data, shapes.note, "")


__all__ = ["GENERIC", "MAX_DEPTH", "FieldType", "RecordShapes", "event_problem", "field_type", "judgment_problem",
           "record_shapes", "too_deep", "transcript_problem"]
