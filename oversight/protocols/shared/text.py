"""Word-level text helpers protocols share (length limits on speeches and summaries)."""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")


def cut_words(text: str, limit: int) -> tuple[str, int, bool]:
    """Keep the first `limit` words (whitespace kept as written); return text, word count, cut?"""
    words = list(_WORD.finditer(text))
    if len(words) <= limit:
        return text.strip(), len(words), False
    return text[: words[limit - 1].end()].strip(), limit, True
