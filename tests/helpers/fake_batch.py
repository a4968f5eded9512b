"""A fake of both providers' Batch APIs (and their normal chat endpoints) for the real SDKs.

Use it as an httpx2 MockTransport handler: `httpx2.AsyncClient(transport=httpx2.MockTransport(fake))`.
OpenAI: POST /v1/files (multipart JSONL), POST /v1/batches, GET /v1/batches/{id},
POST /v1/batches/{id}/cancel, GET /v1/files/{id}/content, POST /v1/chat/completions.
Anthropic: POST /v1/messages/batches, GET /v1/messages/batches/{id}, GET .../{id}/results,
POST .../{id}/cancel, POST /v1/messages.

A batch ends after `polls_to_end` retrieves (no wall clock: tests stay deterministic). `item_fate`
decides per request whether it succeeds, errors or expires; `expire_next` makes the next batch
expire as a whole (requests not done by then come back expired). `answer(body)` writes replies.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2

Fate = Callable[[str, dict[str, Any]], str]
"""(custom_id, request body) -> "succeeded" | "errored" | "expired"."""


def last_user_text(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


@dataclass
class FakeBatch:
    provider: str
    id: str
    requests: list[tuple[str, dict[str, Any]]]
    polls: int = 0
    state: str = "in_progress"  # in_progress | ended | expired | cancelled
    results: list[dict[str, Any]] = field(default_factory=list)


class FakeBatchService:
    def __init__(self, *, polls_to_end: int = 2, answer: Callable[[dict[str, Any]], str] | None = None,
                 item_fate: Fate | None = None) -> None:
        self.polls_to_end = polls_to_end
        self.answer = answer or (lambda body: f"reply to: {last_user_text(body)[-40:]}")
        self.item_fate = item_fate or (lambda cid, body: "succeeded")
        self.expire_next = False
        self.batches: dict[str, FakeBatch] = {}
        self.files: dict[str, str] = {}
        self.normal_calls: list[dict[str, Any]] = []
        self.created: list[str] = []
        self.retrieves = 0
        self._ids = itertools.count(1)
        self.base_url = "https://api.anthropic.com"
        """Where results_url points (serve_http sets its own address)."""

    # ---- transport ---------------------------------------------------------------------------

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path, method = request.url.path, request.method
        routes: list[tuple[str, str, Callable[..., httpx2.Response]]] = [
            ("POST", r"/v1/files", self._upload),
            ("GET", r"/v1/files/([^/]+)/content", self._file_content),
            ("POST", r"/v1/batches", self._openai_create),
            ("GET", r"/v1/batches/([^/]+)", self._openai_retrieve),
            ("POST", r"/v1/batches/([^/]+)/cancel", self._cancel),
            ("POST", r"/v1/chat/completions", self._openai_chat),
            ("POST", r"/v1/messages/batches", self._anthropic_create),
            ("GET", r"/v1/messages/batches/([^/]+)", self._anthropic_retrieve),
            ("GET", r"/v1/messages/batches/([^/]+)/results", self._anthropic_results),
            ("POST", r"/v1/messages/batches/([^/]+)/cancel", self._cancel),
            ("POST", r"/v1/messages", self._anthropic_chat),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                return handler(request, *match.groups())
        return httpx2.Response(404, json={"error": {"message": f"no route {method} {path}"}})

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    # ---- shared batch life ---------------------------------------------------------------------

    def _create(self, provider: str, requests: list[tuple[str, dict[str, Any]]]) -> FakeBatch:
        batch = FakeBatch(provider, self._new_id("batch" if provider == "openai" else "msgbatch"), requests)
        if self.expire_next:
            batch.state, self.expire_next = "expiring", False
        self.batches[batch.id] = batch
        self.created.append(batch.id)
        return batch

    def _advance(self, batch: FakeBatch) -> None:
        """One retrieve: after `polls_to_end` of them the batch ends and its results exist."""
        self.retrieves += 1
        batch.polls += 1
        if batch.state in ("in_progress", "expiring") and batch.polls >= self.polls_to_end:
            expired = batch.state == "expiring"
            batch.state = "expired" if expired else "ended"
            # An expiring batch got through its first request only; the rest expired.
            batch.results = [self._result(batch.provider, cid, body, "expired" if expired and i else None)
                             for i, (cid, body) in enumerate(batch.requests)]

    def cancel(self, batch_id: str) -> None:
        """What a person cancelling in the console does: nothing done yet comes back canceled."""
        batch = self.batches[batch_id]
        if batch.state in ("in_progress", "expiring"):
            batch.state = "cancelled"
            batch.results = [self._result(batch.provider, cid, body, "canceled") for cid, body in batch.requests]

    def _cancel(self, request: httpx2.Request, batch_id: str) -> httpx2.Response:
        self.cancel(batch_id)
        batch = self.batches[batch_id]
        return httpx2.Response(200, json=self._openai_batch(batch) if batch.provider == "openai"
                               else self._anthropic_batch(batch))

    def _result(self, provider: str, cid: str, body: dict[str, Any], forced: str | None) -> dict[str, Any]:
        fate = forced or self.item_fate(cid, body)
        text = self.answer(body) if fate == "succeeded" else None
        if provider == "openai":
            if fate == "succeeded":
                return {"custom_id": cid, "response": {"status_code": 200, "body": self._openai_completion(body, text)},
                        "error": None}
            code = {"expired": "batch_expired", "canceled": "batch_cancelled"}.get(fate, "server_error")
            return {"custom_id": cid, "response": None if fate != "errored" else {"status_code": 500, "body": {}},
                    "error": {"code": code, "message": fate}}
        if fate == "succeeded":
            return {"custom_id": cid, "result": {"type": "succeeded", "message": self._anthropic_message(body, text)}}
        if fate == "errored":
            return {"custom_id": cid, "result": {"type": "errored", "error": {
                "type": "error", "error": {"type": "api_error", "message": "boom"}}}}
        return {"custom_id": cid, "result": {"type": fate}}

    # ---- OpenAI --------------------------------------------------------------------------------

    def _upload(self, request: httpx2.Request) -> httpx2.Response:
        boundary = request.headers["content-type"].split("boundary=")[1].strip('"').encode()
        content = b""
        for part in request.content.split(b"--" + boundary):
            head, _, body = part.partition(b"\r\n\r\n")
            if b'name="file"' in head:
                content = body.rsplit(b"\r\n", 1)[0]
        file_id = self._new_id("file")
        self.files[file_id] = content.decode("utf-8")
        return httpx2.Response(200, json={"id": file_id, "object": "file", "bytes": len(content), "created_at": 1,
                                          "filename": "batch.jsonl", "purpose": "batch", "status": "processed"})

    def _file_content(self, request: httpx2.Request, file_id: str) -> httpx2.Response:
        return httpx2.Response(200, content=self.files[file_id].encode("utf-8"))

    def _openai_create(self, request: httpx2.Request) -> httpx2.Response:
        data = json.loads(request.content)
        lines = [json.loads(line) for line in self.files[data["input_file_id"]].splitlines() if line.strip()]
        assert all(line["url"] == data["endpoint"] == "/v1/chat/completions" for line in lines)
        batch = self._create("openai", [(line["custom_id"], line["body"]) for line in lines])
        return httpx2.Response(200, json=self._openai_batch(batch))

    def _openai_retrieve(self, request: httpx2.Request, batch_id: str) -> httpx2.Response:
        batch = self.batches[batch_id]
        self._advance(batch)
        return httpx2.Response(200, json=self._openai_batch(batch))

    def _openai_batch(self, batch: FakeBatch) -> dict[str, Any]:
        status = {"in_progress": "in_progress", "expiring": "in_progress", "ended": "completed",
                  "expired": "expired", "cancelled": "cancelled"}[batch.state]
        out, err = None, None
        if batch.results:
            good = [r for r in batch.results if r["error"] is None]
            bad = [r for r in batch.results if r["error"] is not None]
            if good:
                out = self._new_id("file")
                self.files[out] = "".join(json.dumps(r) + "\n" for r in reversed(good))  # any order
            if bad:
                err = self._new_id("file")
                self.files[err] = "".join(json.dumps(r) + "\n" for r in bad)
        return {"id": batch.id, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": "file_in",
                "completion_window": "24h", "status": status, "created_at": 1, "output_file_id": out,
                "error_file_id": err, "request_counts": {"total": len(batch.requests), "completed": 0, "failed": 0}}

    def _openai_completion(self, body: dict[str, Any], text: str | None) -> dict[str, Any]:
        prompt = sum(len(str(m["content"]).split()) for m in body["messages"])
        return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                             "logprobs": None}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": len(str(text).split()),
                          "total_tokens": prompt + len(str(text).split())}}

    def _openai_chat(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.normal_calls.append(body)
        return httpx2.Response(200, json=self._openai_completion(body, self.answer(body)))

    # ---- Anthropic -----------------------------------------------------------------------------

    def _anthropic_create(self, request: httpx2.Request) -> httpx2.Response:
        data = json.loads(request.content)
        batch = self._create("anthropic", [(r["custom_id"], r["params"]) for r in data["requests"]])
        return httpx2.Response(200, json=self._anthropic_batch(batch))

    def _anthropic_retrieve(self, request: httpx2.Request, batch_id: str) -> httpx2.Response:
        batch = self.batches[batch_id]
        self._advance(batch)
        return httpx2.Response(200, json=self._anthropic_batch(batch))

    def _anthropic_results(self, request: httpx2.Request, batch_id: str) -> httpx2.Response:
        batch = self.batches[batch_id]
        assert batch.results, "results asked for before the batch ended"
        return httpx2.Response(200, content="".join(json.dumps(r) + "\n" for r in reversed(batch.results)).encode())

    def _anthropic_batch(self, batch: FakeBatch) -> dict[str, Any]:
        ended = bool(batch.results)
        counts = {k: 0 for k in ("processing", "succeeded", "errored", "canceled", "expired")}
        for r in batch.results:
            counts[r["result"]["type"]] += 1
        counts["processing"] = 0 if ended else len(batch.requests)
        return {"id": batch.id, "type": "message_batch", "processing_status": "ended" if ended else "in_progress",
                "request_counts": counts, "created_at": "2026-11-29T00:00:00Z", "expires_at": "2026-11-30T00:00:00Z",
                "ended_at": "2026-11-29T01:00:00Z" if ended else None, "archived_at": None,
                "cancel_initiated_at": None,
                "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None}

    def _anthropic_message(self, body: dict[str, Any], text: str | None) -> dict[str, Any]:
        prompt = sum(len(str(m["content"]).split()) for m in body["messages"])
        return {"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"],
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": prompt, "output_tokens": len(str(text).split())}}

    def _anthropic_chat(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.normal_calls.append(body)
        return httpx2.Response(200, json=self._anthropic_message(body, self.answer(body)))

    # ---- for assertions ------------------------------------------------------------------------

    def batched_requests(self) -> list[dict[str, Any]]:
        return [body for b in self.batches.values() for _, body in b.requests]


# ---- over HTTP, for tests that run the CLI in another process ----------------------------------


@contextmanager
def serve_http(service: FakeBatchService) -> Iterator[str]:
    """Serve `service` on 127.0.0.1 (one request at a time); yields the base URL, e.g. for
    OPENAI_BASE_URL (add "/v1") or ANTHROPIC_BASE_URL, so a child process reaches the same fake
    and its batches outlive the process that created them."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            request = httpx2.Request(self.command, f"http://fake{self.path}", headers=dict(self.headers.items()),
                                     content=body)
            with lock:
                response = service(request)
            data = response.content
            self.send_response(response.status_code)
            self.send_header("content-type", response.headers.get("content-type", "application/json"))
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service.base_url
    finally:
        server.shutdown()
        server.server_close()
