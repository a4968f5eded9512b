"""The free-text and JSON readers against a second corpus, written by a reviewer who had not
seen the parser's own corpus: `tests/data/judge_outputs_review.jsonl`.

Same item format and scoring as `test_verdict_corpus`, except that an answer read right with a
stated probability left out ("Answer: B. p=0.66" read as B, no probability) is counted apart as
*dropped*: no number is false, so it is a lesser defect, like an unread clear answer. A
confident wrong answer, rating or probability value fails the test.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.protocols.shared.test_verdict_corpus import PROB_TOLERANCE, _score_choice, _score_rating

CORPUS = Path(__file__).resolve().parents[2] / "data" / "judge_outputs_review.jsonl"
MIN_CLEAR_READ_RATE = 0.9


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _outcome(item: dict[str, Any]) -> tuple[str, str]:
    if item["kind"] != "choice":
        return _score_rating(item)
    outcome, shown = _score_choice(item)
    if outcome == "wrong probability" and "p=None" in shown and item["expect"]["probability"] is not None:
        return "dropped probability", shown
    return outcome, shown


def score(items: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    misses: list[str] = []
    clear_total = clear_read = 0
    for item in items:
        outcome, shown = _outcome(item)
        outcomes[outcome] += 1
        if item["clear"]:
            clear_total += 1
            clear_read += outcome == "right"
        if outcome != "right":
            misses.append(f"{item['id']} [{outcome}] {item['text'][:70]!r}: {shown}")
    return {"n": len(items), "outcomes": dict(outcomes), "clear_read_rate": clear_read / clear_total,
            "clear_n": clear_total, "misses": misses}


def test_review_corpus_is_large_and_varied() -> None:
    items = load()
    assert len(items) >= 150
    assert len({i["id"] for i in items}) == len(items)
    families = Counter(i["family"] for i in items)
    assert {"claude", "gpt", "o-series", "llama", "gemma", "qwen", "deepseek", "json", "xml", "multi", "adv"} <= set(families)
    assert sum(i["kind"] == "rating" for i in items) >= 30
    assert PROB_TOLERANCE < 0.01


def test_review_corpus_has_no_confident_misreading() -> None:
    result = score(load())
    text = "\n".join([f"{result['n']} items: {result['outcomes']}; clear read {result['clear_read_rate']:.3f} "
                      f"of {result['clear_n']}", *result["misses"]])
    print(text)
    for bad in ("wrong answer", "wrong probability", "no reason"):
        assert result["outcomes"].get(bad, 0) == 0, text
    assert result["clear_read_rate"] >= MIN_CLEAR_READ_RATE, text


if __name__ == "__main__":
    r = score(load())
    print(r["outcomes"], f"clear {r['clear_read_rate']:.3f} of {r['clear_n']}")
    print("\n".join(r["misses"]))
