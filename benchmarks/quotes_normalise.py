"""What does checking quotes against a long story cost?

Builds a long text from real QuALITY stories (`../shared/data/quality_debate.jsonl`, or a book
from `../shared/data/books/` with --book), then measures, in one run:
- normalising the passage once (what a new story costs; cached afterwards);
- `Passage(story)` again for the same text (what every later unit of that story costs);
- checking quotes: exact ones (found on word boundaries) and near misses (one word changed,
  which pays for rapidfuzz's alignment over the whole passage);
- the old per-character normalisation, for comparison.

    .venv/bin/python benchmarks/quotes_normalise.py [--chars 300000] [--quotes 50] [--book frankenstein.txt]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oversight.protocols.shared.quotes import _FOLD, Passage, _normalise_cached, normalise  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def per_char_normalise(raw: str) -> str:
    """The previous implementation: one Python step (and one NFKC call) per character."""
    out: list[str] = []
    pending = False
    for ch in raw:
        for c in unicodedata.normalize("NFKC", ch).translate(_FOLD).lower():
            if c.isalnum():
                if pending and out:
                    out.append(" ")
                pending = False
                out.append(c)
            else:
                pending = True
    return "".join(out)


def long_text(chars: int, book: str | None) -> str:
    if book:
        text = (SHARED / "books" / book).read_text(encoding="utf-8")
    else:
        stories: dict[str, str] = {}
        with (SHARED / "quality_debate.jsonl").open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                stories.setdefault(row["article_id"], row["story"])
        text = "\n\n".join(stories.values())
    while len(text) < chars:
        text += "\n\n" + text
    return text[:chars]


def quotes_from(text: str, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """n exact quotes (8-20 words of the text) and n near misses (one word of each replaced)."""
    words = text.split()
    exact, near = [], []
    for _ in range(n):
        k = rng.randint(8, 20)
        i = rng.randrange(0, len(words) - k)
        quote = words[i:i + k]
        exact.append(" ".join(quote))
        j = rng.randrange(k)
        near.append(" ".join([*quote[:j], "xylophone", *quote[j + 1:]]))
    return exact, near


def timed(fn, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chars", type=int, default=300_000)
    ap.add_argument("--quotes", type=int, default=50)
    ap.add_argument("--book", default=None, help="a file name in ../shared/data/books/")
    args = ap.parse_args()
    text = long_text(args.chars, args.book)
    exact, near = quotes_from(text, args.quotes, random.Random(0))

    t_norm = timed(lambda: normalise(text), repeat=3)
    _normalise_cached.cache_clear()
    t_first = timed(lambda: Passage(text))
    t_again = timed(lambda: Passage(text), repeat=20)
    passage = Passage(text)
    t_exact = timed(lambda: [passage.check(q) for q in exact]) / len(exact)
    t_near = timed(lambda: [passage.check(q) for q in near]) / len(near)
    verified = sum(passage.check(q).verified for q in exact)
    t_old = timed(lambda: per_char_normalise(text))
    assert per_char_normalise(text) == normalise(text).text, "vectorised and per-character normalise disagree"

    print(f"passage: {len(text):,} characters; {len(exact)} exact quotes ({verified} verified), {len(near)} near misses")
    print(f"normalise (vectorised)          {t_norm * 1e3:9.2f} ms per passage")
    print(f"normalise (old per-character)   {t_old * 1e3:9.2f} ms per passage   ({t_old / t_norm:.1f}x slower)")
    print(f"Passage(story), first time      {t_first * 1e3:9.2f} ms")
    print(f"Passage(story), same story again{t_again * 1e3:9.3f} ms   (cached normalisation)")
    print(f"check an exact quote            {t_exact * 1e3:9.3f} ms per quote")
    print(f"check a near miss (fuzzy)       {t_near * 1e3:9.3f} ms per quote")


if __name__ == "__main__":
    main()
