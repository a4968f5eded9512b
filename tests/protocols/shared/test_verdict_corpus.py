"""The free-text verdict readers against a corpus of realistic judge outputs.

`tests/data/judge_outputs.jsonl` holds judge replies written in the styles of several model
families (markdown-heavy, chatty, small base models rambling, JSON, XML tags, refusals,
hedges, reversals, per-option probabilities, ratings), each with what a careful person reads
from it: an answer and the probability on that answer (null when none is stated), or for a
rating item each scale's rating; null answers mean "a careful person would not record one".

Scoring, from worst to best: a *wrong* reading records an answer, probability or rating the
careful reading does not (a confident misreading is worse than no reading, so none is
allowed); an *unread* item is one the careful person reads but the parser calls invalid
(allowed, counted); everything else is *right*. Clear items (`clear: true`) must nearly all
be read. Items marked `held_out` were written after the parser changed and measured before
any fix (see the commit history); they stay in the corpus as more cases. Run
`python -m tests.protocols.shared.test_verdict_corpus` for the per-family report.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from oversight.protocols.shared.verdicts import parse_verdict
from oversight.protocols.summarize.judging import parse_ratings

CORPUS = Path(__file__).resolve().parents[2] / "data" / "judge_outputs.jsonl"
PROB_TOLERANCE = 0.006
MIN_CLEAR_READ_RATE = 0.95


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _score_choice(item: dict[str, Any]) -> tuple[str, str]:
    letters = "".join(item["options"])
    v = parse_verdict(item["text"], n_options=len(letters))
    want, want_p = item["expect"]["answer"], item["expect"]["probability"]
    got = None if v.invalid or v.choice is None else letters[v.choice]
    shown = f"got {got} p={v.probability} ({v.reason})"
    if v.invalid and not v.reason:
        return "no reason", shown
    if got is None:
        return ("right" if want is None else "unread"), shown
    if got != want:
        return "wrong answer", shown
    if (want_p is None) != (v.probability is None) or (
            want_p is not None and abs(want_p - v.probability) > PROB_TOLERANCE):  # type: ignore[operator]
        return "wrong probability", shown
    return "right", shown


def _score_rating(item: dict[str, Any]) -> tuple[str, str]:
    ratings, problems = parse_ratings(item["text"])
    shown = f"got {ratings} ({'; '.join(problems)})"
    outcome = "right"
    for scale, want in item["expect"].items():
        got = ratings.get(scale)
        if got is None and problems == []:
            return "no reason", shown
        if got is not None and got != want:
            return "wrong answer", shown
        if got is None and want is not None:
            outcome = "unread"
    return outcome, shown


def score(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Outcome counts, the clear items' read rate and every item not read right."""
    outcomes: Counter[str] = Counter()
    by_family: dict[str, Counter[str]] = {}
    misses: list[str] = []
    clear_total = clear_read = 0
    for item in items:
        outcome, shown = (_score_choice if item["kind"] == "choice" else _score_rating)(item)
        outcomes[outcome] += 1
        by_family.setdefault(item["family"], Counter())[outcome] += 1
        if item["clear"]:
            clear_total += 1
            clear_read += outcome == "right"
        if outcome != "right":
            misses.append(f"{item['id']} [{outcome}] {item['text'][:70]!r}: {shown}")
    return {"n": len(items), "outcomes": dict(outcomes), "by_family": {k: dict(v) for k, v in by_family.items()},
            "clear_read_rate": clear_read / clear_total if clear_total else None, "clear_n": clear_total,
            "accuracy": outcomes["right"] / len(items) if items else None, "misses": misses}


def report(result: dict[str, Any]) -> str:
    lines = [f"{result['n']} judge outputs: {result['outcomes']}",
             f"accuracy {result['accuracy']:.3f}; clear answers read {result['clear_read_rate']:.3f} "
             f"of {result['clear_n']}"]
    lines += [f"  {family}: {counts}" for family, counts in sorted(result["by_family"].items())]
    lines += result["misses"]
    return "\n".join(lines)


def test_corpus_is_large_and_well_formed() -> None:
    items = load()
    assert len(items) >= 200
    assert len({i["id"] for i in items}) == len(items)
    families = Counter(i["family"] for i in items)
    assert {"claude", "gpt", "llama", "gemma", "json", "xml", "issue"} <= set(families)
    for item in items:
        assert item["kind"] in ("choice", "rating")
        if item["kind"] == "choice":
            assert item["expect"]["answer"] in (None, *item["options"])
            p = item["expect"]["probability"]
            assert p is None or 0.0 <= p <= 1.0
        assert not (item["clear"] and item["kind"] == "choice" and item["expect"]["answer"] is None)


def test_no_confident_misreading_and_clear_answers_read() -> None:
    result = score(load())
    text = report(result)
    print(text)
    assert result["outcomes"].get("wrong answer", 0) == 0, text
    assert result["outcomes"].get("wrong probability", 0) == 0, text
    assert result["outcomes"].get("no reason", 0) == 0, text
    assert result["clear_read_rate"] >= MIN_CLEAR_READ_RATE, text


if __name__ == "__main__":
    print(report(score(load())))
