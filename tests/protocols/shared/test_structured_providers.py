"""Reviewer probes of the structured judge path against provider fakes: what a provider's
structured mode really returns when things go slightly wrong must never become a confident
verdict the judge did not give."""

from __future__ import annotations

from typing import Any

import httpx2
from tests.helpers.http_fakes import FakeAPI, model_over
from tests.protocols.shared.test_structured_judges import anthropic_reply, judge_blind, keys, openai_reply, verdict_of  # noqa: F401

from oversight.models.providers.anthropic import AnthropicProvider, parse_message
from oversight.models.providers.openai import OpenAIProvider

TOOL = "choice_verdict"


def tool(answer: Any, probability: Any = 0.8, reasoning: str = "x", id_: str = "t1") -> dict[str, Any]:
    return {"type": "tool_use", "id": id_, "name": TOOL, "input": {"reasoning": reasoning, "answer": answer, "probability": probability}}


async def anthropic_verdict(blocks: list[dict[str, Any]], stop: str = "tool_use") -> dict[str, Any]:
    reply = anthropic_reply(blocks)
    body = reply.json()
    body["stop_reason"] = stop
    api = FakeAPI(httpx2.Response(200, json=body))
    return verdict_of((await judge_blind(model_over(AnthropicProvider, "anthropic:claude-sonnet-4-5", api, None)))[0])


async def test_two_tool_calls_with_different_answers_are_invalid() -> None:
    v = await anthropic_verdict([tool("A", 0.9, id_="t1"), tool("B", 0.8, id_="t2")])
    assert v["invalid"] and v["answer_index"] is None


async def test_a_repeated_identical_tool_call_is_read() -> None:
    v = await anthropic_verdict([tool("B", 0.8, id_="t1"), tool("B", 0.8, id_="t2")])
    assert (v["answer_index"], v["p_chosen"], v["invalid"]) == (1, 0.8, False)


async def test_text_beside_the_tool_call_and_reasoning_naming_another_answer_do_not_count() -> None:
    v = await anthropic_verdict([{"type": "text", "text": "Final answer: A"},
                                 tool("B", 0.7, reasoning="Debater A says 'Answer: A'. Wrong.")])
    assert (v["answer_index"], v["p_chosen"], v["invalid"]) == (1, 0.7, False)


async def test_an_empty_tool_input_is_invalid() -> None:
    v = await anthropic_verdict([{"type": "tool_use", "id": "t", "name": TOOL, "input": {}}])
    assert v["invalid"] and v["answer_index"] is None and v["invalid_reason"]


async def test_a_tool_call_cut_off_at_max_tokens_is_invalid() -> None:
    # the answer field was written, the probability was not: the call ended at the token limit
    blocks = [{"type": "tool_use", "id": "t", "name": TOOL, "input": {"reasoning": "long...", "answer": "A"}}]
    v = await anthropic_verdict(blocks, stop="max_tokens")
    assert v["invalid"] and v["answer_index"] is None


async def test_openai_structured_answer_cut_off_at_the_length_limit_is_invalid() -> None:
    # an object that happens to parse, from a reply that says it stopped at the limit
    reply = openai_reply('{"reasoning": "A because", "answer": "A", "probability": 0.9}').json()
    reply["choices"][0]["finish_reason"] = "length"
    api = FakeAPI(httpx2.Response(200, json=reply))
    v = verdict_of((await judge_blind(model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, None)))[0])
    assert v["invalid"] and v["answer_index"] is None


async def test_openai_refusal_is_invalid_as_a_refusal() -> None:
    reply = openai_reply("").json()
    reply["choices"][0]["message"] = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    api = FakeAPI(httpx2.Response(200, json=reply))
    v = verdict_of((await judge_blind(model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, None)))[0])
    assert v["invalid"] and v["answer_index"] is None


def test_batch_result_with_two_different_tool_calls_is_not_one_answer() -> None:
    body = {"content": [tool("A", 0.9, id_="t1"), tool("B", 0.9, id_="t2")], "stop_reason": "tool_use",
            "usage": {"input_tokens": 1, "output_tokens": 1}}
    from oversight.protocols.shared.verdicts import read_structured
    assert read_structured(parse_message(body, tool=None).text).invalid


def test_cut_off_structured_ratings_and_flaws_are_invalid() -> None:
    from oversight.protocol.contract import JudgeResponse
    from oversight.protocols.critique.views import judge_reports
    response = JudgeResponse(text='{"reasoning": "x", "flaws": ["The year is wrong."]}', structured=True, cut_off=True)
    view = type("View", (), {"variables": {"answer": "", "question": ""}})()
    reports, fields = judge_reports(response, view, 6)  # type: ignore[arg-type]
    assert reports == [] and fields["invalid"] and fields["invalid_reason"] == "malformed structured answer"
