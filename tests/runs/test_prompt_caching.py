"""Prompt caching and costs as billed: usage parsing, prices, breakpoints, the prompt layout.

Oracles: the providers' published prices (copied into tests/helpers/fakes/prompt_cache.py, independent
of genai-prices) and a fake API applying each provider's documented caching rules.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from tests.helpers.fakes.llm_server import oversight_reply
from tests.helpers.fakes.prompt_cache import PRICES, CachingAPI, tokens
from hypothesis import given
from hypothesis import strategies as st

from oversight.cli.main import main
from oversight.config.experiment import validate_experiment
from oversight.core.errors import UserError
from oversight.models import GenerateConfig, Message, ModelPool, Usage
from oversight.models.pricing import PriceBook, PriceOverride, with_cost
from oversight.models.providers.anthropic import AnthropicProvider, parse_message
from oversight.models.providers.openai import OpenAIProvider, parse_response
from oversight.models.spec import parse_spec
from oversight.protocol.prompts import PromptSet
from oversight.protocol.registry import get_protocol, protocol_names
from oversight.report.results import run_usage
from oversight.runs.runner import execute, open_run_folder, plan
from oversight.report.summary import usage_rows

ROOT = Path(__file__).resolve().parents[2]
STORY = (ROOT / "tasks" / "the_tide_clock.txt").read_text(encoding="utf-8")
M = 1_000_000


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    for name in ("ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


# ---- usage as the providers report it --------------------------------------------------------

def test_anthropic_usage_keeps_cache_writes_and_reads_apart() -> None:
    body = {"content": [{"type": "text", "text": "Debater A: the clock stopped because"}], "stop_reason": "max_tokens",
            "usage": {"input_tokens": 41, "cache_creation_input_tokens": 5210, "cache_read_input_tokens": 1290,
                      "output_tokens": 116, "service_tier": "standard"}}
    usage = parse_message(body).usage
    assert (usage.input_tokens, usage.cache_write_tokens, usage.cache_read_tokens, usage.output_tokens) == (
        41 + 5210 + 1290, 5210, 1290, 116)
    priced = with_cost(parse_spec("anthropic:claude-sonnet-4-5"), usage)
    inp, out, read, write = PRICES["claude-sonnet-4-5"]
    billed = (41 * inp + 5210 * write + 1290 * read + 116 * out) / M
    assert priced.cost_usd == pytest.approx(billed, rel=1e-9)
    assert priced.saved_usd == pytest.approx(((41 + 5210 + 1290) * inp + 116 * out) / M - billed, rel=1e-9)


def test_openai_cached_tokens_are_billed_at_the_cached_rate() -> None:
    body = {"choices": [{"message": {"role": "assistant", "content": "A, 70%"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 6144, "completion_tokens": 4, "total_tokens": 6148,
                      "prompt_tokens_details": {"cached_tokens": 5888, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0}}}
    usage = parse_response(body, want_logprobs=False).usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens) == (6144, 5888, 0)
    inp, out, read, _ = PRICES["gpt-4.1-mini"]
    assert with_cost(parse_spec("openai:gpt-4.1-mini"), usage).cost_usd == pytest.approx(
        ((6144 - 5888) * inp + 5888 * read + 4 * out) / M, rel=1e-9)


def test_llama_cpp_reused_prompt_tokens_are_read_from_its_timings() -> None:
    # llama.cpp's server answer: usage without details, and its own timings.
    body = {"choices": [{"text": " B", "finish_reason": "length", "index": 0}],
            "usage": {"completion_tokens": 1, "prompt_tokens": 1738, "total_tokens": 1739},
            "timings": {"cache_n": 1701, "prompt_n": 37, "prompt_ms": 160.2, "predicted_n": 1}}
    usage = parse_response(body, want_logprobs=False, chat=False).usage
    assert (usage.input_tokens, usage.cache_read_tokens) == (1738, 1701)
    assert with_cost(parse_spec("local:gemma-3-270m"), usage).cost_usd is None


@pytest.mark.parametrize("details", [{"cached_tokens": -1}, {"cached_tokens": "12"}, {"cached_tokens": 9000}])
def test_impossible_cached_counts_are_a_malformed_answer(details: dict[str, Any]) -> None:
    from oversight.models.providers.base import ProviderError

    body = {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": 100, "prompt_tokens_details": details}}
    with pytest.raises(ProviderError, match="malformed"):
        parse_response(body, want_logprobs=False)


# ---- prices ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "per_million"), [
    ("anthropic:claude-opus-4-5", (5, 25)),            # not Opus 4's 15/75
    ("anthropic:claude-opus-4-5-20251101", (5, 25)),   # a dated snapshot name
    ("anthropic:claude-opus-4", (15, 75)),
    ("anthropic:claude-sonnet-4-5", (3, 15)),
    ("anthropic:claude-haiku-4-5", (1, 5)),
    ("openai:gpt-4.1-mini", (0.4, 1.6)),
    ("openai:gpt-5", (1.25, 10)),
])
def test_list_prices_of_current_models(spec: str, per_million: tuple[float, float]) -> None:
    inp = with_cost(parse_spec(spec), Usage(input_tokens=100_000)).cost_usd
    out = with_cost(parse_spec(spec), Usage(output_tokens=100_000)).cost_usd
    assert (inp * 10, out * 10) == pytest.approx(per_million)


@pytest.mark.parametrize("spec", ["openai:some-new-model", "anthropic:claude-unreleased-9",
                                  "openai:gpt-4.1-mini@http://127.0.0.1:8000/v1", "local:gemma-3-270m",
                                  "scripted:echo"])
def test_unknown_models_and_own_servers_stay_unpriced(spec: str) -> None:
    assert with_cost(parse_spec(spec), Usage(input_tokens=10, output_tokens=10)).cost_usd is None
    assert not PriceBook().known(parse_spec(spec))


def test_an_experiment_prices_a_self_hosted_model_and_overrides_a_listed_one() -> None:
    book = PriceBook({"openai:qwen2.5-7b": PriceOverride(input=0.2, output=0.6, cache_read=0.05),
                      "openai:gpt-4.1-mini": PriceOverride(input=1.0, output=2.0)})
    usage = Usage(input_tokens=2000, cache_read_tokens=1500, output_tokens=100)
    hosted = book.with_cost(parse_spec("openai:qwen2.5-7b@http://10.0.0.5:8000/v1"), usage)
    assert hosted.cost_usd == pytest.approx((500 * 0.2 + 1500 * 0.05 + 100 * 0.6) / M)
    assert hosted.saved_usd == pytest.approx(1500 * (0.2 - 0.05) / M)
    # cache_read unset: cached tokens cost plain input, nothing is saved
    pinned = book.with_cost(parse_spec("openai:gpt-4.1-mini"), usage)
    assert pinned.cost_usd == pytest.approx((2000 * 1.0 + 100 * 2.0) / M) and pinned.saved_usd == 0
    assert book.with_cost(parse_spec("openai:qwen2.5-7b@http://h/v1"), usage, batch=True).cost_usd == pytest.approx(
        hosted.cost_usd / 2)


def test_prices_in_the_experiment_are_checked(tmp_path: Path) -> None:
    base = {"name": "x", "protocol": "debate", "task": {"path": "t.jsonl"}, "models": {"judge": "scripted:a"}}
    exp = validate_experiment({**base, "prices": {"openai:qwen": {"input": 0.1, "output": 0.3}}}, "e.yaml")
    assert exp.prices["openai:qwen"].output == 0.3 and exp.prompt_cache is True
    for bad, field in [({"openai:qwen": {"input": 0.1, "output": 0.3, "cached": 0.01}}, "cached"),
                       ({"openai:qwen": {"input": -1, "output": 0.3}}, "input")]:
        with pytest.raises(UserError, match=rf"e\.yaml.*prices.*{field}"):
            validate_experiment({**base, "prices": bad}, "e.yaml")


def test_batch_pricing_halves_cache_writes_and_reads_too() -> None:
    spec = parse_spec("anthropic:claude-sonnet-4-5")
    usage = Usage(input_tokens=9000, cache_write_tokens=6000, cache_read_tokens=2500, output_tokens=300)
    inp, out, read, write = PRICES["claude-sonnet-4-5"]
    listed = (500 * inp + 6000 * write + 2500 * read + 300 * out) / M
    assert with_cost(spec, usage).cost_usd == pytest.approx(listed, rel=1e-9)
    assert with_cost(spec, usage, batch=True).cost_usd == pytest.approx(listed / 2, rel=1e-9)


def test_a_long_prompt_price_tier_applies_per_call() -> None:
    spec = parse_spec("anthropic:claude-sonnet-4-5")
    small = Usage(input_tokens=150_000, output_tokens=1000)
    # two calls under the 200k-token tier are not one call over it
    assert (with_cost(spec, small).cost_usd or 0) * 2 < (with_cost(spec, small + small).cost_usd or 0)


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**5),
                          st.one_of(st.none(), st.floats(0, 10, allow_nan=False))), max_size=12), st.randoms())
def test_usage_sums_do_not_depend_on_order(rows: list[tuple[int, int, int, float | None]], rng: random.Random) -> None:
    records = [{"usage_by_role": {"judge": Usage(input_tokens=i + r, cache_read_tokens=r, output_tokens=o,
                                                 cost_usd=c, saved_usd=c).model_dump()}} for i, o, r, c in rows]
    shuffled = records[:]
    rng.shuffle(shuffled)
    a, b = run_usage(records).get("judge"), run_usage(shuffled).get("judge")
    if a is None:
        assert b is None and not rows
        return
    assert (a.input_tokens, a.cache_read_tokens, a.output_tokens) == (b.input_tokens, b.cache_read_tokens, b.output_tokens)
    assert a.input_tokens == sum(i + r for i, _, r, _ in rows)
    assert (a.cost_usd is None) == all(c is None for *_, c in rows)
    if a.cost_usd is not None:
        assert a.cost_usd == pytest.approx(b.cost_usd)


# ---- breakpoints and the fake's bill -----------------------------------------------------------

def story_call(instructions: str) -> list[Message]:
    return [Message(role="system", content="You are careful."),
            Message(role="user", content=f"Story: The Tide Clock\n\n{STORY}"),
            Message(role="user", content=instructions)]


async def _calls(provider_cls: type, spec: str, prompt_cache: bool = True) -> tuple[list[Usage], CachingAPI, list[dict]]:
    api = CachingAPI(reply=oversight_reply)
    pool = ModelPool(cache=None, provider_factory=lambda s: provider_cls(s, http_client=api.client()),
                     prompt_cache=prompt_cache)
    model = pool.get(spec)
    out = []
    for words in ("You are Debater A. Argue.", "You are Debater B. Argue.", "Answer A or B?"):
        out.append((await model.generate(story_call(words), GenerateConfig(max_tokens=50))).completion.usage)
    await pool.aclose()
    return out, api, api.bodies


def test_anthropic_breakpoints_make_later_calls_of_an_item_read_the_story() -> None:
    usages, api, bodies = asyncio.run(_calls(AnthropicProvider, "anthropic:claude-sonnet-4-5"))
    story_tokens = len(tokens(f"Story: The Tide Clock\n\n{STORY}"))
    assert story_tokens > 1024
    assert usages[0].cache_write_tokens > story_tokens and usages[0].cache_read_tokens == 0
    assert [u.cache_read_tokens for u in usages[1:]] == [usages[0].cache_write_tokens] * 2
    assert sum(u.cost_usd or 0 for u in usages) == pytest.approx(api.bill.usd, rel=1e-9)
    marks = [json.dumps(b).count("cache_control") for b in bodies]
    assert marks == [2, 2, 2]
    # the two user messages are one turn of two blocks; the breakpoint closes the story's block
    [turn] = bodies[0]["messages"]
    assert turn["content"][0]["text"].endswith(STORY[-200:]) and "cache_control" in turn["content"][0]
    assert "cache_control" not in turn["content"][1]


def test_prompt_cache_false_sends_no_breakpoint_and_pays_full_price() -> None:
    usages, api, bodies = asyncio.run(_calls(AnthropicProvider, "anthropic:claude-sonnet-4-5", prompt_cache=False))
    assert all("cache_control" not in json.dumps(b) for b in bodies)
    assert api.bill.billed_input_fraction == 1.0 and all(u.cache_read_tokens == 0 for u in usages)
    assert sum(u.cost_usd or 0 for u in usages) == pytest.approx(api.bill.usd, rel=1e-9)


def test_openai_automatic_cache_in_128_token_steps_and_cost_as_billed() -> None:
    usages, api, _ = asyncio.run(_calls(OpenAIProvider, "openai:gpt-4.1-mini"))
    assert usages[0].cache_read_tokens == 0
    assert all(u.cache_read_tokens >= 1024 and u.cache_read_tokens % 128 == 0 for u in usages[1:])
    assert sum(u.cost_usd or 0 for u in usages) == pytest.approx(api.bill.usd, rel=1e-9)
    assert sum(u.saved_usd or 0 for u in usages) > 0


def _debate_experiment(tmp_path: Path, spec: str, **extra: Any) -> Path:
    items = [{"id": f"tide-{i}", "title": "The Tide Clock", "story": STORY + f"\n\n(Copy {i}.)",
              "question": "Why did the clock stop?", "answers": ["The river ran dry", "Someone broke it"],
              "correct_index": 0} for i in range(3)]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    exp = {"name": "cache-debate", "protocol": "debate", "task": {"path": "items.jsonl"},
           "models": {r: spec for r in ("debater_a", "debater_b", "consultant", "judge")},
           "params": {"conditions": ["debate", "consultancy", "blind", "expert"], "rounds": 2, "swap": True,
                      "judge_kind": "model"}, "cache": False, "concurrency": 4, **extra}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(exp), encoding="utf-8")
    return path


@pytest.mark.parametrize(("provider_cls", "spec"), [(AnthropicProvider, "anthropic:claude-sonnet-4-5"),
                                                    (OpenAIProvider, "openai:gpt-4.1-mini")])
def test_a_debate_run_records_what_the_provider_bills(tmp_path: Path, provider_cls: type, spec: str) -> None:
    path = _debate_experiment(tmp_path, spec)
    p = plan(validate_experiment(yaml.safe_load(path.read_text()), str(path)), source=str(path), base_dir=tmp_path)
    api = CachingAPI(reply=oversight_reply, latency_s=0.01)
    pool = ModelPool(cache=None, provider_factory=lambda s: provider_cls(s, http_client=api.client()))
    folder = open_run_folder(p, runs_dir=tmp_path / "runs", sweep_point={})
    result = asyncio.run(execute(p, folder=folder, pool=pool))
    assert result.failed == 0
    transcripts = list(folder.iter_transcripts())
    recorded = sum(t["usage"]["cost_usd"] for t in transcripts)
    assert recorded == pytest.approx(api.bill.usd, rel=1e-6)
    cached = sum(u.get("cache_read_tokens", 0) for t in transcripts for u in t["usage_by_role"].values())
    assert cached == api.bill.cache_read_tokens > 0
    rows = usage_rows(result.metrics)
    assert all("cached" in r and "saved USD" in r for r in rows)
    assert sum(int(r["cached"]) for r in rows) == cached


def test_usage_table_has_no_cache_columns_when_nothing_was_cached() -> None:
    metrics = {"run": {"usage_by_role": {"judge": Usage(input_tokens=5, output_tokens=1).model_dump()}}}
    assert list(usage_rows(metrics)[0]) == ["role", "in tokens", "out tokens", "cost USD"]


def test_dry_run_estimates_cached_story_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _debate_experiment(tmp_path, "anthropic:claude-sonnet-4-5")
    assert main(["run", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "cached" in out and "saves" in out
    from oversight.runs.dryrun import run_estimate

    p = plan(validate_experiment(yaml.safe_load(path.read_text()), str(path)), source=str(path), base_dir=tmp_path)
    rows = {r["role"]: r for r in run_estimate(p)}
    assert rows["debater_a"]["cached (est.)"] > 0 and float(rows["debater_a"]["cache saves USD (est.)"]) > 0
    off = plan(validate_experiment({**yaml.safe_load(path.read_text()), "prompt_cache": False}, str(path)),
               source=str(path), base_dir=tmp_path)
    assert all("cached (est.)" not in r for r in run_estimate(off))  # cache columns only with a cache at work


# ---- the prompt layout ---------------------------------------------------------------------------

def _variables(names: set[str], rng: random.Random) -> dict[str, Any]:
    """Per-call values differ from call to call; the story and title are the item's."""
    values: dict[str, Any] = {n: f"<{n} {rng.randrange(10**6)}>" for n in names}
    values.update(title="The Tide Clock", story=STORY, round=rng.randrange(1, 4))
    return values


