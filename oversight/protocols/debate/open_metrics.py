"""Metrics of open roles (Kenton et al. 2024's analysis): how often the agent chose the correct
answer, and judge accuracy split by whether it did.

Per condition with choices (debate, consultancy), from the finished transcripts' `open_roles`:
- `choices`: per speaker role, `calls` (choices asked), `invalid` (text naming no answer: the
  speaker fell back to its assigned answer), `chose_correct` over the valid choices (Wilson);
  for debate also `same_answer` (both debaters chose the same answer: debater_b was assigned the
  other, sides.py).
- `agent`: whose choice the split is by: the consultant, or in debate the protagonist debater_a.
- `accuracy_by_agent_choice`, per judge: judge accuracy (scored as `accuracy` in metrics.py,
  one verdict per rater and transcript, Wilson cluster-adjusted by transcript) on transcripts
  where the agent chose the correct answer and where it chose the incorrect one;
  `invalid_choice` transcripts (the agent's choice unreadable) are in neither and counted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from oversight.stats.estimates import ci_cell, cluster_proportion, judge_name, proportion
from oversight.stats.raters import rater, standing
from oversight.protocols.debate.verdict_scores import transcript_score
from oversight.protocols.debate.report import judgment_view_key

AGENT = {"debate": "debater_a", "consultancy": "consultant"}


def judged_scores(transcripts: dict[str, dict[str, Any]], judgments: list[dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """judge -> transcript -> [score sum, rater verdicts], over the standing records."""
    matched = []
    for j in judgments:
        t = transcripts.get(j.get("transcript_id", ""))
        if t is None or (j.get("attempt") is not None and t.get("attempt") not in (None, j["attempt"])):
            continue
        matched.append(j)
    groups: dict[tuple[str, str, tuple[str, str]], list[dict[str, Any]]] = defaultdict(list)
    for j in standing(matched, judgment_view_key):
        groups[(judge_name(j), j["transcript_id"], rater(j))].append(j)
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for (judge, tid, _), js in sorted(groups.items()):
        score = transcript_score(js)
        if score is not None:
            out[judge][tid][0] += score
            out[judge][tid][1] += 1
    return out


def open_role_metrics(transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]]) -> dict[str, Any]:
    """`open_roles` of metrics.json (module docstring); {} when no transcript chose its side."""
    done = {t["id"]: t for t in transcripts if not t.get("error") and (t.get("outcome") or {}).get("open_roles")}
    if not done:
        return {}
    scores = judged_scores(done, judgments)
    result: dict[str, Any] = {}
    for condition, agent in AGENT.items():
        mine = {tid: t for tid, t in done.items() if t["outcome"].get("condition", t.get("condition")) == condition}
        if not mine:
            continue
        per_role: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # calls, invalid, chose correct
        same = 0
        split: dict[str, list[str]] = {"chose_correct": [], "chose_incorrect": [], "invalid_choice": []}
        for tid, t in sorted(mine.items()):
            correct = t["outcome"]["correct_index"]
            for role, side in sorted(t["outcome"]["open_roles"].items()):
                counts = per_role[role]
                counts[0] += 1
                counts[1] += bool(side.get("invalid"))
                counts[2] += (not side.get("invalid")) and side.get("choice") == correct
                same += bool(side.get("same_as_opponent"))
            side = t["outcome"]["open_roles"].get(agent) or {}
            key = "invalid_choice" if side.get("invalid", True) else \
                "chose_correct" if side.get("choice") == correct else "chose_incorrect"
            split[key].append(tid)
        block: dict[str, Any] = {
            "transcripts": len(mine),
            "agent": agent,
            "choices": {role: {"calls": c, "invalid": inv, "chose_correct": proportion(k, c - inv).dump()}
                        for role, (c, inv, k) in sorted(per_role.items())},
            "agent_chose_correct": proportion(len(split["chose_correct"]),
                                              len(split["chose_correct"]) + len(split["chose_incorrect"])).dump(),
            "accuracy_by_agent_choice": {},
        }
        if condition == "debate":
            block["same_answer"] = same
        for judge, by_t in scores.items():
            if not any(tid in by_t for tid in mine):
                continue
            block["accuracy_by_agent_choice"][judge] = {
                key: cluster_proportion({tid: tuple(by_t[tid]) for tid in split[key] if tid in by_t}).dump()
                for key in ("chose_correct", "chose_incorrect")} | {"invalid_choice": len(split["invalid_choice"])}
        result[condition] = block
    return result


def open_role_rows(open_roles: dict[str, Any], several_judges: bool) -> list[dict[str, Any]]:
    """Printed rows: judge accuracy where the agent chose right, and where it chose wrong."""
    rows = []
    for condition, block in open_roles.items():
        for judge, split in block["accuracy_by_agent_choice"].items():
            for key, words in (("chose_correct", "chose correct"), ("chose_incorrect", "chose incorrect")):
                acc = split[key]
                row: dict[str, Any] = {"condition": f"{condition}, {block['agent']} {words}"}
                if several_judges:
                    row["judge"] = judge
                row.update({"n": acc["n"], "acc": acc["estimate"], "95% CI": ci_cell(acc), "method": acc["ci_method"]})
                rows.append(row)
    return rows


__all__ = ["open_role_metrics", "open_role_rows"]
