"""Who gave a verdict, on which view, and which of several records of one rater stands.

Every metric is a function of the SET of judgment records, never of their order in
judgments.jsonl. The rule, shared by the protocols' metrics and the agreement tables:

- A rater is a judge id plus, where one id covers several people (an imported study's
  offline judges share one id), the `person` field. Different people under one id are
  different raters: each of their verdicts counts.
- A view is what the rater saw, as the record's protocol reads it (its `judgment_view_key`
  hook, passed in by the caller: `view_key` from re-judging and people, or a field of the
  protocol's own run judge). A record naming none cannot be told apart from another rating of
  the same thing, so it always counts.
- Several records of one rater on one view (a model judge re-run under the same id, a
  person who judged twice): the latest stands, by `created_at`, then `id`, then the
  record's own content, so the choice never depends on line order. A record that answered
  stands over a failed one (a failed call is retried, never a verdict).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from oversight.stats.estimates import judge_name

Record = dict[str, Any]
ViewOf = Callable[[Record], str | None]
"""A judgment record -> the view it answered (None or "": it names none)."""


def rater(record: Record) -> tuple[str, str]:
    """(judge name as metrics.json shows it, person within that judge id or "")."""
    person = record.get("person")
    return judge_name(record), "" if person is None else str(person)


def _content(record: Record) -> str:
    return json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)


def recency(record: Record) -> tuple[bool, str, str]:
    """Sort key: answered over failed, then latest `created_at`, then `id` (ties: the content)."""
    return (not record.get("failed"), str(record.get("created_at") or ""), str(record.get("id") or ""))


def standing(records: Iterable[Record], view_of: ViewOf) -> list[Record]:
    """One record per (rater, transcript, view), chosen by `recency`; returned in a canonical
    order (transcript, view, rater), so what follows never sees the file's line order."""
    best: dict[tuple[str, str, tuple[str, str], str], tuple[tuple[bool, str, str], Record]] = {}
    for r in records:
        view = view_of(r) or ""
        rank = recency(r)
        key = (str(r.get("transcript_id")), view, rater(r), "" if view else _content(r))
        held = best.get(key)
        if held is None or rank > held[0] or (rank == held[0] and _content(r) > _content(held[1])):
            best[key] = (rank, r)
    return [best[k][1] for k in sorted(best)]


__all__ = ["ViewOf", "rater", "recency", "standing"]