@pytest.mark.parametrize("name", protocol_names())
def test_every_story_reading_template_opens_with_the_same_bytes(name: str) -> None:
    protocol = get_protocol(name)
    prompts = PromptSet(protocol.prompt_package, protocol.templates)
    assert prompts.prefix_warnings(protocol.shared_prefix, protocol.same_per_item) == []
    for variable, names in protocol.shared_prefix.items():
        # every shipped template that reads the long variable is held to the rule
        assert {t for t, fields in protocol.templates.items() if variable in fields} == set(names)
        rng = random.Random(0)
        rendered = [prompts.render(t, _variables(protocol.templates[t], rng)) for t in names for _ in range(2)]
        joined = ["\n\n".join(m.content for m in messages) for messages in rendered]
        offsets = {text.find(STORY) for text in joined}
        assert len(offsets) == 1 and offsets != {-1}
        end = offsets.pop() + len(STORY)
        assert len({text[:end] for text in joined}) == 1
        assert len({messages[0] for messages in rendered}) == 1  # one cacheable opening message
        assert all(len(messages) >= 2 for messages in rendered)


def _override(tmp_path: Path, text: str, name: str = "consultant") -> Path:
    (tmp_path / "mine.txt").write_text(text, encoding="utf-8")
    path = _debate_experiment(tmp_path, "scripted:echo")
    data = yaml.safe_load(path.read_text())
    data["prompts"] = {name: "mine.txt"}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "problem"), [
    ("You are the consultant for {letter}.\n\nStory: {title}\n\n{story}\n\nConsultant (round {round}):",
     "not in an opening message of its own"),
    ("Round {round}. Story: {title}\n\n{story}\n\n[user]\nArgue for {my_answer}.\nConsultant:", "use {round}"),
    ("STORY: {title}\n{story}\n[user]\nArgue for {my_answer}.\nConsultant:", "differ from those of"),
])
def test_validate_warns_when_an_override_breaks_the_shared_prefix(tmp_path: Path, text: str, problem: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = _override(tmp_path, text)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "mine.txt" in warnings[0] and problem in warnings[0]


def test_an_override_that_keeps_the_layout_draws_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _override(tmp_path, "Story: {title}\n\n{story}\n\n[user]\nArgue for {my_answer}, round {round}.\nConsultant:")
    assert main(["validate", str(path)]) == 0
    assert "warning" not in capsys.readouterr().out


# ---- warm, then fan out ------------------------------------------------------------------------

def test_each_story_is_written_to_the_anthropic_cache_once_per_kind_of_call(tmp_path: Path) -> None:
    """Plain calls (speeches) share one entry per story; the structured expert judge, whose
    forced tool comes before the story in what the API caches, shares another: its two answer
    orders write it once, not twice."""
    path = _debate_experiment(tmp_path, "anthropic:claude-sonnet-4-5")
    p = plan(validate_experiment(yaml.safe_load(path.read_text()), str(path)), source=str(path), base_dir=tmp_path)
    api = CachingAPI(reply=oversight_reply, latency_s=0.02)
    pool = ModelPool(cache=None, provider_factory=lambda s: AnthropicProvider(s, http_client=api.client()))
    assert asyncio.run(execute(p, folder=open_run_folder(p, runs_dir=tmp_path / "runs", sweep_point={}),
                               pool=pool)).failed == 0
    openings = [1 + len(tokens(f"Story: The Tide Clock\n\n{STORY.strip()}\n\n(Copy {i}.)")) for i in range(3)]
    structured = [b for b in api.bodies if b.get("tools")]
    story_judges = [b for b in structured if "Story: The Tide Clock" in json.dumps(b["messages"][0])]
    assert len(story_judges) == 6  # the expert judge, both orders, three stories
    [tool] = story_judges[0]["tools"]
    tool_prefix = 1 + len(tokens(json.dumps(tool, sort_keys=True))) + 1  # the tool block and tool_choice
    assert api.bill.cache_write_tokens == sum(openings) + sum(o + tool_prefix for o in openings)
    assert pool.warmer.waited > 0


def _provider(reuses: bool = True) -> Any:
    return type("P", (), {"reuses_prefix": reuses, "prefix_min_chars": 4096})()


def _key(warmer: Any, messages: list[Message], reuses: bool = True) -> bytes | None:
    return warmer.key(_provider(reuses), "fake", "gpt-4.1-mini", messages)


def test_calls_sharing_an_opening_wait_for_the_first_only_while_it_is_cold() -> None:
    from oversight.models.warmup import PrefixWarmer

    now = [0.0]
    warmer = PrefixWarmer(clock=lambda: now[0])
    log: list[str] = []
    long_call = story_call("Argue.")[1:]
    key = _key(warmer, long_call)
    assert key is not None and _key(warmer, [Message(role="user", content="short"), *long_call[1:]]) is None
    assert _key(warmer, long_call, reuses=False) is None and _key(warmer, long_call[:1]) is None

    async def call(name: str, fail: bool = False) -> None:
        async with warmer.turn(key):
            log.append(f"{name} start")
            await asyncio.sleep(0.01)
            log.append(f"{name} end")
            if fail:
                raise RuntimeError("provider down")

    async def scenario() -> None:
        first = asyncio.gather(call("a", fail=True), call("b"), call("c"), return_exceptions=True)
        await first
        # a failed leader warmed nothing: one waiter leads next, the other waits for it
        assert log == ["a start", "a end", "b start", "b end", "c start", "c end"]
        log.clear()
        await asyncio.gather(call("d"), call("e"))  # a failed leader warmed nothing, but b and c did
        assert log[:2] == ["d start", "e start"]
        log.clear()
        now[0] += 301  # past the providers' five-minute lifetime: cold again
        await asyncio.gather(call("f"), call("g"))
        assert log == ["f start", "f end", "g start", "g end"]

    asyncio.run(scenario())
    assert warmer.waited == 4  # b on a; c on a, then on b; g on f


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 3)), unique=True, max_size=30),
       st.integers(1, 5))
