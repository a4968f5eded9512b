"""Every model event's input, rebuilt from the compact run folder, is byte for byte what the model got."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml

from oversight.config.experiment import read_yaml, validate_experiment
from oversight.models.providers import scripted
from oversight.models.types import Message
from oversight.log.runfolder import RunFolder
from oversight.runs.runner import execute, open_run_folder, plan

# An original story, long enough (well over 1000 characters) to be stored once per run.
STORY = " ".join(
    f"On day {d} the lighthouse keeper Maren counted {d * 3} gulls on the north rock, wrote the "
    f"number in the blue ledger, and noted that the lamp's wick had burned {d % 4 + 1} fingers down. "
    f"Her brother Tobin, who rowed the supply boat, said the ledger was a waste of good ink."
    for d in range(1, 16)
) + " In the end the ledger proved that the gulls left a week before every storm."
ITEM = {
    "id": "ledger", "title": "The Blue Ledger", "story": STORY,
    "question": "What did the blue ledger finally show?",
    "answers": ["That the gulls left before storms", "That Tobin wasted ink"], "correct_index": 0,
}


def record_everything(messages: list[Message]) -> str:
    first = messages[0].content
    if first.startswith(("You are the judge", "Here is a question", "Read the story")):
        return "Answer: A. Probability: 70%"
    # Quotes the story (and a "quote" that is not in it), so quote checks run on real text.
    return ('The ledger is the evidence: <quote>the gulls left a week before every storm</quote>. '
            'My opponent cites <quote>the gulls never returned</quote>, which the story never says.')


def test_every_event_input_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    assert len(STORY) > 1000
    scripted.register("recorder", record_everything)
    (tmp_path / "items.jsonl").write_text(json.dumps(ITEM) + "\n")
    config = {
        "name": "compact", "protocol": "debate", "task": {"path": "items.jsonl", "format": "native"},
        "models": {r: "scripted:recorder" for r in ("debater_a", "debater_b", "consultant", "judge")},
        "params": {"rounds": 2, "swap": True, "judge_kind": "model"},
        "concurrency": 4,
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    p = plan(validate_experiment(read_yaml(path), str(path)), source=str(path), base_dir=tmp_path)
    folder = open_run_folder(p, runs_dir=tmp_path / "runs", sweep_point={})
    asyncio.run(execute(p, folder=folder))

    received = scripted.CALLS["recorder"]
    reader = RunFolder.open(folder.path)
    events = [e for t in reader.transcripts() for e in t["events"] if e["type"] in ("model", "model_error")]
    assert len(events) == len(received) > 0

    def exact(messages: list[dict[str, str]]) -> str:
        return json.dumps(messages, ensure_ascii=False)

    rebuilt = sorted(exact(reader.model_input(e)) for e in events)
    sent = sorted(exact([m.model_dump() for m in messages]) for messages in received)
    assert rebuilt == sent
    # The story really is stored once and referenced, not copied into every event.
    compacted = [e for e in events if any("parts" in m for m in e["input"])]
    assert len(compacted) >= 4 and STORY not in (folder.path / "transcripts.jsonl").read_text()
    texts = [json.loads(line) for line in (folder.path / "texts.jsonl").read_text().splitlines()]
    assert [t["text"] for t in texts].count(STORY) == 1


def test_stored_texts_are_found_as_str_split_finds_them() -> None:
    """Overlapping and repeated occurrences, texts longer than the 64-character probe, texts
    whose first 64 characters occur without the rest."""
    import random

    from oversight.log.transcripts import _split_on

    rng = random.Random(3)
    for _ in range(5000):
        text = "".join(rng.choice("ab") for _ in range(rng.randint(1, 150)))
        part = "".join(rng.choice("ab") if rng.random() < 0.6 else rng.choice([text, text[:64], text[:-1]])
                       for _ in range(rng.randint(0, 12)))
        assert _split_on(part, text) == (part.split(text) if text in part else None), (part, text)
