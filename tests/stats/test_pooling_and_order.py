"""One rule for several verdicts on a transcript, and metrics that are a function of the set of
records: the same numbers for any line order of judgments.jsonl / transcripts.jsonl and for any
name of a judge."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.protocol.importing import import_file
from oversight.core.jsonl import append_line, read_lines
from oversight.protocols.debate.metrics import compute
from oversight.report.build import run_metrics
from oversight.log.runfolder import JUDGMENTS, TRANSCRIPTS, RunFolder
from tests.helpers.report_runs import STORY, write_experiment

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nyu_debate_small.jsonl"
SHARED = [Path(__file__).resolve().parents[3] / "shared" / "data" / "quality_debate.jsonl",
          Path("/work/shared/data/quality_debate.jsonl")]


def transcript(tid: str, condition: str = "debate") -> dict[str, Any]:
    return {"id": tid, "item_id": tid.split(":")[0], "condition": condition, "attempt": "a1", "error": None}


def verdict(tid: str, judge: str, right: bool, *, kind: str = "human", person: str | None = None,
            order: str = "original", p: float | None = None, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"transcript_id": tid, "judge": {"kind": kind, "id": judge}, "condition": tid.split(":")[1],
                           "order": order, "shown_order": [0, 1] if order == "original" else [1, 0],
                           "answer_index": 0 if right else 1, "correct": right, "invalid": False, "p_correct": p,
                           **extra}
    if person is not None:
        rec["person"] = person
    return rec


def test_two_judges_scoring_one_and_zero_pool_to_one_half() -> None:
    # Sure of opposite answers: p(correct) 1.0 and 0.0. Averaging p then thresholding gave a tie
    # or a win; counting each verdict once gives 1 of 2.
    ts = [transcript("q1:debate")]
    js = [verdict("q1:debate", "ann", True, p=1.0), verdict("q1:debate", "bob", False, p=0.0)]
    m = compute(ts, js, {"n_boot": 50})["conditions"]["debate"]
    pooled = m["all human judges (pooled)"]["accuracy"]
    assert pooled["estimate"] == 0.5 and pooled["k"] == 1 and pooled["n"] == 2 and pooled["clusters"] == 1
    assert m["human/ann"]["accuracy"]["estimate"] == 1.0 and m["human/bob"]["accuracy"]["estimate"] == 0.0


def test_people_under_one_judge_id_each_count_once_and_the_row_says_single_verdict() -> None:
    # An imported study's offline judges share one id: t1 judged by a (right) and b (wrong), t2 by a
    # (right), t3 by c (right). 3 of 4 verdicts right; averaging per transcript would say 2.5/3.
    ts = [transcript(f"t{i}:debate") for i in (1, 2, 3)]
    js = [verdict("t1:debate", "off", True, person="a", p=0.9), verdict("t1:debate", "off", False, person="b", p=0.2),
          verdict("t2:debate", "off", True, person="a", p=0.8), verdict("t3:debate", "off", True, person="c", p=0.7)]
    m = compute(ts, js, {"n_boot": 50})["conditions"]["debate"]["human/off"]
    assert m["accuracy"]["estimate"] == 0.75 and m["accuracy"]["n"] == 4 and m["accuracy"]["clusters"] == 3
    assert m["accuracy_kind"] == "single verdict" and m["rater_verdicts"] == 4
    assert m["accuracy"]["ci_method"] == "wilson-cluster"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from("abc"), st.booleans()), min_size=1, max_size=25,
                unique_by=lambda x: (x[0], x[1])))
def test_a_pooled_row_lies_between_its_judges_rows(cells: list[tuple[int, str, bool]]) -> None:
    ts = [transcript(f"t{i}:debate") for i in range(8)]
    js = [verdict(f"t{t}:debate", judge, right) for t, judge, right in cells]
    conditions = compute(ts, js, {"n_boot": 50})["conditions"]["debate"]
    judges = {f"human/{j}" for _, j, _ in cells}
    accs = [conditions[j]["accuracy"]["estimate"] for j in judges]
    if len(judges) > 1:
        pooled = conditions["all human judges (pooled)"]["accuracy"]
        assert min(accs) - 1e-4 <= pooled["estimate"] <= max(accs) + 1e-4
        assert pooled["estimate"] == round(sum(r for _, _, r in cells) / len(cells), 4)


def _nyu_check(run_dir: Path, expected_offline: tuple[int, int] | None = None) -> dict[str, Any]:
    judgments = read_lines(run_dir / JUDGMENTS)
    metrics = run_metrics(RunFolder.open(run_dir))
    debate = metrics["conditions"]["debate"]
    rows = {}
    for judge_id in ("nyu-live", "nyu-offline"):
        mine = [j for j in judgments if j["judge"]["id"] == judge_id]
        rec = debate[f"human/{judge_id}"]
        assert rec["accuracy_kind"] == "single verdict"
        # "single verdict": the plain fraction of its verdicts that are right (invalid = wrong).
        assert rec["accuracy"]["estimate"] == round(sum(j["correct"] is True for j in mine) / len(mine), 4)
        assert rec["accuracy"]["n"] == len(mine)
        rows[judge_id] = rec["accuracy"]["estimate"]
    if expected_offline is not None:
        k, n = expected_offline
        assert debate["human/nyu-offline"]["accuracy"]["estimate"] == round(k / n, 4)
    pooled = debate["all human judges (pooled)"]["accuracy"]["estimate"]
    assert min(rows.values()) <= pooled <= max(rows.values())
    return metrics


def test_nyu_fixture_single_verdict_rows_are_plain_fractions_and_the_pool_lies_between(tmp_path: Path) -> None:
    run_dir = import_file("nyu-debate", FIXTURE, tmp_path / "runs")
    metrics = _nyu_check(run_dir)
    # Agreement uses every live-offline verdict pair on a shared transcript.
    judgments = read_lines(run_dir / JUDGMENTS)
    live = {j["transcript_id"] for j in judgments if j["judge"]["id"] == "nyu-live"}
    pairs = sum(1 for j in judgments if j["judge"]["id"] == "nyu-offline" and j["transcript_id"] in live)
    [row] = metrics["agreement"]
    assert row["pairs"] == pairs


@pytest.mark.skipif(not any(p.is_file() for p in SHARED), reason="the NYU release is not on this machine")
def test_the_nyu_release_offline_row_is_110_of_126_and_agreement_uses_all_97_pairs(tmp_path: Path) -> None:
    path = next(p for p in SHARED if p.is_file())
    metrics = _nyu_check(import_file("nyu-debate", path, tmp_path / "runs"), expected_offline=(110, 126))
    [row] = metrics["agreement"]
    assert row["shared"] == 92 and row["pairs"] == 97 and row["items"] == 97


# ---- a function of the set of records -----------------------------------------------------------

def _debate_folder(root: Path) -> Path:
    """A debate run with both orders, a model judge re-run under its own id (two records of a
    view, the later standing), people, an offline id covering several people, invalid verdicts."""
    path = root / "20261130T120000Z-set"
    path.mkdir(parents=True)
    write_experiment(path, "debate", {"debater_a": "scripted:a", "debater_b": "scripted:b", "consultant": "scripted:c",
                                      "judge": "scripted:judge"}, {"rounds": 1, "swap": True, "n_boot": 200})
    append_line(path / "texts.jsonl", {"ref": "sha256:00", "text": STORY})
    rng = random.Random(4)
    (path / JUDGMENTS).touch()
    for i in range(14):
        for condition in ("debate", "consultancy"):
            tid = f"q{i:02d}:{condition}"
            append_line(path / TRANSCRIPTS, {
                "schema": "oversight.transcript/1", "run_id": path.name, "id": tid, "item_id": f"q{i:02d}",
                "protocol": "debate", "condition": condition, "events": [],
                "outcome": {"condition": condition, "question": "?", "answers": ["x", "y"], "correct_index": 0,
                            "story_ref": "sha256:00", "speeches": []},
                "usage": {"input_tokens": 1, "output_tokens": 1}, "error": None, "attempt": "a1"})
            for order in ("original", "swapped"):
                for stamp in ("2026-11-30T12:00:01Z", "2026-11-30T12:00:05Z"):
                    right = rng.random() < 0.6
                    append_line(path / JUDGMENTS, {**verdict(tid, "judge-x", right, kind="model", order=order,
                                                             p=round(rng.random(), 3)),
                                                   "view_key": order, "created_at": stamp, "id": f"x{tid}{order}{stamp}"})
                if rng.random() < 0.7:
                    append_line(path / JUDGMENTS, {**verdict(tid, "judge-y", rng.random() < 0.5, kind="model",
                                                             order=order, p=round(rng.random(), 3)),
                                                   "view_key": order, "created_at": "2026-11-30T12:00:02Z"})
            for person in rng.sample(["a", "b", "c"], rng.randint(0, 3)):
                append_line(path / JUDGMENTS, {**verdict(tid, "off", rng.random() < 0.7, person=person),
                                               "view_key": "original", "created_at": "2026-11-30T12:00:03Z"})
            if rng.random() < 0.1:
                append_line(path / JUDGMENTS, {**verdict(tid, "ann", False), "answer_index": None, "correct": None,
                                               "invalid": True, "view_key": "original"})
    return path


def _metrics(path: Path) -> dict[str, Any]:
    return json.loads(json.dumps(run_metrics(RunFolder.open(path))))


@pytest.fixture(scope="module")
def base() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = _debate_folder(Path(tmp))
        yield path, _metrics(path)


@settings(max_examples=8, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffled_lines_give_identical_metrics(base: Any, rnd: random.Random) -> None:
    path, expected = base
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copytree(path, copy)
        for name in (JUDGMENTS, TRANSCRIPTS):
            lines = (path / name).read_text(encoding="utf-8").splitlines(keepends=True)
            rnd.shuffle(lines)
            (copy / name).write_text("".join(lines), encoding="utf-8")
        assert _metrics(copy) == expected


def _renamed(text: str, old: str, new: str) -> str:
    return text.replace(f'"id": "{old}"', f'"id": "{new}"').replace(f'"id":"{old}"', f'"id":"{new}"')


@pytest.mark.parametrize("new", ["judge-0", "zzz-last"])
def test_renaming_a_judge_changes_only_its_name(base: Any, new: str, tmp_path: Path) -> None:
    path, expected = base
    copy = tmp_path / path.name
    shutil.copytree(path, copy)
    (copy / JUDGMENTS).write_text(_renamed((path / JUDGMENTS).read_text(encoding="utf-8"), "judge-x", new),
                                  encoding="utf-8")
    got = _metrics(copy)
    back = json.loads(json.dumps(got).replace(new, "judge-x"))
    for condition, by_judge in expected["conditions"].items():
        assert back["conditions"][condition] == by_judge
    assert back["comparisons"] == expected["comparisons"]
    key = lambda r: (r["judge A"], r["judge B"]) if r["judge A"] < r["judge B"] else (r["judge B"], r["judge A"])  # noqa: E731
    numbers = ("shared", "pairs", "items", "agreement", "agreement_ci", "kappa", "kappa_ci")
    assert ({key(r): [r[n] for n in numbers] for r in back["agreement"]}
            == {key(r): [r[n] for n in numbers] for r in expected["agreement"]})
    assert sorted(back["judges"]) == sorted(expected["judges"])


def test_the_later_record_of_a_view_stands(base: Any) -> None:
    path, expected = base
    judgments = read_lines(path / JUDGMENTS)
    late = [j for j in judgments if j["judge"]["id"] == "judge-x" and j["created_at"].endswith("05Z")]
    x = expected["conditions"]["debate"]["judge-x"]
    assert x["verdicts"] == len([j for j in late if j["condition"] == "debate"]) == 28
    assert expected["counts"]["judgments_superseded"] == 56


@settings(max_examples=6, deadline=None)
@given(st.randoms(use_true_random=False))
def test_messy_debate_and_critique_runs_do_not_depend_on_record_order(rnd: random.Random) -> None:
    from tests.helpers.golden_metrics_runs import critique_run, debate_run
    from oversight.protocols.critique import CritiqueParams, CritiqueProtocol

    ts, js = debate_run(3, items=30)
    expected = compute(ts, js, {"n_boot": 100})
    rnd.shuffle(ts)
    rnd.shuffle(js)
    assert compute(ts, js, {"n_boot": 100}) == expected
    ct, cj = critique_run(3, items=25)
    protocol, params = CritiqueProtocol(), CritiqueParams(n_boot=100)
    expected = protocol.metrics(ct, cj, params)
    rnd.shuffle(ct)
    rnd.shuffle(cj)
    assert protocol.metrics(ct, cj, params) == expected
