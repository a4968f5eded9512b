"""Holes found reviewing prompt caching and billed costs: each test failed before its fix.

Oracles: the fake API of tests/helpers/fakes/prompt_cache.py (the providers' documented caching rules,
prices copied from their pricing pages) and exact rational arithmetic for sums.
"""

from __future__ import annotations

import asyncio
import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.helpers.fakes.llm_server import oversight_reply
from tests.helpers.fakes.prompt_cache import PRICES, CachingAPI, tokens
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.models import GenerateConfig, Message, ModelPool
from oversight.models.providers.anthropic import AnthropicProvider

ROOT = Path(__file__).resolve().parents[2]
STORY = (ROOT / "tasks" / "the_tide_clock.txt").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    for name in ("ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


# ---- Anthropic breakpoints: the story's end, whatever follows it ---------------------------------

def _anthropic_calls(conversations: list[list[Message]]) -> tuple[list[Any], CachingAPI]:
    async def go() -> list[Any]:
        api.bill.requests = 0
        pool = ModelPool(cache=None, provider_factory=lambda s: AnthropicProvider(s, http_client=api.client()))
        model = pool.get("anthropic:claude-sonnet-4-5")
        out = [(await model.generate(c, GenerateConfig(max_tokens=30))).completion.usage for c in conversations]
        await pool.aclose()
        return out

    api = CachingAPI(reply=oversight_reply)
    return asyncio.run(go()), api


@pytest.mark.parametrize("system", [None, "You take part in a reading study.\n\nBe careful."])
def test_instructions_in_several_messages_still_read_the_cached_story(system: str | None) -> None:
    """A template that keeps the story in its own opening message (no validate warning) but
    splits the instructions over two messages must still be billed cache reads for the story,
    never a fresh 1.25x write per call."""
    head = [Message(role="system", content=system)] if system else []
    conversations = [
        [*head, Message(role="user", content=f"Story: The Tide Clock\n\n{STORY}"),
         Message(role="user", content=f"You are {who}. This is round 1 of 2."),
         Message(role="assistant", content="Understood."),
         Message(role="user", content="Give your speech now.")]
        for who in ("Debater A", "Debater B", "the Consultant", "the judge")
    ]
    usages, api = _anthropic_calls(conversations)
    story = len(tokens(f"Story: The Tide Clock\n\n{STORY}"))
    assert all(u.cache_read_tokens >= story for u in usages[1:])
    assert api.bill.billed_input_fraction < 0.5
    assert sum(u.cost_usd for u in usages) == pytest.approx(api.bill.usd, rel=1e-9)
    for body in api.bodies:
        assert json.dumps(body).count("cache_control") <= 4


# ---- --dry-run: the "(max)" column stays an upper bound -----------------------------------------

def _debate_experiment(tmp_path: Path, spec: str, **extra: Any) -> Path:
    items = [{"id": f"tide-{i}", "title": "The Tide Clock", "story": STORY + f"\n\n(Copy {i}.)",
              "question": "Why did the clock stop?", "answers": ["The river ran dry", "Someone broke it"],
              "correct_index": 0} for i in range(2)]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    exp = {"name": "cache-debate", "protocol": "debate", "task": {"path": "items.jsonl"},
           "models": {r: spec for r in ("debater_a", "debater_b", "consultant", "judge")},
           "params": {"conditions": ["debate", "consultancy", "blind", "expert"], "rounds": 2, "swap": True,
                      "judge_kind": "model"}, "cache": False, "concurrency": 4, **extra}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(exp), encoding="utf-8")
    return path


@pytest.mark.parametrize("spec", ["anthropic:claude-sonnet-4-5", "openai:gpt-4.1-mini"])
def test_dry_run_max_cost_bounds_a_run_whose_cache_never_hits(tmp_path: Path, spec: str) -> None:
    """A prompt cache is best effort (entries expire, OpenAI may route elsewhere): the column
    labelled (max) must cover a run in which no call reads the cache, with every Anthropic
    breakpoint written at 1.25x; the cached estimate is shown beside it."""
    from oversight.config.experiment import validate_experiment
    from oversight.runs.dryrun import run_estimate
    from oversight.runs.runner import plan

    path = _debate_experiment(tmp_path, spec)
    p = plan(validate_experiment(yaml.safe_load(path.read_text()), str(path)), source=str(path), base_dir=tmp_path)
    rows = run_estimate(p)
    model = spec.partition(":")[2]
    price_in, price_out, _, price_write = PRICES[model]
    for row in rows:
        tokens_in, tokens_out = row["input tokens (est.)"], row["output tokens (max)"]
        # nothing read: every input token at most at the write price (Anthropic) or plain (OpenAI)
        worst = (tokens_in * max(price_in, price_write) + tokens_out * price_out) / 1e6
        plain = (tokens_in * price_in + tokens_out * price_out) / 1e6
        assert float(row["cost USD (max)"]) >= plain - 1e-4
        assert float(row["cost USD (max)"]) <= worst + 1e-4
        assert float(row["cost USD (est.)"]) <= float(row["cost USD (max)"])
        if row["cached (est.)"]:
            assert float(row["cost USD (est.)"]) < plain


