"""Which of several transcript lines of one unit stands, the same in any line order."""

from __future__ import annotations

import json
from typing import Any


def transcript_rank(record: dict[str, Any]) -> tuple[bool, str]:
    """Which of several lines of one unit stands: a finished attempt over a failed one (a unit
    is done once any attempt finished), then the latest `created_at`."""
    return (not record.get("error"), str(record.get("created_at") or ""))


def stands_over(record: dict[str, Any], held: dict[str, Any]) -> bool:
    """Whether `record` stands over `held`, a line of the same unit: by `transcript_rank`, ties
    by content, so the choice is the same in any line order."""
    a, b = transcript_rank(record), transcript_rank(held)
    if a != b:
        return a > b
    return json.dumps(record, sort_keys=True, default=str) >= json.dumps(held, sort_keys=True, default=str)
