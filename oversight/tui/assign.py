"""Which condition of each item a person judges: a function of the listed judge ids and the items.

People see one condition per item (someone who read an item's story cannot judge it blind).
The rule, with items in a run-wide seeded order (position p = 0, 1, ...), the run's conditions
in a fixed order (n of them) and the judge's rank r in the listed judges:

    condition of item p for judge r = conditions[(p + s(r)) mod n]
    s(r) = (q k + floor(q d / n)) mod n,  q = r mod n, k = m mod n, d = gcd(k, n)

Within one judge, positions 0..m-1 cycle through the conditions, so each condition comes
floor(m/n) or ceil(m/n) times. The shifts s(0..n-1) are a permutation of 0..n-1, so across
judges of ranks 0..J-1 one item's conditions cycle too: each condition of each item is judged
by floor(J/n) or ceil(J/n) of them. The k conditions a judge gets once more than the others
are the window [s(r), s(r)+k), and consecutive ranks' windows follow one another round the
conditions, so the totals over judges 0..J-1 (any J: judges added at the end) are balanced
too. (A plain shift s(r) = r would overlap those windows: 6 items, 4 conditions and 2 judges
gave totals 4/3/3/2.) Nothing depends on who started first: two judges starting at the same
moment get their own ranks.

An item a judge already saw keeps the condition they saw (counted first). Any other item takes
its cycle's condition only while that is among the ones this judge has been given least; else
(a failed unit, items added since the judge began) the least-given condition it has, so each
judge stays balanced (+-1 whenever every item has every condition). The balance across judges
holds exactly on a complete run judged from the start, and as nearly as the run allows otherwise.
"""

from __future__ import annotations

import hashlib
import math
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


def shift(rank: int, items: int, conditions: int) -> int:
    """s(rank) of the module docstring, for `items` items and `conditions` conditions."""
    k = items % conditions
    d = math.gcd(k, conditions)
    q = rank % conditions
    return (q * k + q * d // conditions) % conditions


def assign(items: list[str], conditions: list[str], rank: int,
           available: Mapping[str, Iterable[str]] | None = None,
           seen: Mapping[str, str] | None = None) -> dict[str, str]:
    """item -> condition for the judge of `rank`, `items` in run order (see the module docstring).

    `available`: the conditions each item has a finished transcript in (default: all);
    `seen`: items this judge already judged, with the condition they saw. Items with no
    available condition are left out.
    """
    n = len(conditions)
    m = len(items) if available is None else sum(1 for i in items if set(available.get(i, ())) & set(conditions))
    s = shift(rank, m, n)
    given: Counter[str] = Counter()
    out: dict[str, str] = {}
    have_of = {item: list(conditions) if available is None
               else [c for c in conditions if c in set(available.get(item, ()))] for item in items}
    for item in items:  # what they saw first: it counts before anything new is placed
        if seen and item in seen and seen[item] in have_of[item]:
            out[item] = seen[item]
            given[seen[item]] += 1
    for p, item in enumerate(items):
        have = have_of[item]
        if (seen and item in seen) or not have:
            continue  # seen: kept above (only other conditions of it: never shown); none: left out
        wanted = conditions[(p + s) % n]
        least = min(given[c] for c in have)
        if wanted in have and given[wanted] == least:
            choice = wanted
        else:  # keeps this judge balanced; ties: the next condition round the cycle from `wanted`
            w = conditions.index(wanted)
            choice = min(have, key=lambda c: (given[c], (conditions.index(c) - w) % n))
        out[item] = choice
        given[choice] += 1
    return out


__all__ = ["assign", "item_order", "rank_of", "shift", "stable_int"]
