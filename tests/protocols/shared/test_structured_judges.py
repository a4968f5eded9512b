"""Structured judge output against fakes of each provider's structured mode: the exact request
body each provider is sent, and the verdict read from what it returns, including malformed
structured answers (bad JSON, an answer outside the allowed letters, a probability above 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from tests.helpers.http_fakes import FakeAPI, model_over

from tests.helpers.harness import context, run_units
from oversight.models import GenerateConfig, Message, ModelPool
from oversight.models.cache import cache_key
from oversight.models.providers import local, scripted
from oversight.models.providers.anthropic import AnthropicProvider
from oversight.models.providers.openai import OpenAIProvider
from oversight.models.spec import parse_spec
from oversight.protocols.debate import DebateParams, DebateProtocol
from oversight.protocols.debate.data import DebateItem
from oversight.protocols.shared.verdicts import read_structured, verdict_schema
from tests.helpers.llama_fake import deliver

SCHEMA = verdict_schema("AB")
STORY = "The cook watched the soup. It did not tremble where it should have, so she knew the train had stopped."


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-TESTKEY0123456789abcdef")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-TESTKEY0123456789abcdef")
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def item() -> DebateItem:
    return DebateItem(id="cook", title="The Night Train Cook", story=STORY, question="How did she know the train stopped?",
                      answers=["The soup did not tremble.", "She saw the station."], correct_index=0)


def openai_reply(content: str) -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1764000000, "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 40, "total_tokens": 340}})


def anthropic_reply(blocks: list[dict[str, Any]]) -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": blocks,
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 300, "output_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})


async def judge_blind(judge_model: Any, params: DebateParams | None = None) -> tuple[list[dict[str, Any]], Any]:
    """One blind-condition unit judged by `judge_model`: (its judgment records, its recorder)."""
    params = params or DebateParams(conditions=["blind"], swap=False)
    proto = DebateProtocol()
    [(_, rec, _)] = await run_units(proto, params, context(proto, {"judge": judge_model}), [item()])
    return [j.model_dump() if hasattr(j, "model_dump") else dict(j) for j in rec.judgments], rec


def verdict_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    [record] = records
    return {**record, **record.get("extra", {})} if "extra" in record else record


# ---- OpenAI chat completions: response_format json_schema, strict ----------------------------

async def test_openai_judge_sends_a_strict_json_schema_and_reads_the_object() -> None:
    api = FakeAPI(openai_reply(json.dumps({"reasoning": "Only A fits a blind reading.", "answer": "A", "probability": 0.8})))
    records, rec = await judge_blind(model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, None))
    body = api.body()
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "choice_verdict", "schema": SCHEMA, "strict": True}}
    assert list(body["response_format"]["json_schema"]["schema"]["properties"]) == ["reasoning", "answer", "probability"]
    assert body["model"] == "gpt-4.1-mini" and body["messages"][-1]["role"] == "user"
    v = verdict_of(records)
    assert (v["answer_index"], v["p_chosen"], v["invalid"], v["judge_format"]) == (0, 0.8, False, "structured")
    assert v["reason"] == "structured output" and v["invalid_reason"] is None
    assert not [e for e in rec.events if e.type == "judge_format"]  # no fallback


@pytest.mark.parametrize(("content", "reason", "klass"), [
    ('{"reasoning": "A", "answer": "A", "probability": 0.8', "structured answer is not valid JSON", "malformed structured answer"),
    ('{"reasoning": "x", "answer": "C", "probability": 0.8}', "structured answer: answer 'C' is not one of A, B", "not an allowed option"),
    ('{"reasoning": "x", "answer": "B", "probability": 1.3}', "structured answer: probability 1.3 is outside [0, 1]",
     "probability out of range or unreadable"),
    ('{"reasoning": "x", "answer": "B", "probability": 0.2}',
     "answer B at probability 0.2: the stated probability favours the other answer", "probability contradicts the answer"),
    ("Sure! B, 70%", "structured answer is not valid JSON", "malformed structured answer"),
])
async def test_openai_malformed_structured_answers_are_invalid_with_a_reason(content: str, reason: str, klass: str) -> None:
    api = FakeAPI(openai_reply(content))
    v = verdict_of((await judge_blind(model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, None)))[0])
    assert v["invalid"] and v["answer_index"] is None and v["correct"] is None
    assert (v["reason"], v["invalid_reason"]) == (reason, klass)


async def test_text_format_sends_no_schema_and_reads_free_text() -> None:
    api = FakeAPI(openai_reply("Final answer: B, 65%"))
    records, _ = await judge_blind(model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, None),
                                   DebateParams(conditions=["blind"], swap=False, judge_format="text"))
    assert "response_format" not in api.body()
    v = verdict_of(records)
    assert (v["answer_index"], v["p_chosen"], v["judge_format"]) == (1, 0.65, "text")


async def test_logprob_judge_is_unchanged() -> None:
    api = FakeAPI(openai_reply("A"))
    await judge_blind(model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, None),
                      DebateParams(conditions=["blind"], swap=False, judge_kind="logprob"))
    body = api.body()
    assert "response_format" not in body and body["logprobs"] is True and body["max_tokens"] == 1


# ---- Anthropic: a forced tool whose input is the verdict -------------------------------------

async def test_anthropic_judge_forces_the_verdict_tool_and_reads_its_input() -> None:
    api = FakeAPI(anthropic_reply([
        {"type": "text", "text": "Let me record my verdict."},
        {"type": "tool_use", "id": "toolu_01", "name": "choice_verdict",
         "input": {"reasoning": "A is the only reading that fits.", "answer": "B", "probability": 0.7}}]))
    records, _ = await judge_blind(model_over(AnthropicProvider, "anthropic:claude-sonnet-4-5", api, None))
    body = api.body()
    assert body["tools"] == [{"name": "choice_verdict", "description": "Record your answer.", "input_schema": SCHEMA}]
    assert body["tool_choice"] == {"type": "tool", "name": "choice_verdict"}
    v = verdict_of(records)
    assert (v["answer_index"], v["p_chosen"], v["invalid"], v["judge_format"]) == (1, 0.7, False, "structured")
    assert json.loads(v["raw"]) == {"reasoning": "A is the only reading that fits.", "answer": "B", "probability": 0.7}


@pytest.mark.parametrize(("blocks", "klass"), [
    ([{"type": "tool_use", "id": "t", "name": "choice_verdict", "input": {"reasoning": "", "answer": "Z", "probability": 0.9}}],
     "not an allowed option"),
    ([{"type": "tool_use", "id": "t", "name": "choice_verdict", "input": {"reasoning": "", "answer": "A", "probability": 4}}],
     "probability out of range or unreadable"),
    ([{"type": "text", "text": "I think A, 80%."}], "malformed structured answer"),  # the tool was not called
])
async def test_anthropic_malformed_tool_answers_are_invalid(blocks: list[dict[str, Any]], klass: str) -> None:
    api = FakeAPI(anthropic_reply(blocks))
    v = verdict_of((await judge_blind(model_over(AnthropicProvider, "anthropic:claude-sonnet-4-5", api, None)))[0])
    assert v["invalid"] and v["answer_index"] is None and v["invalid_reason"] == klass


# ---- the embedded llama.cpp server: a JSON-schema grammar ------------------------------------

class FakeLlama:
    """Stands in for xllamacpp.Server: records each request body and answers as llama.cpp does."""

    def __init__(self, text: str) -> None:
        self.text, self.bodies = text, []  # type: ignore[var-annotated]

    def handle_completions(self, body: dict[str, Any], callback: Any = None) -> Any:
        self.bodies.append(body)
        return deliver({"choices": [{"index": 0, "text": self.text, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 120, "completion_tokens": 30}}, callback)

    def handle_chat_completions(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": self.text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 30}}


@pytest.mark.parametrize("chat", [False, True])
async def test_local_judge_sends_the_schema_as_llama_cpp_expects(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                chat: bool) -> None:
    server = FakeLlama('{"reasoning": "the soup", "answer": "A", "probability": 0.9}')
    gguf = tmp_path / "judge.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(local, "load_server", lambda path: (server, chat))
    records, _ = await judge_blind(ModelPool(cache=None).get(f"local:{gguf}"))
    [body] = server.bodies
    if chat:
        assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "choice_verdict", "schema": SCHEMA}}
        assert "json_schema" not in body
    else:  # a base model: plain completion with llama.cpp's own field
        assert body["json_schema"] == SCHEMA and "response_format" not in body and "prompt" in body
    v = verdict_of(records)
    assert (v["answer_index"], v["p_chosen"], v["judge_format"]) == (0, 0.9, "structured")


async def test_local_judge_with_a_broken_object_is_invalid(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    server = FakeLlama('{"reasoning": "the soup did not tremble and so the train must have st')  # hit max_tokens
    gguf = tmp_path / "judge.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(local, "load_server", lambda path: (server, False))
    v = verdict_of((await judge_blind(ModelPool(cache=None).get(f"local:{gguf}")))[0])
    assert v["invalid"] and v["invalid_reason"] == "malformed structured answer"


@pytest.mark.local_model
async def test_the_embedded_model_answers_within_the_schema() -> None:
    model = ModelPool(cache=None).get("local:gemma-3-270m")
    config = GenerateConfig(max_tokens=160, temperature=0.0, seed=1,
                            response_schema={"name": "choice_verdict", "json_schema": SCHEMA})
    out = await model.generate("Question: Which is a fruit?\nA: apple\nB: brick\nAnswer as JSON:\n", config)
    obj = json.loads(out.text)  # the grammar guarantees an object of the schema's shape
    assert list(obj) == ["reasoning", "answer", "probability"] and obj["answer"] in ("A", "B")
    v = read_structured(out.text)
    assert v.invalid == (not 0 <= obj["probability"] <= 1 or obj["probability"] < 0.5), v.reason


# ---- a provider without structured output, and the cache key --------------------------------

async def test_provider_without_structured_output_falls_back_to_text_and_says_so() -> None:
    scripted.register("plainjudge", ["Answer: B, 60%"])
    records, rec = await judge_blind(ModelPool(cache=None).get("scripted:plainjudge"))
    assert scripted.CONFIGS["plainjudge"][-1].response_schema is None
    [note] = [e for e in rec.events if e.type == "judge_format"]
    assert note.model_dump()["requested"] == "structured" and note.model_dump()["used"] == "text"
    v = verdict_of(records)
    assert (v["answer_index"], v["p_chosen"], v["judge_format"]) == (1, 0.6, "text")
    assert "no structured output" in v["judge_format_note"]


async def test_scripted_structured_judge_gets_the_schema() -> None:
    scripted.register("jsonjudge", ['{"reasoning": "r", "answer": "B", "probability": 0.75}'], structured=True)
    records, _ = await judge_blind(ModelPool(cache=None).get("scripted:jsonjudge"))
    assert scripted.CONFIGS["jsonjudge"][-1].response_schema.json_schema == SCHEMA  # type: ignore[union-attr]
    assert verdict_of(records)["p_chosen"] == 0.75


def test_the_schema_is_part_of_the_cache_key_and_its_absence_keeps_old_keys() -> None:
    spec, messages = parse_spec("openai:gpt-4.1-mini"), [Message(role="user", content="Which?")]
    plain = GenerateConfig(max_tokens=50)
    with_schema = GenerateConfig(max_tokens=50, response_schema={"name": "choice_verdict", "json_schema": SCHEMA})
    other = GenerateConfig(max_tokens=50, response_schema={"name": "choice_verdict", "json_schema": verdict_schema("ABC")})
    assert "response_schema" not in plain.cache_fields()
    assert len({cache_key(spec, messages, c) for c in (plain, with_schema, other)}) == 3


# ---- summary ratings and critique flaws in structured form ----------------------------------

def test_structured_ratings_are_read_strictly() -> None:
    from oversight.protocols.summarize.ratings import rating_schema, read_structured_ratings

    schema = rating_schema()
    assert list(schema["properties"]) == ["reasoning", "faithfulness", "coverage"]
    assert schema["properties"]["coverage"]["enum"] == [1, 2, 3, 4, 5, 6, 7]
    assert read_structured_ratings('{"reasoning": "ok", "faithfulness": 6, "coverage": 4}') == (
        {"faithfulness": 6, "coverage": 4}, [])
    ratings, problems = read_structured_ratings('{"reasoning": "ok", "faithfulness": 9, "coverage": 4.5}')
    assert ratings == {"faithfulness": None, "coverage": None} and len(problems) == 2
    ratings, problems = read_structured_ratings('{"reasoning": "ok", "faithfulness": 6')
    assert ratings == {"faithfulness": None, "coverage": None} and "not valid JSON" in problems[0]


def test_structured_critique_flaws_are_read_and_a_broken_answer_says_why() -> None:
    from oversight.protocol.contract import JudgeResponse, JudgeView
    from oversight.protocols.critique.params import CritiqueParams
    from oversight.protocols.critique.views import judge_reports, response_schema

    schema = response_schema(CritiqueParams())
    assert schema is not None and list(schema["properties"]) == ["reasoning", "flaws"]
    assert response_schema(CritiqueParams(judge_format="text")) is None
    view = JudgeView(key="judge", template="judge_unassisted", answer_kind="flaws",
                     variables={"answer": "It opened in 1931.", "question": "When?"})
    good = JudgeResponse(text='{"reasoning": "1913 vs 1931", "flaws": ["The year is 1913, not 1931.", " "]}', structured=True)
    assert judge_reports(good, view, 6) == (["The year is 1913, not 1931."], {"judge_format": "structured"})
    reports, how = judge_reports(JudgeResponse(text='{"reasoning": "x", "flaws": "none"}', structured=True), view, 6)
    assert reports == [] and how["invalid"] and how["invalid_reason"] == "malformed structured answer"
    reports, how = judge_reports(JudgeResponse(text="1. The year is wrong.\n2. It was closed."), view, 6)
    assert reports == ["The year is wrong.", "It was closed."] and how == {"judge_format": "text"}


def test_strict_structured_answer_must_be_exactly_an_allowed_letter() -> None:
    assert read_structured('{"reasoning": "", "answer": "B", "probability": 0.6}').choice == 1
    v = read_structured('{"reasoning": "", "answer": "Debater B", "probability": 0.6}')
    assert v.invalid and v.invalid_reason == "not an allowed option"
    v = read_structured('{"reasoning": "", "answer": "B", "probability": 60}')  # the schema asks for 0-1
    assert v.invalid and v.invalid_reason == "probability out of range or unreadable"
