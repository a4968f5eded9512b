"""Hand-built run folders for report, export and tournament tests (known answers, no model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from oversight.core.jsonl import append_line
from oversight.log.runfolder import JUDGMENTS, TEXTS, TRANSCRIPTS

JUDGE = {"kind": "model", "id": "logprob:scripted:judge"}
STORY = "The lighthouse keeper counted ships. " * 20


def write_experiment(path: Path, protocol: str, models: dict[str, str], params: dict[str, Any],
                     sweep_point: dict[str, Any] | None = None) -> None:
    data = {"name": path.name.split("-", 1)[-1] or "run", "protocol": protocol,
            "task": {"path": "tasks.jsonl"}, "models": models, "params": params,
            "oversight_run": {"run_id": path.name, "created_at": "2026-11-30T12:00:00+00:00",
                              "units_planned": None, "sweep_point": sweep_point or {}}}
    (path / "experiment.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def model_event(role: str, step: str, content: str, *, story_ref: str | None = None) -> dict[str, Any]:
    parts: list[Any] = ["Story: ", {"ref": story_ref}, "\nArgue."] if story_ref else None  # type: ignore[list-item]
    message = {"role": "user", "parts": parts} if parts else {"role": "user", "content": f"{step}: go"}
    return {"type": "model", "role": role, "step": step, "model": f"scripted:{role}", "input": [message],
            "content": content, "usage": {"input_tokens": 100, "output_tokens": 20}, "latency_s": 0.1,
            "cached": False}


def debate_run(root: Path, name: str, *, verdicts: dict[str, list[tuple[str, float | None]]],
               correct: dict[str, int], failed: tuple[str, ...] = (), models: dict[str, str] | None = None,
               sweep_point: dict[str, Any] | None = None, events: bool = True) -> Path:
    """A debate run. `verdicts[unit_id]` lists (order, p on answer A) per verdict, p None = invalid;
    unit ids are "<item>:<condition>"; `correct[item]` is the correct answer's index."""
    path = root / name
    path.mkdir(parents=True)
    models = models or {"debater_a": "scripted:a", "debater_b": "scripted:b", "consultant": "scripted:c",
                        "judge": "scripted:judge"}
    write_experiment(path, "debate", models, {"rounds": 1, "swap": True, "n_boot": 200}, sweep_point)
    ref = "sha256:0123456789abcdef"
    append_line(path / TEXTS, {"ref": ref, "text": STORY})
    (path / TRANSCRIPTS).touch()
    (path / JUDGMENTS).touch()
    for unit in sorted(set(verdicts) | set(failed)):
        item, condition = unit.split(":")
        ci = correct[item]
        evs = [model_event("debater_a", "round 1", "A is right <quote>lighthouse keeper</quote>", story_ref=ref),
               model_event("judge", "judge original", " A")] if events else []
        for order, p_a in verdicts.get(unit, []):
            invalid = p_a is None
            chose = None if invalid else (0 if p_a >= 0.5 else 1)
            p_correct = None if invalid else (p_a if ci == 0 else 1 - p_a)
            append_line(path / JUDGMENTS, {
                "schema": "oversight.judgment/1", "transcript_id": unit, "judge": JUDGE, "condition": condition,
                "order": order, "shown_order": [0, 1] if order == "original" else [1, 0], "answer_index": chose,
                "correct": None if invalid else chose == ci, "p_correct": p_correct, "invalid": invalid,
                "raw": "I pick A, 80%" if not invalid else "hmm", "attempt": "a1",
                **({"winner": ("debater_a", "debater_b")[chose]} if condition == "debate" and not invalid else {}),
                "created_at": "2026-11-30T12:00:01+00:00"})
        append_line(path / TRANSCRIPTS, {
            "schema": "oversight.transcript/1", "run_id": name, "id": unit, "item_id": item, "protocol": "debate",
            "condition": condition, "events": evs,
            "outcome": {"condition": condition, "question": "Who counted?", "answers": ["keeper", "sailor"],
                        "correct_index": ci, "story_ref": ref, "speeches": [{"text": "x" * 50}]},
            "usage": {"input_tokens": 200, "output_tokens": 40, "cost_usd": 0.001},
            "usage_by_role": {"debater_a": {"input_tokens": 100, "output_tokens": 20, "cost_usd": 0.0005},
                              "judge": {"input_tokens": 100, "output_tokens": 20, "cost_usd": 0.0005}},
            "error": "HTTP 500 after 6 attempts" if unit in failed else None, "attempt": "a1",
            "created_at": "2026-11-30T12:00:02+00:00"})
    return path


