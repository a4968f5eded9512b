"""Which condition of each item a person judges: a function of the listed judge ids and the items.

People see one condition per item (someone who read an item's story cannot judge it blind).
The rule, with items in a run-wide seeded order (position p = 0, 1, ...), the run's conditions
in a fixed order (n of them) and the judge's rank r in the listed judges:

    condition of item p for judge r = conditions[(p + r) mod n]

Within one judge, positions 0..m-1 cycle through the conditions, so each condition comes
floor(m/n) or ceil(m/n) times. Across judges of ranks 0..J-1, one item's conditions cycle
too, so each condition of each item is judged by floor(J/n) or ceil(J/n) of them. Nothing
depends on who started first: two judges starting at the same moment get their own ranks.

An item whose assigned condition has no finished transcript (a failed unit) takes instead the
available condition this judge has been given least so far (ties: the conditions' order), and
an item a judge already saw keeps the condition they saw, so the balance above holds exactly
on a complete run judged from the start, and as nearly as the run allows otherwise.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping


def stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def item_order(run_id: str, items: Iterable[str]) -> list[str]:
    """The run-wide order of items: the same for every judge and every look at the run."""
    return sorted(set(items), key=lambda i: (stable_int(f"{run_id}:item:{i}"), i))


def rank_of(judge_id: str, roster: list[str]) -> int:
    """The judge's place in the listed judges (the order given, so appending keeps ranks)."""
    return roster.index(judge_id)


def assign(items: list[str], conditions: list[str], rank: int,
           available: Mapping[str, Iterable[str]] | None = None,
           seen: Mapping[str, str] | None = None) -> dict[str, str]:
    """item -> condition for the judge of `rank`, `items` in run order (see the module docstring).

    `available`: the conditions each item has a finished transcript in (default: all);
    `seen`: items this judge already judged, with the condition they saw. Items with no
    available condition are left out.
    """
    n = len(conditions)
    given: Counter[str] = Counter()
    out: dict[str, str] = {}
    for p, item in enumerate(items):
        have = list(conditions) if available is None else [c for c in conditions if c in set(available.get(item, ()))]
        if seen and item in seen:
            if seen[item] in have:
                out[item] = seen[item]
                given[seen[item]] += 1
            continue  # only other conditions of an item they saw: never shown
        if not have:
            continue
        wanted = conditions[(p + rank) % n]
        choice = wanted if wanted in have else min(have, key=lambda c: (given[c], conditions.index(c)))
        out[item] = choice
        given[choice] += 1
    return out


__all__ = ["assign", "item_order", "rank_of", "stable_int"]
