"""A fake OpenAI-compatible and Anthropic server on 127.0.0.1 for the fault and crash suites.

One threaded HTTP server answers `POST .../chat/completions` (OpenAI) and `POST .../messages`
(Anthropic). Replies come from `reply(prompt) -> text`; faults are injected at `rate` (seeded),
drawn from `faults`: "429" (with Retry-After: 3600, which the client must cap), "500", "529",
"hang" (sleeps past the client's timeout), "drop" (closes the connection without a reply) and
"malformed" (a 200 whose body is HTML or truncated JSON). Every request body is logged.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "529", "hang", "drop", "malformed")


def oversight_reply(prompt: str) -> str:
    """Text that every role of both built-in protocols can read, decided by the prompt alone."""
    if "Reported flaw" in prompt:
        return "None - not one of the known flaws"
    if "A or B" in prompt or prompt.rstrip().endswith("Answer:") and "A:" in prompt:
        return "A, 70%"
    numbers = [w.strip(".,") for w in prompt.split() if w[:1].isdigit()]
    return f" The answer gets {numbers[0] if numbers else 'a detail'} wrong.\n2. It leaves out the date."


@dataclass
class FakeLLM:
    reply: Callable[[str], str] = oversight_reply
    rate: float = 0.0
    faults: tuple[str, ...] = ()
    seed: int = 0
    delay_s: float = 0.0
    hang_s: float = 3.0
    requests: list[str] = field(default_factory=list)
    """Every request body, as canonical JSON, in arrival order (faulted ones included)."""
    answered: list[str] = field(default_factory=list)
    """Bodies of the requests that got a proper reply."""
    port: int = 0
    release: threading.Event | None = None
    """When given, every request waits for it before answering (a run held mid-way)."""
    status_for: Callable[[str], int | None] | None = None
    """When given, a prompt for which it returns a status (e.g. 503) is answered with that error,
    on every attempt: a call that fails for good, as an overloaded endpoint does for a while."""

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def pick_fault(self) -> str | None:
        with self._lock:
            if self.faults and self._rng.random() < self.rate:
                return self._rng.choice(self.faults)
        return None

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _prompt(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    last = messages[-1]["content"] if messages else ""
    return last if isinstance(last, str) else json.dumps(last)


def _openai_body(model: str, text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1764000000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}}


def _anthropic_body(model: str, text: str) -> dict[str, Any]:
    return {"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 20, "output_tokens": 8}}


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            body = json.loads(raw)
            canonical = json.dumps(body, sort_keys=True)
            with fake._lock:
                fake.requests.append(canonical)
            if fake.release is not None:
                fake.release.wait(timeout=60)
            if fake.delay_s:
                time.sleep(fake.delay_s)
            forced = fake.status_for(_prompt(body)) if fake.status_for else None
            if forced is not None:
                payload = json.dumps({"error": {"type": "overloaded_error", "message": f"fake {forced}"}}).encode()
                self._send(forced, payload)
                return
            fault = fake.pick_fault()
            if fault == "drop":
                self.close_connection = True
                return
            if fault == "hang":
                time.sleep(fake.hang_s)
                self.close_connection = True
                return
            if fault in ("429", "500", "529"):
                payload = json.dumps({"error": {"type": "overloaded_error", "message": f"fake {fault}"}}).encode()
                self._send(int(fault), payload, {"Retry-After": "3600"} if fault == "429" else {})
                return
            anthropic = self.path.rstrip("/").endswith("/messages")
            if fault == "malformed":
                text = "<html><body>502 Bad Gateway</body></html>" if fake._rng.random() < 0.5 else '{"id": "chat'
                self._send(200, text.encode())
                return
            text = fake.reply(_prompt(body))
            make = _anthropic_body if anthropic else _openai_body
            self._send(200, json.dumps(make(str(body.get("model")), text)).encode())
            with fake._lock:
                fake.answered.append(canonical)

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout, a killed process): nothing to answer

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serve(fake: FakeLLM) -> Iterator[FakeLLM]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
