"""What the embedded llama.cpp server's handlers do, for fakes: a one-shot answer, or (with a
callback, as a plain completion is now asked for) the same answer streamed as chunks, a word
each, the last with the finish reason and usage; anything else delivered as one chunk."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


def chunks_of(answer: Any) -> list[Any]:
    """A completion as llama.cpp streams it."""
    try:
        [choice] = answer["choices"]
        text = choice["text"]
        assert isinstance(text, str)
    except (TypeError, KeyError, ValueError, AssertionError):
        return [answer]
    words = re.findall(r"\s*\S+|\s+$", text) or [""]
    head = {k: v for k, v in answer.items() if k not in ("choices", "usage", "timings")}
    out = [{**head, "choices": [{**choice, "text": w, "finish_reason": None}]} for w in words]
    out.append({**answer, "choices": [{**choice, "text": ""}]})
    return out


def deliver(answer: Any, callback: Callable[[Any], bool] | None) -> Any:
    """The handler's return: `answer` itself, or None after streaming it into `callback`."""
    if callback is None:
        return answer
    for chunk in chunks_of(answer):
        if callback(chunk):
            break
    return None