def test_interleave_runs_every_unit_once_spreading_items(pairs: list[tuple[str, int]], width: int) -> None:
    from oversight.protocol.contract import Unit
    from oversight.runs.runner import interleave

    units = [Unit(id=f"{i}:{c}", item_id=i, condition=str(c), item=None, data={}) for i, c in pairs]
    out = interleave(units, width)
    assert sorted(u.id for u in out) == sorted(u.id for u in units)
    for item in {u.item_id for u in units}:  # an item's own units keep their order
        assert [u.id for u in out if u.item_id == item] == [u.id for u in units if u.item_id == item]
    first = [u.item_id for u in out[:width]]
    distinct = len(dict.fromkeys(u.item_id for u in units))
    assert len(set(first)) == min(width, distinct)


def test_local_calls_of_one_story_go_to_the_slot_that_holds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from oversight.models.providers import local
    from oversight.models.providers.local import LocalProvider, SlotMap

    monkeypatch.setattr(local, "ROUTE_SLOTS", True)
    slots = SlotMap(2)
    assert [slots.slot(k) for k in (b"a", b"b", b"a", b"b", b"c", b"a")] == [0, 1, 0, 1, 0, 1]
    # "c" took slot 0 from "a" (given out longest ago), so "a" came back on a fresh slot
    provider = LocalProvider(parse_spec("local:gemma-3-270m"))
    one, other = story_call("Debater A:")[1:], [Message(role="user", content="Story: x\n\n" + STORY[::-1]),
                                                Message(role="user", content="Debater A:")]
    first = provider.slot_for(one)
    assert first is not None and provider.slot_for(story_call("Judge: A or B?")[1:]) == first
    assert provider.slot_for(other) not in (None, first)
    assert provider.slot_for([Message(role="user", content="Question: ok?\nAnswer:")]) is None