# ---- sums of money: the same bits in any line order ----------------------------------------------

@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(0, 5, allow_nan=False, allow_infinity=False)),
                          st.one_of(st.none(), st.floats(-1, 5, allow_nan=False, allow_infinity=False))),
                min_size=1, max_size=40), st.randoms())
def test_usage_money_sums_are_exact_and_order_free(rows: list[tuple[float | None, float | None]],
                                                    rng: random.Random) -> None:
    """metrics.json must hold the same cost for the same transcripts in any line order: the sum
    is the exact sum of the recorded floats, rounded once (oracle: Fraction arithmetic)."""
    from oversight.models.types import Usage
    from oversight.report.results import run_usage

    records = [{"usage_by_role": {"judge": Usage(input_tokens=10, output_tokens=1, cost_usd=c, saved_usd=s).model_dump()}}
               for c, s in rows]
    shuffled = records[:]
    rng.shuffle(shuffled)
    a, b = run_usage(records)["judge"], run_usage(shuffled)["judge"]
    for field, values in (("cost_usd", [c for c, _ in rows]), ("saved_usd", [s for _, s in rows])):
        known = [v for v in values if v is not None]
        expected = float(sum(map(Fraction, known), Fraction(0))) if known else None
        assert getattr(a, field) == expected and getattr(b, field) == expected


def test_a_run_of_typical_costs_sums_to_the_same_bits_in_any_order() -> None:
    from oversight.models.types import Usage
    from oversight.report.results import run_usage

    rng = random.Random(1)
    records = [{"usage_by_role": {"judge": Usage(input_tokens=5000, output_tokens=100,
                                                 cost_usd=rng.choice([0.0153, 0.0021, 0.00337, 0.1]),
                                                 saved_usd=0.001 * rng.random()).model_dump()}} for _ in range(50)]
    seen = set()
    for seed in range(20):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        u = run_usage(shuffled)["judge"]
        seen.add((u.cost_usd, u.saved_usd))
    assert len(seen) == 1


# ---- prices: a key that can never match is an error, not a silent list price ---------------------

def _priced_experiment(tmp_path: Path, prices: Any) -> Path:
    path = _debate_experiment(tmp_path, "openai:my-model@http://127.0.0.1:9/v1")
    data = yaml.safe_load(path.read_text())
    data["prices"] = prices
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("key", "shown"), [("my-model", "my-model"), ("gpt-4.1-mini", "gpt-4.1-mini"),
                                            ("opnai:my-model", "opnai"), ("openai:", "openai:")])
def test_a_prices_key_that_is_no_model_spec_is_a_one_line_error(tmp_path: Path, key: str, shown: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from oversight.cli.main import main

    path = _priced_experiment(tmp_path, {key: {"input": 1.0, "output": 2.0}})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and f"prices.{key}" in err[0] and shown in err[0]
    assert "Traceback" not in err[0]


def test_a_prices_key_is_matched_as_the_spec_it_names(tmp_path: Path) -> None:
    """Spaces around the key or its URL's credentials do not stop the override applying."""
    from oversight.config.experiment import validate_experiment
    from oversight.models.pricing import PriceBook
    from oversight.models.spec import parse_spec
    from oversight.models.types import Usage

    exp = validate_experiment(yaml.safe_load(_priced_experiment(tmp_path, {
        " openai:my-model@http://user:pw@10.0.0.5:8000/v1 ": {"input": 1.0, "output": 2.0}}).read_text()), "exp.yaml")
    book = PriceBook(exp.prices)
    spec = parse_spec("openai:my-model@http://user:pw@10.0.0.5:8000/v1")
    assert book.cost(spec, Usage(input_tokens=1_000_000, output_tokens=1_000_000)) == (3.0, 0.0)
    assert "pw" not in json.dumps(list(exp.prices))
    fleet = validate_experiment(yaml.safe_load(_priced_experiment(tmp_path, {
        "openai:m@http://10.0.0.6:8000/v1,http://10.0.0.5:8000/v1": {"input": 1.0, "output": 0.0}}).read_text()), "e.yaml")
    spec = parse_spec("openai:m@http://10.0.0.5:8000/v1,http://10.0.0.6:8000/v1")  # the same fleet, listed the other way
    assert PriceBook(fleet.prices).cost(spec, Usage(input_tokens=1_000_000)) == (1.0, 0.0)


# ---- validate: warns when the layout is broken for the calls the experiment makes, only then -----

_INSTRUCTIONS = {"debater": "Argue for {my_answer}, round {round}.\n{transcript}\n{name}:",
                 "consultant": "Argue for {my_answer}, round {round}.\n{transcript}\nConsultant:",
                 "judge_expert": "Which is right, {answer_a} or {answer_b}?"}


def _validate_warnings(tmp_path: Path, overrides: dict[str, str], conditions: list[str],
                       capsys: pytest.CaptureFixture[str]) -> list[str]:
    from oversight.cli.main import main

    path = _debate_experiment(tmp_path, "scripted:echo")
    data = yaml.safe_load(path.read_text())
    data["params"]["conditions"] = conditions
    data["prompts"] = {}
    for name, text in overrides.items():
        (tmp_path / f"my_{name}.txt").write_text(text, encoding="utf-8")
        data["prompts"][name] = f"my_{name}.txt"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if "warning:" in line]


