"""A unit of work: one item under one condition. Its own module so the Recorder (which records
one unit) and the contract (which makes units) need not import each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

I = TypeVar("I")


@dataclass
class Unit(Generic[I]):
    """One item under one condition; becomes one transcript line with id `id`."""

    id: str
    item_id: str
    condition: str
    item: I
    data: dict[str, Any] = field(default_factory=dict)
    """Per-unit assignments the protocol makes up front (e.g. the consultant's side), seeded."""