def test_a_structured_call_waits_only_for_openings_cached_with_its_schema() -> None:
    """Where the schema is cached ahead of the messages (Anthropic, OpenAI), a structured call
    and a plain call of the same story are different cache entries, so neither waits for the
    other; where it is not (a local grammar), they are one."""
    from oversight.models.types import ResponseSchema
    from oversight.models.warmup import PrefixWarmer

    warmer = PrefixWarmer()
    call = story_call("Judge.")[1:]
    schema = ResponseSchema(name="verdict", json_schema={"type": "object", "properties": {"answer": {"type": "string"}}})
    other = ResponseSchema(name="verdict", json_schema={"type": "object", "properties": {"choice": {"type": "string"}}})
    cloud = type("P", (), {"reuses_prefix": True, "prefix_min_chars": 4096, "schema_in_prefix": True})()
    local = type("P", (), {"reuses_prefix": True, "prefix_min_chars": 4096, "schema_in_prefix": False})()
    plain = warmer.key(cloud, "fake", "m", call)
    assert plain is not None
    assert warmer.key(cloud, "fake", "m", call, schema) not in (None, plain)
    assert warmer.key(cloud, "fake", "m", call, schema) == warmer.key(cloud, "fake", "m", call, schema)
    assert warmer.key(cloud, "fake", "m", call, schema) != warmer.key(cloud, "fake", "m", call, other)
    assert warmer.key(local, "fake", "m", call, schema) == warmer.key(local, "fake", "m", call)
