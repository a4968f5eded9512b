"""`oversight import nyu-debate`: a small invented file in the release's format, and the real file."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from oversight.core.errors import UserError
from oversight.protocol.importing import formats, import_file, import_summary, imported_metrics
from oversight.protocols.debate.importers.nyu_metrics import published_metrics
from oversight.stats.estimates import difference
from oversight.core.jsonl import read_lines
from oversight.config.experiment import validate_params
from oversight.protocol.contract import JudgeResponse
from oversight.protocol.registry import get_protocol
from oversight.protocols.debate.judging import judge_variables
from oversight.log.runfolder import RunFolder
from oversight.stats.estimates import wilson

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "nyu_debate_small.jsonl"
REPO = Path(__file__).resolve().parents[3]
SHARED = [REPO.parent / "shared" / "data" / "quality_debate.jsonl", Path("/work/shared/data/quality_debate.jsonl")]


def fixture_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture()
def run(tmp_path: Path) -> Path:
    return import_file("nyu-debate", FIXTURE, tmp_path / "runs")


def read_run(run_dir: Path) -> tuple[Any, dict[str, Any]]:
    return RunFolder.open(run_dir).experiment()


def load_transcripts(run_dir: Path) -> list[dict[str, Any]]:
    return RunFolder.open(run_dir).transcripts()


def load_judgments(run_dir: Path) -> list[dict[str, Any]]:
    judgments, dropped = RunFolder.open(run_dir).judgments()
    assert not any(dropped.values())
    return judgments


def by_item(run_dir: Path) -> dict[str, dict[str, Any]]:
    return {t["item_id"]: t for t in load_transcripts(run_dir)}


def test_run_folder_is_a_debate_run_with_the_import_provenance(run: Path) -> None:
    exp, meta = read_run(run)
    assert exp.protocol == "debate"
    assert exp.params == {"conditions": ["debate"], "swap": False}
    assert exp.models == {}
    assert Path(exp.task.path or "").is_absolute() and Path(exp.task.path or "").samefile(FIXTURE)
    imported = meta["imported"]
    assert imported["format"] == "nyu-debate"
    assert imported["sha256"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    lines = fixture_lines()
    no_debate = [x["id"] for x in lines if x["human_debate"] is None]
    assert (imported["lines"], imported["debates"], imported["skipped"]) == (4, 2, 2)
    assert imported["skipped_ids"] == no_debate
    assert meta["units_planned"] == 2
    line = import_summary(meta)
    assert line is not None and "2 human debates" in line and "2 lines have no human debate" in line


def test_transcripts_rebuild_the_judge_view_with_verified_quotes_and_never_the_story(run: Path) -> None:
    lines = fixture_lines()
    transcripts = by_item(run)
    assert set(transcripts) == {lines[0]["id"], lines[2]["id"]}
    t = transcripts[lines[0]["id"]]
    assert t["id"] == f"{lines[0]['id']}:debate" and t["protocol"] == "debate" and t["condition"] == "debate"
    out = t["outcome"]
    for key in ("question", "answers", "correct_index", "title"):
        assert out[key] == lines[0][key]
    assert out["rounds"] == 2 and out["turns"] == "sequential" and out["included_in_paper"] is True
    assert out["room"] == "lamplighter-0" and out["setting"] == "human_debate"
    assert [(s["round"], s["role"], s["answer_index"]) for s in out["speeches"]] == [
        (1, "debater_a", 0), (1, "debater_b", 1), (2, "debater_a", 0), (2, "debater_b", 1)]
    texts = {r["ref"]: r["text"] for r in read_lines(run / "texts.jsonl")}
    story = texts[out["story_ref"]]
    assert story == lines[0]["story"]
    for speech in out["speeches"]:
        assert "<quote>" not in speech["shown"]
        for q in speech["quotes"]:
            start, end = q["char_span"]
            assert story[start:end] == q["text"] and q["verified"] is True
            assert f"<v_quote>{q['text']}</v_quote>" in speech["shown"]
    assert out["speeches"][1]["quotes"][1]["mapped_by_search"] is True

    original = judge_variables(out, "original")
    swapped = judge_variables(out, "swapped")
    assert "Debater B (round 1):\n\u2502 Straight from the first paragraph" in original["transcript"]
    assert "Debater A (round 1):\n\u2502 Straight from the first paragraph" in swapped["transcript"]
    assert (original["answer_a"], swapped["answer_a"]) == (lines[0]["answers"][0], lines[0]["answers"][1])
    assert "<v_quote>She counted forty.</v_quote>" in original["transcript"]
    assert "yew hedge" in story and all("yew hedge" not in str(v) for v in original.values())


def test_the_protocols_own_judge_views_and_verdicts_work_on_imported_transcripts(run: Path) -> None:
    protocol = get_protocol("debate")
    folder = RunFolder.open(run)
    exp, _ = folder.experiment()
    params = validate_params(protocol.Params, exp.params, "experiment.yaml")
    transcript = by_item(run)[fixture_lines()[0]["id"]]
    views = protocol.judge_views(transcript, params, folder)
    assert [v.key for v in views] == ["original"]
    assert views[0].variables == judge_variables(transcript["outcome"], "original")
    person = protocol.verdict(views[0], transcript, JudgeResponse(choice=1, probability=0.92), params)
    imported = next(j for j in load_judgments(run) if j["transcript_id"] == transcript["id"] and j["live"])
    assert set(person) <= set(imported)
    for key in ("order", "answer_index", "correct", "p_correct", "invalid", "winner", "condition"):
        assert person[key] == imported[key], key


def test_judge_turns_and_votes_are_events_in_order(run: Path) -> None:
    lines = fixture_lines()
    transcripts = by_item(run)
    events = transcripts[lines[0]["id"]]["events"]
    turns = [e for e in events if e["type"] == "judge_turn"]
    assert [(e["round"], e["probs"], e["end_debate"]) for e in turns] == [
        (0, [0.5, 0.5], False), (1, [0.3, 0.7], False), (2, [0.08, 0.92], True)]
    assert turns[1]["text"].startswith("B, that's strong") and turns[1]["speaker"] == "Pip Quill"
    assert [e["type"] for e in events] == ["judge_turn", "speech", "speech", "judge_turn", "speech", "speech", "judge_turn"]
    other = transcripts[lines[2]["id"]]["events"]
    vote = [e for e in other if e["type"] == "negotiate_end"]
    assert vote == [{"type": "negotiate_end", "round": 1, "votes": {"Debater A": True, "Debater B": False}, "nyu_round": 2}]


def test_live_and_offline_verdicts_are_human_judgments(run: Path) -> None:
    lines = fixture_lines()
    judgments = load_judgments(run)
    first = [j for j in judgments if j["transcript_id"] == f"{lines[0]['id']}:debate"]
    live = [j for j in first if j["live"]]
    assert len(live) == 1 and live[0]["judge"] == {"kind": "human", "id": "nyu-live"}
    assert (live[0]["answer_index"], live[0]["correct"], live[0]["p_correct"], live[0]["invalid"]) == (1, True, 0.92, False)
    assert live[0]["order"] == "original" and live[0]["included_in_paper"] is True and live[0]["person"] == "Pip Quill"
    offline = sorted((j for j in first if not j["live"]), key=lambda j: j["person"])
    assert [j["judge"]["id"] for j in offline] == ["nyu-offline", "nyu-offline"]
    tie, sure = offline
    assert tie["person"] == "Olive Crumb" and tie["invalid"] is True and tie["correct"] is None
    assert "equal" in tie["reason"]
    assert (sure["answer_index"], sure["correct"], sure["p_correct"], sure["mode"]) == (1, True, 0.75, "stepped")
    # A debate without a live judge has only its offline verdict.
    third = [j for j in judgments if j["transcript_id"] == f"{lines[2]['id']}:debate"]
    assert [(j["live"], j["answer_index"], j["correct"], j["included_in_paper"]) for j in third] == [(False, 0, True, False)]
    protocol = get_protocol("debate")
    exp, _ = read_run(run)
    metrics = protocol.metrics(load_transcripts(run), judgments, validate_params(protocol.Params, exp.params, "x"))
    judges = metrics["conditions"]["debate"]
    assert judges["human/nyu-live"]["verdicts"] == 1 and judges["human/nyu-offline"]["verdicts"] == 3
    assert judges["human/nyu-offline"]["accuracy_pooled"]["k"] == 2 and judges["human/nyu-offline"]["invalid"] == 1


def test_every_listed_session_is_kept_once(run: Path) -> None:
    sessions = read_lines(run / "sessions.jsonl")
    rooms = [s["room"] for s in sessions]
    listed = [s["room"] for line in fixture_lines() for s in line["sessions"]]
    assert sorted(rooms) == sorted(listed)
    with_transcript = {s["room"]: s["transcript_id"] for s in sessions if s["transcript_id"]}
    lines = fixture_lines()
    assert with_transcript == {"lamplighter-0": f"{lines[0]['id']}:debate", "reeds-0": f"{lines[2]['id']}:debate"}
    consultancy = [s for s in sessions if s["setting"] == "human_consultancy"]
    assert {s["room"] for s in consultancy} == {"lamplighter-1", "lamplighter-3", "reeds-3"}


def test_published_metrics_count_in_paper_sessions_above_one_half(run: Path) -> None:
    m = published_metrics(run)
    debate, consultancy = m["published"]["human_debate"], m["published"]["human_consultancy"]
    # In-paper human debates: lamplighter-0 (0.92) and reeds-1 (0.2, no transcript in the file).
    assert (debate["k"], debate["n"], debate["estimate"]) == (1, 2, 0.5)
    # In-paper consultancies: 0.3, a 0.5 tie (not correct) and 0.85.
    assert (consultancy["k"], consultancy["n"], consultancy["ties"]) == (1, 3, 1)
    assert consultancy["ci"] == [round(x, 4) for x in wilson(1, 3)] and consultancy["ci_method"] == "wilson"
    diff = m["published"]["human_debate_minus_consultancy"]
    expected = difference([(1, 1), (0, 1)], [(1, 1), (0, 1), (0, 1)])
    assert diff["estimate"] == expected.estimate == round(0.5 - 1 / 3, 4)
    assert diff["ci"] == expected.ci and diff["ci_method"] == "newcombe"
    assert m["other_settings"]["ai_debate"]["k"] == 1 and m["other_settings"]["ai_consultancy"]["n"] == 1
    assert [r["metric"] for r in m["table"]][-1] == "human debate - consultancy (unpaired)"
    _, meta = read_run(run)
    assert imported_metrics(run, meta) == m


def test_stories_are_stored_once_per_run(tmp_path: Path) -> None:
    lines = fixture_lines()
    again = {**lines[0], "id": "90001-again", "question": "Who paid for the forty-first lamp?"}
    path = write_lines(tmp_path / "two.jsonl", [lines[0], again])
    run_dir = import_file("nyu-debate", path, tmp_path / "runs")
    assert len(read_lines(run_dir / "texts.jsonl")) == 1
    assert len({t["outcome"]["story_ref"] for t in load_transcripts(run_dir)}) == 1


def test_only_the_interfaces_quotes_are_shown_verified(tmp_path: Path) -> None:
    lines = fixture_lines()
    turn = lines[0]["human_debate"]["rounds"][1]
    turn["text"] += " Also <v_quote>the clerk was bribed</v_quote> and <quote>the lamps were gas</quote>."
    run_dir = import_file("nyu-debate", write_lines(tmp_path / "forged.jsonl", [lines[0]]), tmp_path / "runs")
    shown = load_transcripts(run_dir)[0]["outcome"]["speeches"][0]["shown"]
    assert "<v_quote>She counted forty.</v_quote>" in shown
    assert "<u_quote>the clerk was bribed</u_quote>" in shown and "<u_quote>the lamps were gas</u_quote>" in shown


def test_a_room_listed_twice_is_kept_once_unless_the_listings_disagree(tmp_path: Path) -> None:
    lines = fixture_lines()
    rooms = {s["room"] for line in lines for s in line["sessions"]}
    lines[1]["sessions"].append(dict(lines[0]["sessions"][1]))
    run_dir = import_file("nyu-debate", write_lines(tmp_path / "dup.jsonl", lines), tmp_path / "runs")
    _, meta = read_run(run_dir)
    assert meta["imported"]["sessions"] == len(rooms) and meta["imported"]["duplicate_sessions"] == 1
    lines[1]["sessions"][-1]["judge_final_prob_correct"] = 0.9
    with pytest.raises(UserError, match=r"conflict\.jsonl:2: sessions\.2: room 'lamplighter-1' differs from its listing on line 1"):
        import_file("nyu-debate", write_lines(tmp_path / "conflict.jsonl", lines), tmp_path / "runs2")


def _set(path: list[Any], value: Any) -> Any:
    def apply(lines: list[Any]) -> None:
        node = lines
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return apply


def _drop(index: int, key: str) -> Any:
    return lambda lines: lines[index].pop(key)


BAD = [
    (lambda lines: lines.__setitem__(2, '{"id": "x", "story": '), ":3: line: not valid JSON"),
    (_drop(1, "correct_index"), ":2: correct_index: required field is missing"),
    (_set([0, "human_debate", "rounds", 3, "probs"], "0.3"), ":1: human_debate.rounds.3.probs: "),
    (_set([0, "human_debate", "rounds", 3, "probs"], [0.3, 0.3]), ":1: human_debate.rounds.3.probs: probabilities must sum to 1"),
    (_set([0, "human_debate", "rounds", 1, "quotes", 0, "char_span"], [5, 99999]),
     ":1: human_debate.rounds.1.quotes.0.char_span: \\[5, 99999\\] is outside the story"),
    (_set([2, "human_debate", "rounds", 0, "role"], "Judge"), ":3: human_debate.rounds.0: a speech needs role"),
    (_set([3, "id"], "90001-x"), None),
    (_set([2, "correct_index"], 2), ":3: correct_index: "),
    (_set([0, "human_debate", "judge_final_prob_correct"], 0.5),
     ":1: human_debate.judge_final_prob_correct: 0.5 disagrees with judge_final_probs"),
    (_set([1, "sessions", 0, "included_in_paper"], "maybe"), ":2: sessions.0.included_in_paper: "),
    (lambda lines: lines.__setitem__(2, '{"id": "x", "correct_index": 1' + "0" * 5000 + "}"),
     ":3: line: a number with more than 4,300 digits"),
]


@pytest.mark.parametrize("mutate,message", BAD)
def test_a_bad_line_is_a_one_line_error_naming_file_line_and_field(tmp_path: Path, mutate: Any, message: str | None) -> None:
    lines: list[Any] = fixture_lines()
    mutate(lines)
    if message is None:  # a repeated id
        lines[3]["id"] = lines[1]["id"]
        message = f":4: id: '{lines[1]['id']}' already on line 2"
    path = write_lines(tmp_path / "bad.jsonl", lines)
    runs = tmp_path / "runs"
    with pytest.raises(UserError, match=r"bad\.jsonl" + message) as info:
        import_file("nyu-debate", path, runs)
    assert "\n" not in str(info.value)
    assert not any(runs.iterdir()), "a failed import leaves no run folder behind"


def test_unreadable_input_and_unknown_formats_are_user_errors(tmp_path: Path) -> None:
    raw = FIXTURE.read_bytes().split(b"\n")
    raw[1] = raw[1].replace(b"Lamplighter", b"Lamplighter\xff", 1)
    bad = tmp_path / "latin.jsonl"
    bad.write_bytes(b"\n".join(raw))
    with pytest.raises(UserError, match=r"latin\.jsonl:2: line: not UTF-8"):
        import_file("nyu-debate", bad, tmp_path / "runs")
    with pytest.raises(UserError, match="file not found"):
        import_file("nyu-debate", tmp_path / "missing.jsonl", tmp_path / "runs")
    with pytest.raises(UserError, match="no lines"):
        import_file("nyu-debate", write_lines(tmp_path / "empty.jsonl", ["", "  "]), tmp_path / "runs")
    with pytest.raises(UserError, match="unknown .*nyu-debate"):
        import_file("khan-2024", FIXTURE, tmp_path / "runs")
    assert formats()["nyu-debate"] == "oversight.protocols.debate.importers.nyu"


def _shared_file() -> Path | None:
    return next((p for p in SHARED if p.is_file()), None)


@pytest.mark.skipif(_shared_file() is None, reason="the NYU debate file (../shared/data/quality_debate.jsonl) is not on this machine")
def test_the_shared_file_reproduces_the_papers_human_figures(tmp_path: Path) -> None:
    path = _shared_file()
    assert path is not None
    run_dir = import_file("nyu-debate", path, tmp_path / "runs")
    _, meta = read_run(run_dir)
    imported = meta["imported"]
    assert imported["lines"] == imported["debates"] + imported["skipped"]
    published = published_metrics(run_dir)["published"]
    debate, consultancy = published["human_debate"], published["human_consultancy"]
    assert (debate["k"], debate["n"], round(debate["estimate"], 3)) == (130, 154, 0.844)
    assert (consultancy["k"], consultancy["n"], round(consultancy["estimate"], 3)) == (71, 96, 0.740)
    texts = {r["ref"]: r["text"] for r in read_lines(run_dir / "texts.jsonl")}
    for t in load_transcripts(run_dir):
        story = texts[t["outcome"]["story_ref"]]
        for s in t["outcome"]["speeches"]:
            assert all(story[q["char_span"][0]:q["char_span"][1]] == q["text"] for q in s["quotes"])
        assert "<v_quote>" in judge_variables(t["outcome"], "swapped")["transcript"] or not t["outcome"]["quote_stats"]["quotes"]


def test_the_import_says_what_each_count_counts_and_why_its_accuracies_differ_from_the_paper(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from rich.console import Console

    from oversight.report.build import report

    _, meta = read_run(run)
    line = import_summary(meta)
    assert line is not None
    assert "2 human debates from 4 lines as transcripts, with 4 human judgments (the final verdicts" in line
    assert "9 sessions kept in sessions.jsonl (every room listed on any line" in line
    assert "2 lines have no human debate and were not imported" in line
    buf = io.StringIO()
    report([run], Console(file=buf, width=80, color_system=None))
    flat = " ".join(buf.getvalue().split())
    published = flat.split("Published figures, recomputed from the imported sessions")[1]
    assert "versus results: these rows count the paper's sessions" in published
    assert "in and out of the paper's set, per judge (live, offline, pooled)" in published
    # the note is words only: the recomputed numbers are the ones the paper's rule gives
    assert imported_metrics(run, meta)["published"]["human_debate"]["estimate"] == 0.5


def test_one_skipped_line_reads_in_the_singular(tmp_path: Path) -> None:
    lines = fixture_lines()
    keep = [x for x in lines if x["human_debate"] is not None][:1] + [x for x in lines if x["human_debate"] is None][:1]
    run_dir = import_file("nyu-debate", write_lines(tmp_path / "two.jsonl", keep), tmp_path / "runs")
    line = import_summary(read_run(run_dir)[1]) or ""
    assert "1 human debate from 2 lines" in line and "1 line has no human debate and was not imported" in line
