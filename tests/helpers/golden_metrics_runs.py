"""Deterministic, messy debate and critique runs whose metrics.json is pinned byte for byte.

The golden files in tests/fixtures/ were written by the metrics code before it was made faster
(`python -m tests.helpers.golden_metrics_runs OUT_DIR` from the checkout), so a speed-up that
changes any number, key order or rounding fails `test_metrics_golden.py`.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from oversight.core.jsonl import dumps
from oversight.protocols.critique import CritiqueParams, CritiqueProtocol
from oversight.protocols.debate.metrics import compute as debate_compute

CONDITIONS = ("debate", "consultancy", "blind", "expert")
MODEL_JUDGE = {"kind": "model", "id": "model:judge"}


def debate_run(seed: int, items: int = 60) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both orders mostly, some single-order units, invalid verdicts, ties at 0.5, missing
    probabilities, failed units, stale attempts, a person judging a few, unknown transcripts."""
    rng = random.Random(seed)
    ts: list[dict[str, Any]] = []
    js: list[dict[str, Any]] = []
    for i in range(items):
        ci = rng.randint(0, 1)
        for condition in CONDITIONS:
            tid = f"q{i:03d}:{condition}"
            failed = rng.random() < 0.04
            ts.append({"id": tid, "item_id": f"q{i:03d}", "condition": condition, "attempt": "a1",
                       "error": "HTTP 500" if failed else None})
            if failed:
                continue
            honest = rng.random() < 0.5
            orders = ("original", "swapped") if rng.random() < 0.85 else (rng.choice(("original", "swapped")),)
            for order in orders:
                chose = None if rng.random() < 0.05 else rng.randint(0, 1)
                p = rng.choice([None, 0.5, round(rng.random(), 3), round(rng.random(), 6)])
                rec: dict[str, Any] = {
                    "transcript_id": tid, "judge": MODEL_JUDGE, "condition": condition, "order": order,
                    "shown_order": [0, 1] if order == "original" else [1, 0], "answer_index": chose,
                    "correct": None if chose is None else chose == ci, "invalid": chose is None,
                    "p_correct": None if chose is None else p, "attempt": rng.choice(["a1"] * 30 + ["a0"]),
                }
                if condition == "debate" and chose is not None:
                    rec["winner"] = ("debater_a", "debater_b")[chose]
                if condition == "consultancy":
                    rec["consultant_correct"] = honest
                    if chose is not None:
                        rec["sided_with_consultant"] = (chose == ci) == honest
                if rng.random() < 0.03:
                    del rec["order"]
                js.append(rec)
            if rng.random() < 0.1:
                chose = rng.randint(0, 1)
                js.append({"transcript_id": tid, "judge": {"kind": "human", "id": f"p{rng.randint(1, 2)}"},
                           "condition": condition, "order": "original", "shown_order": [0, 1], "answer_index": chose,
                           "correct": chose == ci, "invalid": False, "p_correct": None, "attempt": None})
    js.append({"transcript_id": "nope:debate", "judge": MODEL_JUDGE, "condition": "debate", "order": "original",
               "answer_index": 0, "correct": True, "invalid": False, "attempt": "a1"})
    rng.shuffle(js)
    return ts, js


def critique_run(seed: int, items: int = 40) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    ts: list[dict[str, Any]] = []
    js: list[dict[str, Any]] = []
    for i in range(items):
        gold = [{"description": f"flaw {k}", "severity": rng.choice([None, 1, 2, 3]), "category": None}
                for k in range(rng.randint(0, 3))] if rng.random() < 0.9 else None
        for condition in ("unassisted", "assisted"):
            tid = f"c{i:03d}:{condition}"
            outcome: dict[str, Any] = {"condition": condition, "gold_flaws": gold, "answer": "an answer",
                                       "answer_source": "task"}
            if condition == "assisted":
                outcome["critique_matches"] = [
                    {"text": f"critique {k}", "gold_index": g, "confirmed": g is not None}
                    for k, g in enumerate(rng.choice([None, 0, 1, 2]) for _ in range(rng.randint(0, 3)))]
            error = "timeout" if rng.random() < 0.05 else None
            ts.append({"id": tid, "item_id": f"c{i:03d}", "condition": condition, "outcome": outcome, "error": error})
            if error:
                continue
            for judge in ["m"] + (["human/x"] if rng.random() < 0.2 else []):
                hits = [rng.choice([None, 0, 1, 2]) for _ in range(rng.randint(0, 4))]
                js.append({"transcript_id": tid, "judge": {"kind": "model", "id": judge}, "condition": condition,
                           "flaws_reported": [f"report {k}" for k in range(len(hits))],
                           "matches": [{"index": k, "text": f"report {k}", "gold_index": h, "confirmed": h is not None}
                                       for k, h in enumerate(hits)]})
    return ts, js


def golden() -> dict[str, str]:
    """File name -> metrics.json text, as the run folder writes it."""
    out = {}
    for seed in (1, 2):
        out[f"golden_debate_{seed}.json"] = dumps(debate_compute(*debate_run(seed), {"n_boot": 300}), indent=2)
        ct, cj = critique_run(seed)
        out[f"golden_critique_{seed}.json"] = dumps(CritiqueProtocol().metrics(ct, cj, CritiqueParams(n_boot=300)), indent=2)
    return out


if __name__ == "__main__":
    for name, text in golden().items():
        (Path(sys.argv[1]) / name).write_text(text + "\n", encoding="utf-8")
    print(json.dumps(sorted(golden())))
