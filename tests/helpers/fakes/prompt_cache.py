"""A fake Anthropic and OpenAI API that applies each provider's documented prompt-caching rules
and keeps the bill the provider would send, for tests and benchmarks/prompt_cache.py.

An httpx2 MockTransport handler (async): `POST /v1/messages` is Anthropic, `POST
/v1/chat/completions` OpenAI. Tokens are counted with a word-piece regex (not the providers'
tokenizers, but the same count for the same text, which is what prefix reuse needs).

- Both read a request as its tools (and OpenAI's structured-output schema) first, then the
  system prompt and messages, so a structured call shares no prefix with a plain one; an
  Anthropic `tool_choice` keeps the system prompt's entry but not the messages'.
- Anthropic: a prefix is cached only up to a block marked `cache_control` (at most four); a
  request reads the longest cached prefix ending at a block boundary at or before its last
  breakpoint, and writes the rest up to that breakpoint; prefixes under 1,024 tokens are never
  cached. Usage: `input_tokens` (the uncached rest), `cache_creation_input_tokens`,
  `cache_read_input_tokens`.
- OpenAI: every prompt of 1,024 tokens or more is cached automatically in 128-token steps;
  usage reports `prompt_tokens` (all) and `prompt_tokens_details.cached_tokens`.
- Both: an entry lives five minutes from its last use and becomes readable only once the
  response that wrote it has been sent (calls that start together all miss).

Prices here are copied from the providers' pricing pages, independently of genai-prices, so
the bill is an oracle for the cost the framework records.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

MIN_TOKENS = 1024
OPENAI_STEP = 128
LIFETIME_S = 300.0
MAX_BREAKPOINTS = 4

# USD per million tokens: (input, output, cache read, cache write); OpenAI writes cost plain input.
PRICES = {
    "claude-sonnet-4-5": (3.0, 15.0, 0.30, 3.75),
    "claude-opus-4-5": (5.0, 25.0, 0.50, 6.25),
    "gpt-4.1-mini": (0.40, 1.60, 0.10, 0.40),
    "gpt-4.1": (2.0, 8.0, 0.50, 2.0),
}

_TOKEN = re.compile(r"\s?\w{1,8}|\s?[^\w\s]|\s+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _prefix_keys(pieces: list[str]) -> list[str]:
    """Running digest after each piece: equal digests at position k mean equal prefixes."""
    h = hashlib.sha1()
    out = []
    for p in pieces:
        h.update(p.encode("utf-8", "surrogatepass") + b"\x00")
        out.append(h.hexdigest())
    return out


@dataclass
class Bill:
    requests: int = 0
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    full_input_usd: float = 0.0
    """The input at plain list price: what it would cost with no cache at all."""
    billed_input_usd: float = 0.0

    @property
    def billed_input_fraction(self) -> float:
        return self.billed_input_usd / self.full_input_usd if self.full_input_usd else 0.0

    @property
    def cached_share(self) -> float:
        return self.cache_read_tokens / self.input_tokens if self.input_tokens else 0.0


@dataclass
class CachingAPI:
    reply: Callable[[str], str]
    latency_s: float = 0.0
    clock: Callable[[], float] = time.monotonic
    bill: Bill = field(default_factory=Bill)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    _entries: dict[str, float] = field(default_factory=dict)
    """Prefix digest -> expiry time."""

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=self.transport())

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if request.url.path.endswith("/messages"):
            usage, text, store = self._anthropic(body)
        else:
            usage, text, store = self._openai(body)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        now = self.clock()
        for key in store:  # readable only from the moment the answer goes out
            self._entries[key] = now + LIFETIME_S
        if request.url.path.endswith("/messages"):
            payload = {"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
                       "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                       "stop_sequence": None, "usage": usage}
        else:
            payload = {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1764000000,
                       "model": body["model"], "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                                            "message": {"role": "assistant", "content": text}}],
                       "usage": usage}
        return httpx2.Response(200, json=payload)

    def _live(self, key: str) -> bool:
        now = self.clock()
        expiry = self._entries.get(key)
        if expiry is None or expiry <= now:
            return False
        self._entries[key] = now + LIFETIME_S  # a read refreshes the entry
        return True

    def _charge(self, model: str, total: int, read: int, write: int, output: int) -> None:
        price_in, price_out, price_read, price_write = PRICES[model]
        plain = total - read - write
        billed_input = (plain * price_in + read * price_read + write * price_write) / 1e6
        b = self.bill
        b.requests += 1
        b.input_tokens += total
        b.cache_read_tokens += read
        b.cache_write_tokens += write
        b.output_tokens += output
        b.billed_input_usd += billed_input
        b.full_input_usd += total * price_in / 1e6
        b.usd += billed_input + output * price_out / 1e6

    # ---- Anthropic ---------------------------------------------------------------------------

    def _anthropic(self, body: dict[str, Any]) -> tuple[dict[str, Any], str, list[str]]:
        blocks: list[tuple[list[str], bool]] = []  # (tokens, ends with a breakpoint)
        # The prompt is read as tools, then system, then messages: tools change every later
        # prefix; tool_choice leaves the system prompt's entry but changes the messages' ones.
        for tool in body.get("tools") or []:
            blocks.append((["<tool>", *tokens(json.dumps(tool, sort_keys=True))], "cache_control" in tool))
        system = body.get("system")
        for block in ([{"type": "text", "text": system}] if isinstance(system, str) else system or []):
            blocks.append((["<system>", *tokens(block["text"])], "cache_control" in block))
        last_text = ""
        if body.get("tool_choice"):
            blocks.append(([f"<tool_choice {json.dumps(body['tool_choice'], sort_keys=True)}>"], False))
        for message in body["messages"]:
            content = message["content"]
            parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
            for i, block in enumerate(parts):
                head = [f"<{message['role']}>"] if i == 0 else []
                blocks.append(([*head, *tokens(block["text"])], "cache_control" in block))
                last_text = block["text"]
        assert sum(marked for _, marked in blocks) <= MAX_BREAKPOINTS, "more than four cache breakpoints"
        pieces = [t for block, _ in blocks for t in block]
        keys = _prefix_keys(pieces)
        ends, pos = [], 0
        for block, marked in blocks:
            pos += len(block)
            ends.append((pos, marked))
        last_mark = max((end for end, marked in ends if marked), default=0)
        read = 0
        for end, _ in ends:  # the longest cached prefix at a block boundary up to the last breakpoint
            if end <= last_mark and end >= MIN_TOKENS and self._live(keys[end - 1]):
                read = end
        write, store = 0, []
        if last_mark >= MIN_TOKENS and last_mark > read:
            write = last_mark - read
            store = [keys[end - 1] for end, marked in ends if marked and end >= MIN_TOKENS]
        text = self.reply(last_text)
        output = len(tokens(text))
        self._charge(body["model"], len(pieces), read, write, output)
        usage = {"input_tokens": len(pieces) - read - write, "cache_creation_input_tokens": write,
                 "cache_read_input_tokens": read, "output_tokens": output}
        return usage, text, store

    # ---- OpenAI ------------------------------------------------------------------------------

    def _openai(self, body: dict[str, Any]) -> tuple[dict[str, Any], str, list[str]]:
        pieces: list[str] = []
        # Tools and a structured-output schema come before the messages in what is cached.
        for extra in ("tools", "response_format"):
            if body.get(extra):
                pieces += [f"<{extra}>", *tokens(json.dumps(body[extra], sort_keys=True))]
        for message in body["messages"]:
            pieces += [f"<{message['role']}>", *tokens(message["content"]), "<end>"]
        keys = _prefix_keys(pieces)
        steps = range(MIN_TOKENS, len(pieces), OPENAI_STEP)  # the last token is always computed
        read = 0
        for k in steps:
            if self._live(keys[k - 1]):
                read = k
            else:
                break
        store = [keys[k - 1] for k in steps]
        text = self.reply(body["messages"][-1]["content"])
        output = len(tokens(text))
        self._charge(body["model"], len(pieces), read, 0, output)
        usage = {"prompt_tokens": len(pieces), "completion_tokens": output, "total_tokens": len(pieces) + output,
                 "prompt_tokens_details": {"cached_tokens": read, "audio_tokens": 0}}
        return usage, text, store
