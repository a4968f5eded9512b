"""Metrics of the interactive judge (`params.judge_questions`, questions.py): how often it ended
the debate early, and judge accuracy by the number of rounds actually spoken.

Per condition with speeches, from the finished transcripts that carry `judge_turns`:
- `transcripts`; `decisions`: every decision call, by kind (ask, continue, end, unreadable:
  an unreadable one is counted here and the debate went on); `questions`: questions asked.
- `rounds_spoken`: transcripts per number of rounds spoken, every count from 1 to the rounds set.
- `ended_early`, per deciding judge: the share of its transcripts it ended before the last round
  (Wilson).
- `accuracy_by_rounds_spoken`, per judge (the run's and any re-judge): accuracy on the
  transcripts with each number of rounds spoken, scored as `accuracy` in metrics.py (one verdict
  per rater and transcript, Wilson cluster-adjusted by transcript); every count is listed, n 0
  included (estimate null). Rounds spoken follow the judge's choice, so a bucket's accuracy
  describes the debates that judge chose to end there, not an effect of the number of rounds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from oversight.core.words import count
from oversight.stats.estimates import ci_cell, cluster_proportion, proportion
from oversight.protocols.debate.open_metrics import judged_scores

DECISIONS = ("ask", "continue", "end", "unreadable")


def question_metrics(transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]]) -> dict[str, Any]:
    """`interactive_judge` of metrics.json (module docstring); {} when no transcript has judge turns."""
    done = {t["id"]: t for t in transcripts if not t.get("error") and "judge_turns" in (t.get("outcome") or {})}
    if not done:
        return {}
    scores = judged_scores(done, judgments)
    result: dict[str, Any] = {}
    for condition in ("debate", "consultancy"):
        mine = {tid: t["outcome"] for tid, t in sorted(done.items())
                if t["outcome"].get("condition", t.get("condition")) == condition}
        if not mine:
            continue
        decisions: Counter[str] = Counter({d: 0 for d in DECISIONS})
        deciders: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # ended early, transcripts
        spoken: dict[str, list[str]] = {}
        most = max(int(o.get("rounds") or o.get("rounds_spoken") or 1) for o in mine.values())
        for k in range(1, most + 1):
            spoken[str(k)] = []
        for tid, o in mine.items():
            turns = o.get("judge_turns") or []
            decisions.update(t.get("decision", "unreadable") for t in turns)
            rounds = int(o.get("rounds_spoken") or 0)
            spoken.setdefault(str(rounds), []).append(tid)
            for who in sorted({t.get("judge", "?") for t in turns}):
                deciders[who][1] += 1
                deciders[who][0] += "ended_round" in o
        result[condition] = {
            "transcripts": len(mine),
            "decisions": {d: decisions[d] for d in DECISIONS},
            "questions": sum(len(t.get("questions") or []) for o in mine.values() for t in o.get("judge_turns") or []),
            "rounds_spoken": {k: len(v) for k, v in spoken.items()},
            "ended_early": {who: proportion(k, n).dump() for who, (k, n) in sorted(deciders.items())},
            "accuracy_by_rounds_spoken": {
                judge: {k: cluster_proportion({tid: tuple(by_t[tid]) for tid in tids if tid in by_t}).dump()
                        for k, tids in spoken.items()}
                for judge, by_t in scores.items() if any(tid in by_t for tid in mine)},
        }
    return result


def question_rows(block: dict[str, Any], several_judges: bool) -> list[dict[str, Any]]:
    """Printed rows: accuracy by rounds spoken, then the share of debates ended early."""
    rows = []
    for condition, b in block.items():
        for judge, by_rounds in b["accuracy_by_rounds_spoken"].items():
            for k, acc in by_rounds.items():
                row: dict[str, Any] = {"condition": f"{condition}, {count(int(k), 'round')} spoken"}
                if several_judges:
                    row["judge"] = judge
                row.update({"n": acc["n"], "acc": acc["estimate"], "95% CI": ci_cell(acc), "method": acc["ci_method"]})
                rows.append(row)
        for judge, share in b["ended_early"].items():
            row = {"condition": f"{condition}, judge ended early"}
            if several_judges:
                row["judge"] = judge
            row.update({"n": share["n"], "share": share["estimate"], "95% CI": ci_cell(share),
                        "method": share["ci_method"]})
            rows.append(row)
    return rows


__all__ = ["DECISIONS", "question_metrics", "question_rows"]
