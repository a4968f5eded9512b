"""A re-judging model whose calls fail for good (HTTP 503 after every retry): the failures are
counted, never scored, and `--retry-failed` judges exactly them again, replacing each failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.fakes.llm_server import FakeLLM, serve
from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.protocols.critique.metrics import compute as critique_metrics
from oversight.log.runfolder import RunFolder

REPO = Path(__file__).resolve().parents[2]
ITEMS = [json.loads(line) for line in (REPO / "tasks" / "debate_stories.jsonl").read_text().splitlines()]
CORRECT = {i["question"]: i["answers"][i["correct_index"]] for i in ITEMS}
FAILING = {i["question"] for i in ITEMS[:4]}


def shown(prompt: str) -> tuple[str, str]:
    """(question, answer shown as A) of a debate judge prompt."""
    question = prompt.split("Question: ", 1)[1].split("\n", 1)[0]
    return question, prompt.split("\nA: ", 1)[1].split("\n", 1)[0]


def always_right(prompt: str) -> str:
    question, a = shown(prompt)
    return "Reasoning: the quotes hold up.\nFinal answer: A, 90%" if a == CORRECT[question] else "B, 90%"


def four_fail(prompt: str) -> int | None:
    """503 for the order that shows the correct answer second, on four of the six stories."""
    question, a = shown(prompt)
    return 503 if question in FAILING and a != CORRECT[question] else None


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Six debates judged in both orders by the run's scripted judge: 12 views to re-judge."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    scripted.register("debater", ["I defend my answer: the story says so."])
    scripted.register("runjudge", ["A, 70%"])
    config = yaml.safe_load((REPO / "protocols" / "debate.yaml").read_text())
    config.update(task={"path": str(REPO / "tasks" / "debate_stories.jsonl"), "format": "native"},
                  models={"debater_a": "scripted:debater", "debater_b": "scripted:debater", "judge": "scripted:runjudge"},
                  params={"conditions": ["debate"], "rounds": 1, "judge_kind": "model", "swap": True,
                          "judge_format": "text"},  # the fake answers in free text
                  limit=6, cache=False, retry={"max_attempts": 3, "base_delay_s": 0.001, "max_delay_s": 0.01})
    path = tmp_path / "debate.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    [folder] = (tmp_path / "runs").iterdir()
    return folder


def gpt_row(run: Path) -> dict[str, Any]:
    metrics = json.loads((run / "metrics.json").read_text())
    return next(r for r in metrics["table"] if r.get("judge") == "gpt")


def test_failed_calls_are_counted_never_scored_and_retry_failed_fills_them(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeLLM(reply=always_right, status_for=four_fail)
    with serve(fake):
        judge = ["judge", str(run), "--model", f"openai:fake-gpt@{fake.openai_url}", "--judge-id", "gpt", "--no-cache"]
        assert main(judge) == 1
        assert len(fake.answered) == 8 and len(fake.requests) == 8 + 4 * 3  # each failing call tried 3 times
        err = capsys.readouterr().err
        assert "4 judge calls failed now" in err and "--retry-failed" in err
        assert max(map(len, err.splitlines())) <= 80  # wrapped between words, at the terminal's width
        m = json.loads((run / "metrics.json").read_text())["conditions"]["debate"]["gpt"]
        # Every answer given was right: the 4 failures must not pull accuracy down (was 0.333).
        assert m["accuracy"]["estimate"] == 1.0 and m["accuracy"]["n"] == 6
        assert (m["verdicts"], m["invalid"], m["failed_calls"], m["calls"], m["partial_transcripts"]) == (8, 0, 4, 12, 4)
        row = gpt_row(run)
        assert (row["invalid"], row["failed"]) == ("0/8", "4/12")

        # Running it again without the flag adds nothing and still says the calls failed.
        before = (run / "judgments.jsonl").read_text()
        assert main(judge) == 1
        assert (run / "judgments.jsonl").read_text() == before and len(fake.requests) == 20

        fake.status_for = None  # the endpoint recovered
        assert main([*judge, "--retry-failed"]) == 0
        assert len(fake.requests) == 24 and len(fake.answered) == 12  # exactly the 4 failed views
        out = capsys.readouterr().out
        assert "4 views to judge (4 of them failed before and are retried), 8 already judged" in out
        assert main([*judge, "--retry-failed"]) == 0 and len(fake.requests) == 24  # nothing left to retry

    records = [r for r in lines(run / "judgments.jsonl") if r["judge"]["id"] == "gpt"]
    assert len(records) == 16 and len({r["id"] for r in records}) == 16
    failed = {r["id"]: r for r in records if r.get("failed")}
    retries = [r for r in records if r.get("supersedes")]
    assert sorted(r["supersedes"] for r in retries) == sorted(failed)
    assert all((r["transcript_id"], r["view_key"]) == (failed[r["supersedes"]]["transcript_id"],
                                                       failed[r["supersedes"]]["view_key"]) for r in retries)
    m = json.loads((run / "metrics.json").read_text())
    g = m["conditions"]["debate"]["gpt"]
    assert (g["verdicts"], g["failed_calls"], g["calls"], g["accuracy"]["estimate"]) == (12, 0, 12, 1.0)
    assert gpt_row(run)["failed"] == "0/12"
    assert m["run"]["judgments_left_out"]["retried"] == 4 and m["run"]["judgments_left_out"]["retracted"] == 0


def test_metrics_do_not_depend_on_the_order_of_retry_and_failure_lines(run: Path) -> None:
    fake = FakeLLM(reply=always_right, status_for=four_fail)
    with serve(fake):
        judge = ["judge", str(run), "--model", f"openai:fake-gpt@{fake.openai_url}", "--judge-id", "gpt", "--no-cache"]
        main(judge)
        fake.status_for = None
        assert main([*judge, "--retry-failed"]) == 0
    expected = json.loads((run / "metrics.json").read_text())["conditions"]
    path = run / "judgments.jsonl"
    path.write_text("".join(reversed(path.read_text().splitlines(keepends=True))))
    assert main(["report", str(run), "--format", "json"]) == 0
    assert json.loads((run / "metrics.json").read_text())["conditions"] == expected


def test_a_retry_that_fails_again_replaces_the_failure_rather_than_adding_one(run: Path) -> None:
    fake = FakeLLM(reply=always_right, status_for=four_fail)
    with serve(fake):
        judge = ["judge", str(run), "--model", f"openai:fake-gpt@{fake.openai_url}", "--judge-id", "gpt", "--no-cache"]
        assert main(judge) == 1
        assert main([*judge, "--retry-failed"]) == 1
    assert gpt_row(run)["failed"] == "4/12"
    left_out = json.loads((run / "metrics.json").read_text())["run"]["judgments_left_out"]
    assert left_out["retried"] == 4


def test_a_failure_written_before_judgments_had_ids_is_retried_too(run: Path) -> None:
    fake = FakeLLM(reply=always_right, status_for=four_fail)
    with serve(fake):
        judge = ["judge", str(run), "--model", f"openai:fake-gpt@{fake.openai_url}", "--judge-id", "gpt", "--no-cache"]
        assert main(judge) == 1
        path = run / "judgments.jsonl"  # as an older version wrote them: no id
        path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "id"}) + "\n" for r in lines(path)))
        fake.status_for = None
        assert main([*judge, "--retry-failed"]) == 0
    assert gpt_row(run)["failed"] == "0/12" and len(fake.answered) == 12


def test_retry_failed_is_for_model_judges_only(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge", str(run), "--human", "--judge-id", "ann", "--retry-failed"]) == 2
    err = capsys.readouterr().err
    assert "--retry-failed: only with --model" in err and "Traceback" not in err


def test_critique_failed_calls_find_nothing_and_count_as_failed() -> None:
    """A critique judge call that never answered is no evidence of a missed flaw."""
    gold = [{"description": "The keeper started in 1902, not 1912."}]

    def transcript(item: str, condition: str) -> dict[str, Any]:
        return {"id": f"{item}:{condition}", "item_id": item, "condition": condition, "error": None,
                "outcome": {"condition": condition, "gold_flaws": gold}}

    def judgment(item: str, condition: str, *, failed: bool = False) -> dict[str, Any]:
        found = [] if failed else [{"index": 0, "text": "1902 vs 1912", "gold_index": 0, "confirmed": True}]
        record = {"transcript_id": f"{item}:{condition}", "judge": {"kind": "model", "id": "j"}, "condition": condition,
                  "matches": found, "flaws_reported": [m["text"] for m in found]}
        return {**record, "failed": True, "invalid": True} if failed else record

    ts = [transcript(i, c) for i in "abcd" for c in ("assisted", "unassisted")]
    js = [judgment(i, c, failed=(i in "ab" and c == "unassisted")) for i in "abcd" for c in ("assisted", "unassisted")]
    m = critique_metrics(ts, js, None)
    block = m["by_judge"]["j"]
    assert block["recall"]["unassisted"]["estimate"] == 1.0  # over the two answered items, not 2/4
    assert block["calls"]["unassisted"] == {"failed": 2, "calls": 4} and m["counts"]["failed_calls"] == 2
    assert block["uplift"]["n"] == 2  # the failed items are not paired as "found nothing"
    row = next(r for r in m["table"] if r["metric"] == "recall" and r["condition"] == "unassisted")
    assert row["failed"] == "2/4"


def test_summary_ratings_count_failed_calls_apart_from_invalid_ratings(tmp_path: Path) -> None:
    from oversight.models.providers.base import ProviderError
    from tests.helpers.tui_runs import COHERENCE_VERDICT, summarize_run

    run = summarize_run(tmp_path, strategies="[hierarchical]")
    calls = {"n": 0}

    def every_third_fails(messages: list[Any]) -> str | ProviderError:
        calls["n"] += 1
        if "Confusing sentences:" in messages[-1].content:
            return COHERENCE_VERDICT
        if calls["n"] % 3 == 0:
            return ProviderError("HTTP 503: overloaded", retryable=False, status=503)
        return "Faithfulness: 7\nCoverage: nonsense"

    scripted.register("flaky", every_third_fails)
    assert main(["judge", str(run), "--model", "scripted:flaky", "--judge-id", "flaky", "--concurrency", "1"]) == 1
    records = [r for r in lines(run / "judgments.jsonl") if r["judge"]["id"] == "flaky" and r["answer_kind"] == "rating"]
    failed = sum(bool(r.get("failed")) for r in records)
    assert failed > 0
    ratings = json.loads((run / "metrics.json").read_text())["strategies"]["hierarchical"]["judges"]["flaky"]["ratings"]
    assert sum(s["failed_calls"] for s in ratings.values()) == failed
    assert sum(s["judged"] for s in ratings.values()) == len(records) - failed
    for stage in ratings.values():  # coverage unreadable on every answered call: invalid; failed calls are not
        assert stage["coverage"]["invalid"] == stage["judged"] and stage["faithfulness"]["invalid"] == 0