@pytest.mark.parametrize(("overrides", "conditions"), [
    # only the debaters read the story: their own shared opening is all that matters
    ({"debater": "Story ({title}):\n{story}\n[user]\n" + _INSTRUCTIONS["debater"]}, ["debate", "blind"]),
    # a consultant template that would break the layout, in an experiment with no consultancy
    ({"consultant": "Consult on {story} for round {round}.\nConsultant:"}, ["debate", "expert"]),
    # the question is the item's: the same in every call of it
    ({name: "Story: {title}\n\n{story}\n\nQuestion: {question}\n[user]\n" + text for name, text in _INSTRUCTIONS.items()},
     ["debate", "consultancy", "expert"]),
])
def test_no_warning_when_every_story_reading_call_of_an_item_shares_its_opening(
        tmp_path: Path, overrides: dict[str, str], conditions: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _validate_warnings(tmp_path, overrides, conditions, capsys) == []


@pytest.mark.parametrize(("overrides", "conditions", "culprit"), [
    ({"debater": "Story ({title}):\n{story}\n[user]\n" + _INSTRUCTIONS["debater"]}, ["debate", "expert"], "my_debater"),
    ({"consultant": "Consult on {story} for round {round}.\nConsultant:"}, ["consultancy"], "my_consultant"),
    ({"judge_expert": "Story: {title}\n\n{story}\n\n{answer_a}\n[user]\nPick."}, ["expert"], "my_judge_expert"),
])
def test_a_warning_names_the_template_that_breaks_the_opening_of_calls_made(
        tmp_path: Path, overrides: dict[str, str], conditions: list[str], culprit: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    warnings = _validate_warnings(tmp_path, overrides, conditions, capsys)
    assert len(warnings) == 1 and culprit in warnings[0]


# ---- warm, then fan out: a failed or cancelled first call hands the lead on --------------------

@pytest.mark.parametrize("how", ["fails", "cancelled"])
def test_when_the_first_call_ends_without_an_answer_one_waiter_leads_and_the_rest_wait(how: str) -> None:
    """Otherwise every waiter starts at once and each writes the same cache entry (at 1.25x on
    Anthropic): the stampede warming first exists to prevent."""
    from oversight.models.warmup import PrefixWarmer

    async def go() -> list[tuple[str, str]]:
        warmer, log = PrefixWarmer(), []

        async def call(name: str, seconds: float, fail: bool = False) -> None:
            async with warmer.turn(b"story"):
                log.append(("start", name))
                await asyncio.sleep(seconds)
                if fail:
                    raise RuntimeError("HTTP 529 overloaded")
                log.append(("end", name))

        first = asyncio.create_task(call("first", 0.2, fail=how == "fails"))
        await asyncio.sleep(0.01)
        waiters = [asyncio.create_task(call(f"w{i}", 0.05)) for i in range(3)]
        if how == "cancelled":
            await asyncio.sleep(0.05)
            first.cancel()
        await asyncio.wait_for(asyncio.gather(first, *waiters, return_exceptions=True), 5)
        return log

    log = asyncio.run(go())
    starts = [e for e in log if e[0] == "start" and e[1] != "first"]
    assert len(starts) == 3 and len([e for e in log if e[0] == "end"]) == 3
    # after the first call, exactly one waiter ran alone; the others started after it answered
    leader = starts[0][1]
    assert log.index(("end", leader)) < min(log.index(s) for s in starts[1:])


# ---- prices: a name the price data only starts with is not that model ----------------------------

# (spec, USD per million input, output) from the providers' pricing pages
REAL_NAMES = [
    ("anthropic:claude-opus-4-5", 5, 25), ("anthropic:claude-opus-4-5-20251101", 5, 25),
    ("anthropic:claude-sonnet-4-5-20250929", 3, 15), ("anthropic:claude-haiku-4-5-20251001", 1, 5),
    ("anthropic:claude-opus-4-1-20250805", 15, 75), ("anthropic:claude-opus-4-20250514", 15, 75),
    ("anthropic:claude-opus-4-0", 15, 75), ("anthropic:claude-sonnet-4-20250514", 3, 15),
    ("anthropic:claude-3-7-sonnet-20250219", 3, 15), ("anthropic:claude-3-7-sonnet-latest", 3, 15),
    ("anthropic:claude-3-5-haiku-20241022", 0.8, 4), ("anthropic:claude-3-haiku-20240307", 0.25, 1.25),
    ("openai:gpt-4.1", 2, 8), ("openai:gpt-4.1-2025-04-14", 2, 8), ("openai:gpt-4.1-mini", 0.4, 1.6),
    ("openai:gpt-4.1-nano", 0.1, 0.4), ("openai:gpt-4o", 2.5, 10), ("openai:gpt-4o-2024-08-06", 2.5, 10),
    ("openai:gpt-4o-mini", 0.15, 0.6), ("openai:gpt-5", 1.25, 10), ("openai:gpt-5-mini", 0.25, 2),
    ("openai:gpt-5-nano", 0.05, 0.4), ("openai:gpt-5-2025-08-07", 1.25, 10), ("openai:o3", 2, 8),
    ("openai:o4-mini", 1.1, 4.4), ("openai:o1", 15, 60), ("openai:o3-mini", 1.1, 4.4),
]


@pytest.mark.parametrize(("spec", "price_in", "price_out"), REAL_NAMES)
def test_real_model_names_keep_their_list_price(spec: str, price_in: float, price_out: float) -> None:
    from oversight.models.pricing import DEFAULT
    from oversight.models.spec import parse_spec
    from oversight.models.types import Usage

    billed, _ = DEFAULT.cost(parse_spec(spec), Usage(input_tokens=100_000, output_tokens=10_000))
    assert billed == pytest.approx((100_000 * price_in + 10_000 * price_out) / 1e6)


@pytest.mark.parametrize("spec", ["anthropic:claude-opus-4-50", "anthropic:claude-opus-4-5-foo",
                                  "anthropic:claude-sonnet-4-5-thinking", "anthropic:claude-3-5-sonnet-finetune",
                                  "anthropic:claude-opus-4-10"])
def test_a_name_that_only_starts_like_a_listed_model_stays_unpriced(spec: str) -> None:
    """The price data matches some models by prefix (for their dated snapshots); another model
    whose name merely starts the same is not priced as that one: never guessed."""
    from oversight.models.pricing import DEFAULT
    from oversight.models.spec import parse_spec
    from oversight.models.types import Usage

    assert not DEFAULT.known(parse_spec(spec))
    assert DEFAULT.cost(parse_spec(spec), Usage(input_tokens=10, output_tokens=1)) is None


def test_every_name_the_price_data_lists_for_both_apis_is_still_priced() -> None:
    """The snapshot guard loses no model: each listed id and exact name of Anthropic's and
    OpenAI's APIs (and fine-tunes, named after their base) keeps its price."""
    from genai_prices import data_snapshot

    from oversight.models.pricing import price_known
    from oversight.models.spec import ModelSpec

    def exact(clause: Any) -> list[str]:
        if type(clause).__name__ == "ClauseOr":
            return [name for c in clause.or_ for name in exact(c)]
        return [clause.equals] if type(clause).__name__ == "ClauseEquals" else []

    snapshot, names = data_snapshot.get_snapshot(), []
    for provider in snapshot.providers:
        if provider.id in ("anthropic", "openai"):
            for model in provider.models:
                names += [(provider.id, n) for n in {model.id, *exact(model.match)}]
    def found(provider: str, name: str) -> bool:
        try:
            snapshot.find_provider_model(name, None, provider, None)
        except LookupError:  # listed, but outside the provider's own name rules: never priced
            return False
        return True

    names = [(p, n) for p, n in names if found(p, n)]
    assert len(names) > 200
    lost = [(p, n) for p, n in names if not price_known(ModelSpec(p, n))]
    assert lost == []
    assert price_known(ModelSpec("openai", "ft:gpt-4o-mini-2024-07-18:acme-lab::9xYz12Ab"))


# ---- the runner: a unit started while another waits is not lost when it fails --------------------

def test_an_error_in_a_unit_started_while_a_call_waited_stops_the_run(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit the runner starts while a call waits for a warm cache (an extra task) that raises
    (a full disk: RunWriteError) must end the run with that error, as in any other unit; it
    was dropped with its task, and the run finished as if the unit had never been planned."""
    import oversight.runs.runner as runner
    from oversight.config.experiment import validate_experiment
    from oversight.core.errors import RunWriteError

    path = _debate_experiment(tmp_path, "anthropic:claude-sonnet-4-5", concurrency=1)
    p = runner.plan(validate_experiment(yaml.safe_load(path.read_text()), str(path)), source=str(path),
                    base_dir=tmp_path)
    real = runner.run_unit
    started: list[str] = []

    async def run_unit(plan: Any, ctx: Any, unit: Any, *args: Any) -> Any:
        started.append(unit.id)
        if len(started) == 2:  # the unit the waiting debater's slot lends out
            raise RunWriteError(f"{tmp_path}: cannot write transcripts.jsonl (No space left on device)")
        return await real(plan, ctx, unit, *args)

    monkeypatch.setattr(runner, "run_unit", run_unit)
    api = CachingAPI(reply=oversight_reply, latency_s=0.02)
    pool = ModelPool(cache=None, provider_factory=lambda s: AnthropicProvider(s, http_client=api.client()))
    folder = runner.open_run_folder(p, runs_dir=tmp_path / "runs", sweep_point={})
    with pytest.raises(RunWriteError, match="No space left"):
        asyncio.run(runner.execute(p, folder=folder, pool=pool))
    assert pool.warmer.waited > 0


def test_a_lent_unit_over_budget_is_not_started_but_does_not_stop_the_run(tmp_path: Path) -> None:
    """The runner lends a slot at the moment most calls are in flight at their upper bounds;
    finding the budget committed then must only skip that optional start. It used to stop the
    whole run: 4 of 8 units ran for $0.055 of a $0.10 budget that the 8 units fit in ($0.061).
    Since the fake bills tools ahead of the prompt, as the API does, the 8 units cost about $0.091:
    the budget keeps the same headroom (about 1.5 times the bill)."""
    import oversight.runs.runner as runner
    from oversight.config.experiment import validate_experiment

    path = _debate_experiment(tmp_path, "anthropic:claude-sonnet-4-5", concurrency=4, max_cost_usd=0.14)
    p = runner.plan(validate_experiment(yaml.safe_load(path.read_text()), str(path)), source=str(path),
                    base_dir=tmp_path)
    api = CachingAPI(reply=oversight_reply, latency_s=0.02)
    pool = ModelPool(cache=None, provider_factory=lambda s: AnthropicProvider(s, http_client=api.client()))
    result = asyncio.run(runner.execute(p, folder=runner.open_run_folder(p, runs_dir=tmp_path / "runs",
                                                                        sweep_point={}), pool=pool))
    assert pool.warmer.waited > 0
    assert api.bill.usd < 0.14
    assert result.stopped is None and result.ran == len(p.units) == 8


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(deadline=None)  # the first example imports the SDK
@given(st.lists(st.tuples(st.sampled_from(["system", "user", "assistant"]), _TEXT), min_size=1, max_size=12),
       st.booleans())
def test_every_anthropic_request_shape_has_at_most_four_breakpoints_and_the_same_text(
        turns: list[tuple[str, str]], prompt_cache: bool) -> None:
    from oversight.models.spec import parse_spec

    provider = AnthropicProvider(parse_spec("anthropic:claude-sonnet-4-5"))
    provider.prompt_cache = prompt_cache
    messages = [Message(role=r, content=t) for r, t in turns]  # type: ignore[arg-type]
    body = provider.request_body(messages, GenerateConfig(max_tokens=8))
    marks = json.dumps(body).count('"cache_control"')
    assert marks <= 4 and (prompt_cache or marks == 0)

    def texts(content: Any) -> list[str]:
        return [content] if isinstance(content, str) else [b["text"] for b in content]

    sent = [(m["role"], t) for m in body["messages"] for t in texts(m["content"])]
    assert sent == [(m.role, m.content) for m in messages if m.role != "system"]
    assert all(b.get("text") for m in body["messages"] if isinstance(m["content"], list)
               for b in m["content"] if "cache_control" in b)  # never a breakpoint on empty text
