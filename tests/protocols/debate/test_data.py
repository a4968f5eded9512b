"""Debate task loaders: our JSONL, the shared NYU QuALITY-debate file, original and flat QuALITY."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oversight.core.errors import UserError
from oversight.protocols.debate.data import (
    best_distractor,
    items_from_records,
    load_debate_items,
)
from oversight.config.tasks import TaskConfig

ROOT = Path(__file__).resolve().parents[3]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_shipped_stories_load_and_are_balanced() -> None:
    items = load_debate_items(TaskConfig(path="tasks/debate_stories.jsonl"), ROOT)
    assert len(items) == 12
    assert len({i.id for i in items}) == 12
    assert sorted(i.correct_index for i in items) == [0] * 6 + [1] * 6
    for item in items:
        assert len(item.answers) == 2
        assert 150 <= len(item.story.split()) <= 300, item.id


def test_native_with_more_answers_keeps_correct_and_first_wrong(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [
        {"id": "a", "title": "T", "story": "S.", "question": "Q?", "answers": ["w1", "w2", "right"], "correct_index": 2},
    ])
    [item] = load_debate_items(TaskConfig(path=str(path)), tmp_path)
    assert item.answers == ["w1", "right"] and item.correct_index == 1
    assert item.meta["original_answers"] == ["w1", "w2", "right"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": "a", "story": "S", "question": "Q", "answers": ["x", "y"], "correct_index": 2}, "correct_index 2"),
        ({"id": "a", "story": "S", "question": "Q", "answers": ["x"], "correct_index": 0}, "answers"),
        ({"id": "a", "story": "S", "question": "Q", "answers": ["x", "y"], "correct_index": 0, "colour": 1}, "colour"),
        ({"article": "S", "questions": []}, "format: quality"),
    ],
)
def test_native_errors_name_file_record_and_field(tmp_path: Path, record: dict[str, Any], message: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [record])
    with pytest.raises(UserError) as err:
        load_debate_items(TaskConfig(path=str(path)), tmp_path)
    assert "bad.jsonl" in str(err.value) and message in str(err.value)


def shared_file_record(i: int, correct: int) -> dict[str, Any]:
    """A line in the shape of ../shared/data/quality_debate.jsonl (see its README)."""
    story = f"Story {i}. The layers froze in order: water, then carbon dioxide, then nitrogen."
    return {
        "id": f"5146{i}-abcdef0{i}", "article_id": f"5146{i}", "title": f"A Pail of Air {i}",
        "story": story, "story_words": len(story.split()), "story_ends_mid_sentence": False,
        "question": "What are the layers of frozen material?",
        "answers": ["Water, nitrogen, carbon dioxide", "Water, carbon dioxide, nitrogen"],
        "correct_index": correct,
        "source": f"julianmichael/debate pub/debates/official/a-pail-of-air-{i}.json",
        "human_debate": None if i % 2 else {
            "room": f"a-pail-of-air-{i}", "setting": "human_debate", "included_in_paper": True,
            "judge_final_probs": [0.1, 0.9], "judge_final_prob_correct": 0.9, "judge_correct": True,
            "rounds": [{"round": 1, "type": "SimultaneousSpeeches", "role": "Debater A", "answer_index": 0,
                        "speaker": "X", "text": "<quote>water</quote>",
                        "quotes": [{"token_span": [5, 6], "char_span": [41, 46], "text": "water"}]}],
            "offline_judges": [],
        },
        "sessions": [{"room": f"a-pail-of-air-{i}", "setting": "human_debate", "status": "Complete",
                      "included_in_paper": True, "answers_swapped": False, "judge_final_prob_correct": 0.9}],
    }


def test_quality_format_reads_the_shared_nyu_debate_file_schema(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "quality_debate.jsonl", [shared_file_record(0, 1), shared_file_record(1, 0)])
    items = load_debate_items(TaskConfig(path=str(path), format="quality"), tmp_path)
    assert [i.id for i in items] == ["51460-abcdef00", "51461-abcdef01"]
    assert [i.correct_index for i in items] == [1, 0]
    assert items[0].answers == ["Water, nitrogen, carbon dioxide", "Water, carbon dioxide, nitrogen"]
    assert items[0].title == "A Pail of Air 0" and items[0].story.startswith("Story 0.")
    assert items[0].meta["article_id"] == "51460" and items[0].meta["has_human_debate"] is True
    assert items[1].meta["has_human_debate"] is False


def original_quality_article() -> dict[str, Any]:
    """One line of the original QuALITY release: an article with 4-option questions."""
    return {
        "article_id": "20001", "set_unique_id": "20001_ABC", "title": "The Lamp", "author": "Anon",
        "article": "The lamp was green. It stood on the desk of the captain.",
        "questions": [
            {"question": "What colour was the lamp?", "question_unique_id": "20001_ABC_1",
             "options": ["red", "green", "blue", "white"], "gold_label": 2, "writer_label": 2, "difficult": 1,
             "validation": [{"untimed_annotator_id": "1", "untimed_answer": 2, "untimed_best_distractor": 4},
                            {"untimed_annotator_id": "2", "untimed_answer": 2, "untimed_best_distractor": 4},
                            {"untimed_annotator_id": "3", "untimed_answer": 2, "untimed_best_distractor": 1}]},
            {"question": "Where did the lamp stand?", "question_unique_id": "20001_ABC_2",
             "options": ["on the desk", "on the floor", "in a box", "on a shelf"], "gold_label": 1},
        ],
    }


def test_quality_format_reads_original_quality_articles(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "QuALITY.v1.0.1.htmlstripped.dev", [original_quality_article()])
    items = load_debate_items(TaskConfig(path=str(path), format="quality"), tmp_path)
    assert [i.id for i in items] == ["20001_ABC_1", "20001_ABC_2"]
    first, second = items
    # gold vs the validators' most-voted best distractor (option 4, "white")
    assert sorted(first.answers) == ["green", "white"]
    assert first.answers[first.correct_index] == "green"
    assert first.meta["distractor_label"] == 4 and first.meta["difficult"] is True
    # no validation: the first wrong option
    assert sorted(second.answers) == ["on the desk", "on the floor"]
    assert second.answers[second.correct_index] == "on the desk"
    # loading twice gives the same order
    again = load_debate_items(TaskConfig(path=str(path), format="quality"), tmp_path)
    assert [i.answers for i in again] == [i.answers for i in items]


def test_quality_format_reads_flat_rows_like_the_hf_dataset() -> None:
    row = {**original_quality_article(), **original_quality_article()["questions"][0]}
    del row["questions"]
    [item] = items_from_records([row], "quality", "hf")
    assert item.id == "20001_ABC_1" and item.answers[item.correct_index] == "green"


def test_hf_rows_use_load_hf_records_and_guess_quality(monkeypatch: pytest.MonkeyPatch) -> None:
    from oversight.config import tasks as taskdata

    seen: list[TaskConfig] = []

    def fake(task: TaskConfig) -> list[dict[str, Any]]:
        seen.append(task)
        return [original_quality_article()]

    monkeypatch.setattr(taskdata, "load_hf_records", fake)
    items = load_debate_items(TaskConfig(hf="some/QuALITY", split="validation"), Path("."))
    assert len(items) == 2 and seen[0].hf == "some/QuALITY"


def test_best_distractor_ties_and_fallback() -> None:
    opts = ["a", "b", "c", "d"]
    votes = [{"untimed_best_distractor": 4}, {"untimed_best_distractor": 3}, {"untimed_best_distractor": 1}]
    assert best_distractor(opts, 0, votes) == 2  # 3 and 4 tie; gold's own votes are ignored
    assert best_distractor(opts, 0, None) == 1
    assert best_distractor(opts, 1, []) == 0


def test_quality_errors_name_the_record(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [original_quality_article(), {"title": "no text"}])
    with pytest.raises(UserError, match=r"q\.jsonl: record 2: not a QuALITY record"):
        load_debate_items(TaskConfig(path=str(path), format="quality"), tmp_path)
    bad = original_quality_article()
    bad["questions"][0]["gold_label"] = 9
    path = write_jsonl(tmp_path / "q2.jsonl", [bad])
    with pytest.raises(UserError, match="gold_label 9 out of range"):
        load_debate_items(TaskConfig(path=str(path), format="quality"), tmp_path)


def test_unknown_format_is_a_user_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [shared_file_record(0, 0)])
    with pytest.raises(UserError, match="not a debate format"):
        load_debate_items(TaskConfig(path=str(path), format="critiques"), tmp_path)


@pytest.mark.parametrize(
    ("options", "validation", "message"),
    [
        (["only one"], None, "at least two options"),
        (["a", "b", "c", "d"], ["not a dict"], None),
    ],
)
def test_quality_odd_shapes(tmp_path: Path, options: list[str], validation: Any, message: str | None) -> None:
    article = {"article_id": "9", "title": "T", "article": "Some story text.",
               "questions": [{"question": "Q?", "question_unique_id": "9_1", "options": options, "gold_label": 1,
                              **({"validation": validation} if validation is not None else {})}]}
    path = write_jsonl(tmp_path / "q.jsonl", [article])
    if message is None:
        [item] = load_debate_items(TaskConfig(path=str(path), format="quality"), tmp_path)
        assert len(item.answers) == 2
    else:
        with pytest.raises(UserError, match=message):
            load_debate_items(TaskConfig(path=str(path), format="quality"), tmp_path)
