"""How large an answer may be, worked out from the request's `max_tokens`.

A server that ignores `max_tokens` (a broken proxy, a hostile endpoint) could send 30 MB for a
one-token judge call; stored, that fills the run folder and the cache. So every answer is held
to a bound with a wide margin, and a call past it fails (retried as a malformed answer, then
recorded as a failed call) with nothing stored:

- text: `CHARS_PER_TOKEN` characters per token plus `TEXT_SLACK` (no tokenizer in use has
  tokens that long on average; a one-token call may still carry a 4 KB oddity);
- an HTTP body: `BYTES_PER_CHAR` bytes per allowed character (JSON's `\\uXXXX` escapes of a
  character outside the BMP take 12 bytes), plus `BYTES_PER_LOGPROB` per token and per
  alternative when logprobs are asked for, plus `BODY_SLACK` for the envelope (ids, usage).

The body is read in chunks and dropped the moment it passes its bound, so memory stays bounded
too; the text bound applies to every provider (SDK, local, scripted, batch results).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from oversight.models.providers.base import ProviderError
from oversight.models.types import Completion, GenerateConfig

CHARS_PER_TOKEN = 64
TEXT_SLACK = 4096
BYTES_PER_CHAR = 12
BYTES_PER_LOGPROB = 2048
"""A logprob entry: the token (escaped), its bytes as a JSON list of ints, its value."""
BODY_SLACK = 64 * 1024


def text_limit(config: GenerateConfig) -> int:
    """The most characters an answer to this request may have."""
    return CHARS_PER_TOKEN * config.max_tokens + TEXT_SLACK


def body_limit(config: GenerateConfig) -> int:
    """The most bytes an HTTP answer to this request may have."""
    logprobs = config.max_tokens * (1 + (config.top_logprobs or 5)) * BYTES_PER_LOGPROB if config.logprobs else 0
    return BODY_SLACK + BYTES_PER_CHAR * text_limit(config) + logprobs


def too_large(what: str, limit: int, config: GenerateConfig) -> ProviderError:
    return ProviderError(f"answer too large: {what} passed {limit:,} for max_tokens={config.max_tokens} "
                         f"(the server ignored max_tokens?); nothing of it was kept", retryable=True)


async def read_bounded(chunks: AsyncIterator[bytes], config: GenerateConfig) -> bytes:
    """The body from `chunks`, or ProviderError as soon as it passes `body_limit(config)`."""
    limit = body_limit(config)
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            parts.clear()
            raise too_large("the body", limit, config)
        parts.append(chunk)
    return b"".join(parts)


def check_completion(completion: Completion, config: GenerateConfig) -> Completion:
    """`completion` if its text is within `text_limit(config)`; else ProviderError."""
    limit = text_limit(config)
    if len(completion.text) > limit:
        raise too_large(f"{len(completion.text):,} characters", limit, config)
    if completion.logprobs is not None and len(completion.logprobs) > config.max_tokens + TEXT_SLACK // 64:
        raise too_large(f"{len(completion.logprobs):,} logprob entries", config.max_tokens, config)
    return completion


def within_bounds(completion: Completion, config: GenerateConfig) -> bool:
    """Whether a batch result may be used (one past its bound is made again as a normal call)."""
    try:
        check_completion(completion, config)
    except ProviderError:
        return False
    return True


__all__ = ["body_limit", "check_completion", "read_bounded", "text_limit", "within_bounds"]
