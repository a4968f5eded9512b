"""The two Batch APIs behind one small interface: create a batch, ask whether it ended, read results.

Shapes (both SDKs, verified against tests/helpers/fake_batch.py):
- OpenAI: `files.create(purpose="batch")` with JSONL lines `{custom_id, method, url, body}`,
  `batches.create(input_file_id, endpoint, completion_window="24h")`, `batches.retrieve(id)`
  until the batch is completed, expired, failed or cancelled, then `files.content(...)` of its
  output and error files: JSONL `{custom_id, response: {status_code, body}, error}`, any order.
- Anthropic: `messages.batches.create(requests=[{custom_id, params}])`,
  `messages.batches.retrieve(id)` until `processing_status == "ended"`, then
  `messages.batches.results(id)`: `{custom_id, result: {type: succeeded|errored|canceled|expired}}`.
A request that did not succeed comes back as a short reason; the caller makes it as a normal call.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from oversight.models.providers.anthropic import parse_message
from oversight.models.providers.openai import parse_response
from oversight.models.providers.sdk import SDKProvider
from oversight.models.types import Completion, GenerateConfig, Message

Request = tuple[str, list[Message], GenerateConfig]
"""(custom_id, messages, settings) of one call in a batch."""
Outcome = Completion | str
"""A request's completion, or why it has none."""

CHAT_URL = "/v1/chat/completions"


class BatchAPI(ABC):
    """One provider's Batch API, through the provider's own SDK client (its key, its http client)."""

    def __init__(self, provider: SDKProvider) -> None:
        self.provider = provider

    @property
    def client(self) -> Any:
        return self.provider.client()

    def body(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """The request exactly as a normal call would send it, minus client-side options."""
        return self.provider.request_body(messages, config)

    @abstractmethod
    async def create(self, requests: list[Request]) -> str:
        """Submit the requests as one batch; return its id."""

    @abstractmethod
    async def ended(self, batch_id: str) -> bool:
        """Whether the batch has stopped processing (results, complete or not, can be read)."""

    @abstractmethod
    async def results(self, batch_id: str, logprobs: dict[str, bool]) -> dict[str, Outcome]:
        """Outcome per custom_id; `logprobs` says which requests asked for them."""


class OpenAIBatchAPI(BatchAPI):
    ENDED = frozenset({"completed", "expired", "failed", "cancelled"})

    def __init__(self, provider: SDKProvider) -> None:
        super().__init__(provider)
        self._files: dict[str, tuple[str | None, str | None]] = {}

    async def create(self, requests: list[Request]) -> str:
        lines = [
            json.dumps({"custom_id": cid, "method": "POST", "url": CHAT_URL, "body": self.body(m, c)},
                       ensure_ascii=False)
            for cid, m, c in requests
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        upload = await self.client.files.create(file=("oversight-batch.jsonl", data), purpose="batch")
        batch = await self.client.batches.create(
            input_file_id=upload.id, endpoint=CHAT_URL, completion_window="24h"
        )
        return str(batch.id)

    async def ended(self, batch_id: str) -> bool:
        batch = await self.client.batches.retrieve(batch_id)
        self._files[batch_id] = (batch.output_file_id, batch.error_file_id)
        return batch.status in self.ENDED

    async def results(self, batch_id: str, logprobs: dict[str, bool]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for file_id in self._files.get(batch_id, (None, None)):
            if not file_id:
                continue
            content = await self.client.files.content(file_id)
            for line in content.text.splitlines():
                if not line.strip():
                    continue
                record = json.loads(line)
                cid = record.get("custom_id")
                response = record.get("response") or {}
                error = record.get("error")
                if response.get("status_code") == 200 and not error:
                    try:
                        out[cid] = parse_response(response.get("body"), want_logprobs=logprobs.get(cid, False))
                    except Exception as exc:  # a malformed body: made again as a normal call
                        out[cid] = f"malformed batch result ({type(exc).__name__})"
                else:
                    code = (error or {}).get("code") or f"status {response.get('status_code')}"
                    out[cid] = f"batch request failed: {code}"
        return out


class AnthropicBatchAPI(BatchAPI):
    async def create(self, requests: list[Request]) -> str:
        batch = await self.client.messages.batches.create(
            requests=[{"custom_id": cid, "params": self.body(m, c)} for cid, m, c in requests]
        )
        return str(batch.id)

    async def ended(self, batch_id: str) -> bool:
        batch = await self.client.messages.batches.retrieve(batch_id)
        return batch.processing_status == "ended"

    async def results(self, batch_id: str, logprobs: dict[str, bool]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        async for item in await self.client.messages.batches.results(batch_id):
            result = item.result
            if result.type == "succeeded":
                try:
                    out[item.custom_id] = parse_message(result.message.to_dict())
                except Exception as exc:
                    out[item.custom_id] = f"malformed batch result ({type(exc).__name__})"
            else:
                out[item.custom_id] = f"batch request {result.type}"
        return out


def batch_api(provider: SDKProvider) -> BatchAPI:
    """The Batch API of `provider`'s service (the caller has checked it has one)."""
    kind = provider.spec.provider
    return OpenAIBatchAPI(provider) if kind == "openai" else AnthropicBatchAPI(provider)
