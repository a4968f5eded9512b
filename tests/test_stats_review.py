"""Independent probes of the interval functions: a closed form of Newcombe (1998b) written here
from the paper's formulas, and the cluster variants reduced to it where they must agree."""

from __future__ import annotations

import math

import pytest

from oversight.stats import paired_difference

Z = 1.959963984540054


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def newcombe_paired(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Method 10 of Newcombe (1998b): a both, b first only, c second only, d neither."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = _wilson(a + b, n)
    l2, u2 = _wilson(a + c, n)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    x = a * d - b * c
    num = x - n / 2 if x > n / 2 else 0 if x >= 0 else x
    phi = num / math.sqrt(margins) if margins else 0.0
    dl = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    du = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, p1 - p2 - dl), min(1.0, p1 - p2 + du)


def _items(a: int, b: int, c: int, d: int, m: int = 1) -> dict[str, tuple[int, int, int, int]]:
    rows = [(m, m, m, m)] * a + [(m, m, 0, m)] * b + [(0, m, m, m)] * c + [(0, m, 0, m)] * d
    return {f"t{i:03d}": row for i, row in enumerate(rows)}


TABLES = [(18, 12, 2, 18), (5, 0, 0, 5), (10, 0, 0, 0), (3, 2, 1, 4), (8, 1, 1, 8), (2, 0, 0, 0), (1, 1, 0, 0),
          (4, 3, 3, 4), (0, 6, 0, 0), (6, 2, 2, 2)]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("m", [2, 3, 4])
def test_unanimous_clusters_give_method_10_over_clusters(table: tuple[int, int, int, int], m: int) -> None:
    """A transcript judged in both answer orders with the same verdict twice carries one
    transcript's evidence: the paired cluster interval must be method 10 over transcripts,
    not narrower (a correction that shrinks with the cluster size narrows it)."""
    lo, hi = newcombe_paired(*table)
    got = paired_difference(_items(*table, m=m))
    assert got.ci == pytest.approx([lo, hi], abs=6e-5)
