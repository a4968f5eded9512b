"""Does marking labels stay linear on text built to make a regular expression backtrack?

Every speech is read by `split_labels` before a judge sees it, and a model can write anything:
a run of dots, of `)`, of `'a`, one long word joined by `_`. A pattern that restarts a long scan
at every character of such a run takes quadratic time (100,000 dots once took minutes). For each
unit below this times the text at half and at full length and prints the ratio: about 2 is
linear, about 4 is quadratic. Exits 1 when any ratio passes --max-ratio.

    .venv/bin/python benchmarks/label_worst_case.py [--chars 100000] [--max-ratio 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oversight.protocols.shared.turns import split_labels  # noqa: E402

UNITS = (".", ". ", ")", ") ", ".)", "1.", "'a", "x'", "forbround_", "a", "a ", "(", "( ", "debater ", "round 2 ",
         "judge (", "**", "- ", "\n", "e\u0301", "b\u0332", "\u0432 ", "\u20dd", "[debater ", "<turn ", ", round 1",
         "[" + " " * 999, "<" + " " * 999, "[" + "\n" * 999, "<v_quote>", "debater (" + " " * 999)


def seconds(text: str) -> float:
    start = time.perf_counter()
    split_labels(text)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=100_000, help="length of the full text")
    parser.add_argument("--max-ratio", type=float, default=3.0, help="full/half time above which to fail")
    args = parser.parse_args()
    worst = 0.0
    print(f"{'unit':>14}  {'half s':>8}  {'full s':>8}  ratio")
    for unit in UNITS:
        half = seconds(unit * (args.chars // 2 // len(unit)))
        full = seconds(unit * (args.chars // len(unit)))
        ratio = full / max(half, 1e-4)
        worst = max(worst, ratio)
        shown = repr(unit) if len(unit) <= 10 else f"{unit[:5]!r}+{len(unit) - 5}"
        print(f"{shown:>14}  {half:8.4f}  {full:8.4f}  {ratio:5.2f}")
    print(f"worst ratio {worst:.2f} (linear is about 2, quadratic about 4)")
    sys.exit(1 if worst > args.max_ratio else 0)


if __name__ == "__main__":
    main()
