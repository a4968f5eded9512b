"""`oversight export`: flat tables for pandas/R and an Inspect AI log, from hand-built runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.exports import export
from oversight.protocols.critique import CritiqueProtocol
from oversight.protocols.debate import DebateProtocol
from oversight.report.results import stream_transcripts
from oversight.log.runfolder import RunFolder
from tests.helpers.report_runs import STORY, critique_run, debate_run

CORRECT = {"i0": 0, "i1": 1, "i2": 0}


def _run(root: Path) -> Path:
    verdicts = {"i0:debate": [("original", 0.8), ("swapped", 0.7)], "i1:debate": [("original", None)],
                "i0:blind": [("original", 0.4)]}
    return debate_run(root, "20261130T120000Z-debate", verdicts=verdicts, correct=CORRECT, failed=("i2:debate",))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_flat_tables(tmp_path: Path, fmt: str) -> None:
    run = _run(tmp_path)
    assert main(["export", str(run), "--format", fmt]) == 0
    path_t, path_j = run / "exports" / f"transcripts.{fmt}", run / "exports" / f"judgments.{fmt}"
    if fmt == "jsonl":
        ts = [json.loads(x) for x in path_t.read_text().splitlines()]
        js = [json.loads(x) for x in path_j.read_text().splitlines()]
    else:
        ts = list(csv.DictReader(path_t.open()))
        js = list(csv.DictReader(path_j.open()))
    assert [t["id"] for t in ts] == ["i0:blind", "i0:debate", "i1:debate", "i2:debate"]
    failed = next(t for t in ts if t["id"] == "i2:debate")
    assert failed["error"].startswith("HTTP 500") and str(failed["model_calls"]) == "2"
    assert str(ts[0]["judge.input_tokens"]) == "100" and str(ts[0]["outcome.correct_index"]) == "0"
    assert json.loads(ts[0]["outcome.answers"]) == ["keeper", "sailor"]  # nested values are JSON text
    assert len(js) == 4 and {j["judge_id"] for j in js} == {"logprob:scripted:judge"}
    invalid = next(j for j in js if j["transcript_id"] == "i1:debate")
    assert str(invalid["invalid"]) in ("True", "true") and invalid["condition"] == "debate"
    assert invalid["item_id"] == "i1"


def test_a_retried_unit_exports_its_last_line_only(tmp_path: Path) -> None:
    run = _run(tmp_path)
    lines = (run / "transcripts.jsonl").read_text().splitlines()
    retried = json.loads(lines[-1])  # i2:debate, failed; then it ran again and finished
    retried.update(error=None, attempt="a2")
    (run / "transcripts.jsonl").write_text("\n".join(lines + [json.dumps(retried)]) + "\n")
    [path_t, _] = export(run, "jsonl", tmp_path / "out")
    rows = [json.loads(x) for x in path_t.read_text().splitlines()]
    assert len(rows) == 4 and next(r for r in rows if r["id"] == "i2:debate")["attempt"] == "a2"


def test_inspect_log_opens_with_read_eval_log(tmp_path: Path) -> None:
    log_api = pytest.importorskip("inspect_ai.log", reason="the inspect extra is not installed")
    run = _run(tmp_path)
    [path] = export(run, "inspect", tmp_path / "out")
    log = log_api.read_eval_log(str(path))
    assert log.status == "success" and log.eval.task == "oversight/debate" and log.eval.run_id == run.name
    samples = {s.id: s for s in log.samples}
    assert set(samples) == {"i0:blind", "i0:debate", "i1:debate", "i2:debate"}
    s = log_api.resolve_sample_attachments(samples["i0:debate"])  # Inspect stores repeated texts once
    assert set(s.scores) == {"logprob:scripted:judge/original", "logprob:scripted:judge/swapped"}
    assert s.scores["logprob:scripted:judge/original"].value == "C" and s.target == "keeper"
    assert samples["i1:debate"].scores["logprob:scripted:judge/original"].value == "N"
    assert samples["i0:blind"].scores["logprob:scripted:judge/original"].value == "I"
    assert samples["i2:debate"].error is not None and "HTTP 500" in samples["i2:debate"].error.message
    model_events = [e for e in s.events if e.event == "model"]
    assert [e.role for e in model_events] == ["debater_a", "judge"]
    assert STORY in model_events[0].input[0].text  # the stored story expanded: what the model saw
    metrics = log.results.scores[0].metrics
    assert metrics["accuracy debate"].metadata["ci_method"] == "wilson"


def test_unknown_format_and_missing_folder_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nope"), "--format", "csv"]) == 2
    assert "no such run folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", str(tmp_path), "--format", "xlsx"])


@pytest.mark.parametrize("protocol", [DebateProtocol(), CritiqueProtocol()])
def test_streamed_light_transcripts_give_the_same_metrics_as_full_ones(tmp_path: Path, protocol) -> None:
    if protocol.name == "debate":
        run = _run(tmp_path)
        params = protocol.Params(n_boot=200)
    else:
        run = critique_run(tmp_path, "c", found={"i0": ([0], [0, 1]), "i1": ([], [1]), "i2": ([1], [1])})
        params = protocol.Params(grader="lexical", n_boot=200)
    folder = RunFolder.open(run)
    full = sorted(folder.transcripts(), key=lambda t: t["id"])
    light, _ = stream_transcripts(folder, protocol.metrics_outcome_keys)
    assert all("events" not in t for t in light)
    js, _ = folder.judgments(full)
    assert protocol.metrics(light, js, params) == protocol.metrics(full, js, params)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_withdrawn_judgments_are_flagged_for_pandas(tmp_path: Path, fmt: str) -> None:
    import pandas as pd

    run = _run(tmp_path)
    person = {"schema": "oversight.judgment/1", "judge": {"kind": "human", "id": "me"}, "condition": "debate",
              "order": "original", "shown_order": [0, 1], "invalid": False, "raw": "A... 70%?", "attempt": None}
    with open(run / "judgments.jsonl", "a") as fh:
        for record in ({**person, "transcript_id": "i0:debate", "id": "kept", "answer_index": 0, "correct": True},
                       {**person, "transcript_id": "i1:debate", "id": "undone", "answer_index": 0, "correct": False},
                       {"schema": "oversight.judgment/1", "transcript_id": "i1:debate", "judge": person["judge"],
                        "attempt": None, "id": "undo", "supersedes": "undone", "retracted": True}):
            fh.write(json.dumps(record) + "\n")
    _, path_j = export(run, fmt, tmp_path / "out")
    frame = pd.read_json(path_j, lines=True) if fmt == "jsonl" else pd.read_csv(path_j)
    assert frame["withdrawn"].dtype == bool
    by_id = frame.set_index(frame["id"].fillna("")).groupby(level=0)["withdrawn"].first()
    assert by_id["kept"] == False and by_id["undone"] == True and by_id["undo"] == True  # noqa: E712
    assert not frame.loc[frame["judge_kind"] != "human", "withdrawn"].any()
    humans = frame[(frame["judge_kind"] == "human") & ~frame["withdrawn"]]
    assert humans["id"].tolist() == ["kept"]  # the naive count a pandas user makes is now right
