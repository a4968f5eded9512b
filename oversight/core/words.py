"""Counts in printed English: one helper, so every table, caption and status line says
"1 unit" and "2 units" alike."""

from __future__ import annotations

_IRREGULAR = {"analysis": "analyses", "was": "were", "is": "are", "this": "these"}


def plural(word: str, n: int, many: str | None = None) -> str:
    """`word` as it reads after the count `n` (the plural adds "s" unless `many` says otherwise)."""
    if n == 1:
        return word
    return many or _IRREGULAR.get(word) or (word + "es" if word.endswith(("s", "x", "ch", "sh")) else word + "s")


def count(n: int, word: str, many: str | None = None) -> str:
    """`n` and its noun: "1 round", "3 rounds", "0 items"."""
    return f"{n} {plural(word, n, many)}"


def count_of(n: int | str | None, many: str) -> str:
    """`n` and a noun given in the plural ("verdicts", "gold flaws"): "1 verdict", "4 verdicts"."""
    if n == 1 and many.endswith("s") and not many.endswith("ss"):
        return f"{n} {many[:-1]}"
    return f"{n} {many}"


__all__ = ["count", "count_of", "plural"]
