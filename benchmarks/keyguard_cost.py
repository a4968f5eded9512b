"""What the API-key guard costs on the per-call path: the check of a call's messages (a QuALITY
prompt with its ~25 KB story) and of a transcript line before it is written, with three keys in
the environment, against the same work with none. Prints microseconds per check.

    .venv/bin/python benchmarks/keyguard_cost.py
"""

from __future__ import annotations

import json
import os
import secrets
import timeit
from pathlib import Path

from oversight.core import keyguard

QUALITY = Path(os.environ.get("OVERSIGHT_QUALITY", "/work/shared/data/quality_debate.jsonl"))


def main() -> None:
    story = json.loads(QUALITY.read_text(encoding="utf-8").splitlines()[0])["story"] if QUALITY.exists() \
        else "The tide rose over the harbour wall. " * 700
    prompt = [f"You are judging a debate.\n\n{story}\n\nDebater A: ...\n\nAnswer:"]
    line = json.dumps({"events": [{"input": prompt, "content": "Answer: A, 70%"}] * 4}, ensure_ascii=False) + "\n"
    for label, env in (("no keys", {}), ("3 keys", {"ANTHROPIC_API_KEY": "sk-ant-api03-" + secrets.token_urlsafe(60),
                                                      "OPENAI_API_KEY": "sk-proj-" + secrets.token_urlsafe(100),
                                                      "HF_TOKEN": "hf_" + secrets.token_urlsafe(26)})):
        saved = {k: os.environ.pop(k) for k in list(os.environ) if k.upper().endswith(keyguard.SUFFIXES)}
        os.environ.update(env)
        keyguard.refresh()
        n = 2000
        send = timeit.timeit(lambda: keyguard.check_texts(prompt, "a call"), number=n) / n * 1e6
        write = timeit.timeit(lambda: keyguard.check_text(line, "transcripts.jsonl", "written"), number=n) / n * 1e6
        print(f"{label}: {send:.1f} us per call's messages ({len(prompt[0]):,} chars), "
              f"{write:.1f} us per transcript line ({len(line):,} chars)")
        for k in env:
            del os.environ[k]
        os.environ.update(saved)


if __name__ == "__main__":
    main()
