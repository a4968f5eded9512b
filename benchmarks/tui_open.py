"""How long `oversight review` and `oversight judge --human` take to open a run of 10,000
transcripts (target: under 2 s; about what review takes, for judging).

Builds a synthetic debate-shaped run folder (each transcript with model events, speeches and
two judgments, about 6 KB a line), then times opening the review app in a headless terminal
of 80x24 until the list is drawn, and opening one transcript.

    .venv/bin/python benchmarks/tui_open.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import yaml

from oversight.core.jsonl import dumps
from oversight.log.runfolder import RunFolder
from oversight.log.transcripts import Judgment, JudgeRef, Transcript

SPEECH = ("Debater A in round 1: the story says <v_quote>the soup did not tremble</v_quote> and the "
          "reservoir was never mentioned; my answer follows from the text. ") * 4


def build(root: Path, n: int) -> RunFolder:
    folder = RunFolder.create(root, "synthetic")
    (folder.path / "experiment.yaml").write_text(yaml.safe_dump({
        "name": "synthetic", "protocol": "debate", "task": {"path": "none.jsonl"},
        "models": {"debater_a": "scripted:x", "debater_b": "scripted:x", "consultant": "scripted:x", "judge": "scripted:x"},
    }))
    story_ref = folder.put_text("A story. " * 200)
    conditions = ("debate", "consultancy", "blind", "expert")
    with open(folder.path / "transcripts.jsonl", "w", encoding="utf-8") as tf, \
            open(folder.path / "judgments.jsonl", "w", encoding="utf-8") as jf:
        for i in range(n):
            condition = conditions[i % 4]
            tid = f"item{i // 4:05d}:{condition}"
            speeches = [{"round": r, "role": role, "answer_index": k, "text": SPEECH, "shown": SPEECH, "words": 60,
                         "truncated": False, "quotes": [{"text": "the soup did not tremble", "verified": True,
                                                         "verbatim": True, "exact": True, "fuzzy": 100.0,
                                                         "char_span": [0, 10], "closest": "A story. A"}]}
                        for r in (1, 2) for k, role in enumerate(("debater_a", "debater_b"))]
            events = [{"type": "model", "role": s["role"], "step": f"{s['role']} round {s['round']}",
                       "model": "scripted:x", "input": [{"role": "user", "content": "prompt " * 40}],
                       "content": s["text"], "usage": {"input_tokens": 300, "output_tokens": 60, "cost_usd": None},
                       "latency_s": 0.5, "cached": False, "logprobs": None, "error": None} for s in speeches]
            outcome = {"condition": condition, "question": f"Question {i}?", "answers": ["yes", "no"],
                       "correct_index": i % 2, "story_ref": story_ref, "speeches": speeches}
            if condition == "consultancy":
                outcome["consultant_index"] = (i // 4) % 2
            t = Transcript(run_id=folder.run_id, id=tid, item_id=tid.split(":")[0], protocol="debate",
                           condition=condition, events=events, outcome=outcome, attempt="a")
            tf.write(dumps(t.to_record(), separators=(",", ":")) + "\n")
            for order in ("original", "swapped"):
                j = Judgment(transcript_id=tid, judge=JudgeRef(kind="model", id="model:x"), attempt="a",
                             order=order, correct=(i + len(order)) % 3 != 0, invalid=False, raw="A, 70%")
                jf.write(dumps(j.to_record(), separators=(",", ":")) + "\n")
    return folder


async def time_open(folder: RunFolder) -> tuple[float, float, float]:
    from oversight.tui.review import ListScreen, ReviewApp
    from oversight.tui.rowlist import RowList

    start = time.perf_counter()
    app = ReviewApp(RunFolder.open(folder.path))
    async with app.run_test(size=(80, 24)) as pilot:
        while not isinstance(app.screen, ListScreen) or not app.screen.query_one(RowList).rows:
            await pilot.pause()
        opened = time.perf_counter() - start
        start = time.perf_counter()
        await pilot.press("end", "enter")
        await pilot.pause()
        first = time.perf_counter() - start
        start = time.perf_counter()
        await pilot.press("p")
        await pilot.pause()
        another = time.perf_counter() - start
    return opened, first, another


async def time_judge_open(folder: RunFolder) -> float:
    """`oversight judge RUN --human`: from opening the session to the first form on screen."""
    from oversight.tui.judge_app import JudgeApp, JudgeScreen
    from oversight.tui.session import JudgeSession

    start = time.perf_counter()
    app = JudgeApp(JudgeSession.open(RunFolder.open(folder.path), "bench"))
    async with app.run_test(size=(80, 24)) as pilot:
        while not isinstance(app.screen, JudgeScreen) or app.screen.unit is None:
            await pilot.pause()
        return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = build(Path(tmp), n)
        size = (folder.path / "transcripts.jsonl").stat().st_size
        opened, first, another = asyncio.run(time_open(folder))
        judge = asyncio.run(time_judge_open(folder))
        print(f"{n} transcripts ({size / 1e6:.0f} MB): review open {opened:.2f} s (target < 2 s); "
              f"first transcript shown in {first:.2f} s (loads the transcript screen's widgets), "
              f"the next in {another:.2f} s; judge --human to its first form {judge:.2f} s")


if __name__ == "__main__":
    main()
