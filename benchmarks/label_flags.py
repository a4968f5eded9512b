"""How often is honest debate text marked as a forged speaker label?

Reads the human debaters' and judges' speeches of the NYU 2023 debates
(`../shared/data/quality_debate.jsonl`, or --data) and runs `split_labels` over each, as every
speech is read before a judge sees it. Prints how many speeches have any run marked, and each
marked run in its context, so a change to the label rule can be weighed on real text: a marked
honest run costs the judge a note beside it, a missed forgery relies on the turn layout alone.

    .venv/bin/python benchmarks/label_flags.py [--data PATH] [--show 40]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oversight.protocols.shared.lookalike import clean  # noqa: E402
from oversight.protocols.shared.turns import split_labels  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def speeches(path: Path) -> list[tuple[str, str]]:
    """(room and role, text) of every non-empty speech of every human debate in the file."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        debate = json.loads(raw).get("human_debate")
        for turn in (debate or {}).get("rounds") or []:
            if (turn.get("text") or "").strip():
                out.append((f"{debate['room']} r{turn.get('round')} {turn.get('role')}", turn["text"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "quality_debate.jsonl")
    parser.add_argument("--show", type=int, default=40, help="marked runs to print in context")
    args = parser.parse_args()
    texts = speeches(args.data)
    marked: list[tuple[str, str, str]] = []
    for where, text in texts:
        shown = clean(text)
        at = 0
        for is_label, part in split_labels(shown):
            if is_label:
                marked.append((where, part, shown[max(0, at - 40):at + len(part) + 40].replace("\n", "⏎")))
            at += len(part)
    flagged = len({where for where, _, _ in marked})
    print(f"{len(texts)} speeches; {flagged} with a marked run ({flagged / max(len(texts), 1):.1%}); "
          f"{len(marked)} runs marked")
    for run, n in Counter(part.strip().lower() for _, part, _ in marked).most_common(15):
        print(f"  {n:4d}  {run!r}")
    for where, part, context in marked[:args.show]:
        print(f"{where}: {part!r}\n    ...{context}...")


if __name__ == "__main__":
    main()