def critique_run(root: Path, name: str, *, found: dict[str, tuple[list[int], list[int]]], n_gold: int = 2,
                 sweep_point: dict[str, Any] | None = None) -> Path:
    """A critique run: `found[item] = (gold flaws found unassisted, found assisted)`; item i has
    `n_gold` flaws, the first "high" severity and the rest "low"."""
    path = root / name
    path.mkdir(parents=True)
    write_experiment(path, "critique", {"critic": "scripted:critic", "judge": "scripted:judge"},
                     {"grader": "lexical", "n_boot": 200}, sweep_point)
    (path / JUDGMENTS).touch()
    for item, (unassisted, assisted) in sorted(found.items()):
        gold = [{"description": f"flaw {k} of {item}", "severity": "high" if k == 0 else "low"} for k in range(n_gold)]
        for condition, hits in (("unassisted", unassisted), ("assisted", assisted)):
            tid = f"{item}:{condition}"
            matches = [{"index": i, "text": f"flaw {g} of {item}", "gold_index": g, "confirmed": True,
                        "reason": "same words", "grader": "lexical"} for i, g in enumerate(hits)]
            append_line(path / JUDGMENTS, {
                "schema": "oversight.judgment/1", "transcript_id": tid, "judge": {"kind": "model", "id": "scripted:judge"},
                "condition": condition, "flaws_reported": [m["text"] for m in matches], "matches": matches,
                "attempt": "a1", "created_at": "2026-11-30T12:00:01+00:00"})
            outcome: dict[str, Any] = {"condition": condition, "gold_flaws": gold, "answer_source": "given",
                                       "answer": "an answer"}
            if condition == "assisted":
                outcome["critique_matches"] = [{"confirmed": True, "gold_index": 0}]
            append_line(path / TRANSCRIPTS, {
                "schema": "oversight.transcript/1", "run_id": name, "id": tid, "item_id": item,
                "protocol": "critique", "condition": condition, "events": [model_event("judge", "judge", "flaws")],
                "outcome": outcome, "usage": {"input_tokens": 100, "output_tokens": 20},
                "usage_by_role": {"judge": {"input_tokens": 100, "output_tokens": 20}},
                "error": None, "attempt": "a1", "created_at": "2026-11-30T12:00:02+00:00"})
    return path


def crossplay_runs(root: Path, strengths: dict[str, float], n_items: int = 8) -> list[Path]:
    """A cross-play sweep: every (debater_a, debater_b) model pair, on the same items. The judge's
    probability on the true answer rises with the honest debater's strength over the liar's."""
    import math

    paths = []
    correct = {f"q{k}": k % 2 for k in range(n_items)}
    for a in strengths:
        for b in strengths:
            verdicts = {}
            for item, ci in correct.items():
                honest, liar = (strengths[a], strengths[b]) if ci == 0 else (strengths[b], strengths[a])
                bump = 0.1 * (int(item[1:]) % 3 - 1)  # item difficulty varies
                p_true = 1 / (1 + math.exp(-(0.4 + honest - liar + bump)))
                p_a = p_true if ci == 0 else 1 - p_true
                verdicts[f"{item}:debate"] = [("original", round(p_a, 4)), ("swapped", round(p_a, 4))]
            models = {"debater_a": a, "debater_b": b, "judge": "scripted:judge"}
            paths.append(debate_run(root, f"20261130T120000Z-xplay-debater_a={a}-debater_b={b}".replace(":", "_"),
                                    verdicts=verdicts, correct=correct, models=models,
                                    sweep_point={"models.debater_a": a, "models.debater_b": b}, events=False))
    return paths
