"""Summarization metrics per strategy (each strategy is a condition, so both sit side by side).

Conventions (also written into metrics.json under "notes"):
- Ratings (1-7) are grouped by stage: `level N` of the hierarchical tree, `running` (incremental
  steps before the last) and `root`. Mean with a 95% interval: Wilson on the mean rescaled to
  [0, 1] (`wilson-bounded`, conservative for bounded scores, never zero width at the ends).
  Nodes of one text are not independent, so with few texts read the interval as descriptive.
- Coherence (BooookScore) is the share of root-summary sentences with no confusion, one value
  per text, with the same interval over texts.
- Judges are named as in the other protocols' metrics (a model judge by its id, a person as
  human/ID); one record per rater and view (node) counts, the latest (oversight.stats.raters).
- Invalid ratings (unparseable, out of range) are counted per scale, never dropped or imputed;
  the table's `inv` counts rating verdicts (judgments) with any scale invalid, of all judged,
  and `<scale> rated` says how many of the stage's nodes have a valid rating on that scale.
- Compression of a stage is the words its nodes read (chunks or child summaries, not context)
  over the words they wrote. Calls count model calls, cache hits included (`cached` says how
  many); tokens and cost are what the run spent (cache hits cost nothing).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from oversight.protocols.summarize.judging import SCALES, judgment_view_key, root_id, stage
from oversight.protocols.summarize.outcome import outcome_of
from oversight.protocols.summarize.params import SummarizeParams
from oversight.protocols.summarize.tree import node_records
from oversight.stats.raters import standing
from oversight.stats.estimates import ci_cell, judge_name, proportion


def _r(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 4)


def mean_ci(values: dict[str, float], over: str, low: float = 0.0, high: float = 1.0) -> dict[str, Any]:
    """Mean of bounded per-unit scores in [low, high] with a 95% interval that stays honest at
    the extremes and at small n: the mean rescaled to [0, 1] gets a Wilson score interval (for a
    score bounded in [0, 1] the variance is at most mu(1 - mu), so treating it as a proportion is
    conservative), mapped back to the scale. A bootstrap would give [7, 7] for two 7s."""
    if not values:
        return {"estimate": None, "ci": None, "ci_method": f"wilson-bounded over {over}", "n": 0,
                "ci_reason": f"no valid score: none among the {over}"}
    span = high - low
    scaled = [(values[k] - low) / span for k in sorted(values)]
    rec = proportion(sum(scaled), len(scaled))
    lo, hi = rec.ci
    return {"estimate": _r(sum(values.values()) / len(values)),
            "ci": [_r(low + lo * span), _r(low + hi * span)] if lo is not None and hi is not None else None,
            "ci_method": f"wilson-bounded over {over}", "n": len(values)}


def _stage_order(name: str) -> tuple[int, int]:
    if name == "root":
        return (2, 0)
    if name == "running":
        return (1, 0)
    return (0, int(name.split()[-1]))


def _tree(transcripts: list[dict[str, Any]]) -> dict[str, Any]:
    """Shape, compression per stage, budget actions, calls, tokens and cost of one strategy."""
    stages: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0])
    calls = cached = retried = cut = 0
    tokens_in = tokens_out = 0
    costs: list[float | None] = []
    for t in transcripts:
        nodes = node_records(t)
        root = root_id(nodes)
        for node in nodes.values():
            acc = stages[stage(node, root)]
            acc[0] += 1
            acc[1] += node.get("input_words", 0)
            acc[2] += node.get("words", 0)
            retried += bool(node.get("retried"))
            cut += bool(node.get("cut"))
        model = [e for e in t["events"] if e.get("type") == "model"]
        calls += len(model)
        cached += sum(bool(e.get("cached")) for e in model)
        usage = t.get("usage") or {}
        tokens_in += usage.get("input_tokens", 0)
        tokens_out += usage.get("output_tokens", 0)
        costs.append(usage.get("cost_usd"))
    outcomes = [outcome_of(t) for t in transcripts if t.get("outcome")]
    return {
        "depth": max((o["depth"] for o in outcomes), default=None),
        "width": max((o["width"] for o in outcomes), default=None),
        "nodes": sum(o["nodes"] for o in outcomes),
        "chunks": sum(o["chunks"] for o in outcomes),
        "level_sizes": [o.get("level_sizes") for o in outcomes],
        "stages": {name: {"nodes": int(n), "input_words": int(i), "output_words": int(o),
                          "compression": _r(i / o) if o else None}
                   for name, (n, i, o) in sorted(stages.items(), key=lambda kv: _stage_order(kv[0]))},
        "retried_shorter": retried, "cut": cut, "calls": calls, "cached_calls": cached,
        "input_tokens": tokens_in, "output_tokens": tokens_out,
        "cost_usd": None if not costs or any(c is None for c in costs) else round(sum(costs), 6),  # type: ignore[arg-type]
    }


def _ratings(js: list[dict[str, Any]]) -> dict[str, Any]:
    """Per stage and scale: mean with CI over valid ratings, and how many were invalid; per
    stage, `invalid_verdicts` (rating judgments with at least one scale invalid) and
    `failed_calls` (judge calls never answered: neither a rating nor an invalid one)."""
    out: dict[str, Any] = {}
    by_stage: dict[str, list[dict[str, Any]]] = defaultdict(list)
    failed: dict[str, int] = defaultdict(int)
    for j in js:
        if j.get("answer_kind") == "rating":
            if j.get("failed"):
                failed[j["stage"]] += 1
                by_stage[j["stage"]]
            else:
                by_stage[j["stage"]].append(j)
    for name in sorted(by_stage, key=_stage_order):
        group = sorted(by_stage[name], key=lambda j: (str(j["transcript_id"]), str(j.get("view_key") or j.get("key"))))
        out[name] = {"judged": len(group), "failed_calls": failed[name],
                     "invalid_verdicts": sum(any(j.get(scale) is None for scale in SCALES) for j in group)}
        for scale in SCALES:
            values = {f"{j['transcript_id']}/{j.get('view_key') or j.get('key') or i}": float(j[scale])
                      for i, j in enumerate(group) if j.get(scale) is not None}
            reasons = Counter((j.get("invalid_reasons") or {}).get(scale, "unclassified")
                              for j in group if j.get(scale) is None)
            out[name][scale] = {**mean_ci(values, "rated nodes", 1.0, 7.0), "invalid": len(group) - len(values),
                                "invalid_by_reason": dict(sorted(reasons.items()))}
    return out


def _coherence(js: list[dict[str, Any]]) -> dict[str, Any]:
    checks = [j for j in js if j.get("answer_kind") == "flaws" and not j.get("failed")]
    failed = sum(1 for j in js if j.get("answer_kind") == "flaws" and j.get("failed"))
    scores = {f"{j['transcript_id']}/{j.get('view_key', i)}": float(j["coherence"])
              for i, j in enumerate(checks) if j.get("coherence") is not None}
    kinds: dict[str, int] = defaultdict(int)
    for j in checks:
        for c in j.get("confusions") or []:
            kinds[c["kind"]] += 1
    return {**mean_ci(scores, "texts"), "invalid": len(checks) - len(scores), "failed_calls": failed,
            "confusions": dict(sorted(kinds.items()))}


def compute(transcripts: list[dict[str, Any]], judgments: list[dict[str, Any]], params: SummarizeParams) -> dict[str, Any]:
    judgments = standing(judgments, judgment_view_key)  # one record per rater and view (node), the latest standing
    strategies: dict[str, Any] = {}
    table: list[dict[str, Any]] = []
    for strategy in params.strategies:
        ts = [t for t in transcripts if t.get("condition") == strategy]
        ok = [t for t in ts if not t.get("error")]
        ids = {t["id"] for t in ok}
        by_judge: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for j in judgments:
            if j.get("transcript_id") in ids:
                by_judge[judge_name(j)].append(j)
        tree = _tree(ok)
        judges = {name: {"ratings": _ratings(js), "coherence": _coherence(js)}
                  for name, js in sorted(by_judge.items())}
        strategies[strategy] = {"texts": len(ts), "failed": len(ts) - len(ok), **tree, "judges": judges}
        table.extend(_rows(strategy, tree, judges))
    return {"protocol": "summarize", "strategies": strategies, "table": table,
            "notes": {"ratings": "1-7 Likert (Wu et al. 2021); mean, 95% CI: Wilson on the mean rescaled to [0, 1] "
                                 "(wilson-bounded; conservative for bounded scores) over rated nodes (nodes of one "
                                 "book are not independent: with few books read it as descriptive); invalid "
                                 "counted per scale",
                      "coherence": "BooookScore: share of root sentences with no confusion; CI over texts",
                      "compression": "words read / words written per stage (context excluded)"}}


def _rows(strategy: str, tree: dict[str, Any], judges: dict[str, Any]) -> list[dict[str, Any]]:
    """One table row per stage, ratings from each judge; tree shape and coherence on the root row."""
    rows = []
    for judge, result in judges.items() or [("", {"ratings": {}, "coherence": {}})]:
        for name, st in tree["stages"].items():
            row: dict[str, Any] = {"condition": strategy, "stage": name, "nodes": st["nodes"],
                                   "compression": st["compression"]}
            if judge:  # one judge: named once in the table's header, as a constant column
                row["judge"] = judge
            rated = result["ratings"].get(name)
            for scale in SCALES:
                cell = rated[scale] if rated else {"estimate": None, "ci": None, "n": 0}
                row[scale] = cell["estimate"]
                row[f"{scale} 95% CI"] = ci_cell(cell) if cell.get("ci_reason") else cell["ci"]
                row[f"{scale} rated"] = f"{cell['n']}/{st['nodes']}"
            row["method"] = "wilson-bounded" if rated else None
            row["invalid"] = f"{rated['invalid_verdicts']}/{rated['judged']}" if rated else "0/0"
            if rated and rated["failed_calls"]:
                row["failed"] = f"{rated['failed_calls']}/{rated['failed_calls'] + rated['judged']}"
            if name == "root":
                coherence = result.get("coherence") or {}
                row.update(depth=tree["depth"], width=tree["width"], coherence=coherence.get("estimate"),
                           calls=tree["calls"])
            rows.append(row)
    return rows


__all__ = ["compute", "mean_ci"]
