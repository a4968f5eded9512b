"""What the review list shows and filters, without parsing a transcript until it is opened.

Opening a run reads each transcript line's small fields (RunFolder.transcript_index) and the
judgments, which are small; events and outcomes are parsed only for the transcript on screen.
Everything read here is cleaned of control characters (oversight.core.safe_text) before any view is
built from it: model text, task text and ids never reach the terminal raw.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from oversight.core.errors import UserError
from oversight.log.runfolder import RunFolder
from oversight.core.safe_text import clean, clean_deep
from oversight.protocol.contract import Protocol
from oversight.protocol.declared import protocol_shapes
from oversight.tui.records import effective_judgments, judge_label
from oversight.tui.views import Notice, mark, not_installed, protocol_for, transcript_mark

VERDICT_FILTERS = ("all", "correct", "incorrect", "unjudged")


def verdict_ok(judgment: dict[str, Any], protocol: Protocol[Any, Any] | None = None,
               notice: Notice | None = None) -> bool | None:
    """Was this verdict right, by the protocol's `judgment_mark`? Invalid is wrong; a partial
    mark is not right; None when the protocol cannot say (or its hook failed: see `notice`)."""
    if judgment.get("invalid"):
        return False
    found = mark(protocol, judgment, notice)
    return None if found is None else found.kind == "right"


def verdict_mark(judgment: dict[str, Any], protocol: Protocol[Any, Any] | None = None,
                 notice: Notice | None = None) -> str:
    """One verdict's mark in the list: ✓, ✗, ? (invalid), · (no mark) or the protocol's own text."""
    if judgment.get("invalid"):
        return "?"
    found = mark(protocol, judgment, notice)
    if found is None:
        return "·"
    return found.shown or ("✓" if found.kind == "right" else "✗")


@dataclass
class Filters:
    """The list's filters; each narrows the one before."""

    condition: str | None = None
    verdict: str = "all"
    failed_only: bool = False
    judge: str | None = None
    search: str = ""

    def describe(self) -> str:
        parts = [f"cond:{self.condition or 'all'}", f"verdict:{self.verdict}", f"judge:{self.judge or 'all'}"]
        if self.failed_only:
            parts.append("failed only")
        if self.search:
            parts.append(f"/{self.search}")
        return "  ".join(parts)


@dataclass
class RunIndex:
    """The run's transcripts (light entries) and every judgment, grouped by transcript."""

    folder: RunFolder
    entries: list[dict[str, Any]]
    judgments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    hooks: Protocol[Any, Any] | None = None
    """The run's protocol (its review hooks), None when it is not installed here."""
    notices: list[str] = field(default_factory=list)
    """One-line notices for the screens (a protocol not installed, a hook that failed), each once."""
    _search_cache: dict[str, set[int]] = field(default_factory=dict)
    _shown: int = 0

    @classmethod
    def open(cls, folder: RunFolder) -> "RunIndex":
        raw_entries = folder.transcript_index()
        entries = clean_deep(raw_entries)
        hooks = protocol_for(str(entries[0].get("protocol"))) if entries else None
        if hooks is not None:  # the hooks read the judgments: lines of the wrong type are skipped
            folder.shapes = protocol_shapes(hooks)
        records, left_out = folder.judgments(transcripts=raw_entries)
        records = clean_deep(records)
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            grouped[record["transcript_id"]].append(record)
        index = cls(folder=folder, entries=entries, judgments=dict(grouped), left_out=left_out, hooks=hooks)
        if entries and index.hooks is None:
            index.note(not_installed(index.protocol()))
        return index

    def note(self, message: str) -> None:
        """Keep a notice for the screens, once however often it recurs."""
        if message not in self.notices:
            self.notices.append(message)

    def unshown_notices(self) -> list[str]:
        """The notices no screen has shown yet (a screen shows them and they are spent)."""
        fresh, self._shown = self.notices[self._shown:], len(self.notices)
        return fresh

    # ---- what the filters can choose from ---------------------------------------------------

    def conditions(self) -> list[str]:
        return sorted({str(e.get("condition")) for e in self.entries})

    def judges(self) -> list[str]:
        return sorted({judge_label(j) for js in self.judgments.values() for j in effective_judgments(js)})

    def protocol(self) -> str:
        return str(self.entries[0].get("protocol")) if self.entries else "?"

    # ---- one row -----------------------------------------------------------------------------

    def standing(self, transcript_id: str, judge: str | None = None) -> list[dict[str, Any]]:
        """The verdicts that stand on a transcript (all judges, or one)."""
        js = effective_judgments(self.judgments.get(transcript_id, []))
        return [j for j in js if judge is None or judge_label(j) == judge]

    def marks(self, entry: dict[str, Any], judge: str | None = None) -> str:
        """Each verdict's mark; with every judge shown and several judges in the run, one group
        per judge in `judges()` order, apart, `·` where a judge gave none, so whose is whose shows.
        A judge with several verdicts on the transcript that the protocol scores as one (debate's
        two answer orders) gets that score after `=` ("✓✗=½": a tie), which is what the verdict
        filter reads: per-order marks alone cannot say why a row is left out."""
        judges = self.judges()
        if judge is not None or len(judges) < 2:
            return self._group_marks(self.standing(entry["id"], judge))
        by_judge: dict[str, list[dict[str, Any]]] = {}
        for j in self.standing(entry["id"]):
            by_judge.setdefault(judge_label(j), []).append(j)
        return " ".join(self._group_marks(by_judge.get(name, [])) or "·" for name in judges)

    def _group_marks(self, group: list[dict[str, Any]]) -> str:
        """One judge's marks, and its transcript score where the protocol gives one to several."""
        shown = "".join(verdict_mark(j, self.hooks, self.note) for j in group)
        if len(group) < 2 or len({str(j.get("person")) for j in group}) > 1:
            return shown  # one verdict is its own score; several people are several raters
        found = transcript_mark(self.hooks, group, self.note)
        if found is None:
            return shown
        return f"{shown}={found.shown or ('✓' if found.kind == 'right' else '✗')}"

    def _by_judge(self, transcript_id: str, judge: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The standing verdicts on a transcript, by judge (one rater each; a shared id's people apart)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for j in self.standing(transcript_id, judge):
            person = j.get("person")
            key = judge_label(j) if person is None else f"{judge_label(j)}\0{person}"
            out.setdefault(key, []).append(j)
        return out

    def transcript_marks(self, transcript_id: str, judge: str | None = None) -> list[bool | None]:
        """Per rater, was its verdict on the transcript right? By the protocol's `transcript_mark`
        (debate's order-averaged verdict) where it has one, else every verdict of that rater right;
        None where neither can say. Invalid verdicts are wrong."""
        out: list[bool | None] = []
        for group in self._by_judge(transcript_id, judge).values():
            found = transcript_mark(self.hooks, group, self.note)
            if found is not None:
                out.append(found.kind == "right")
                continue
            oks = [verdict_ok(j, self.hooks, self.note) for j in group]
            out.append(False if any(ok is False for ok in oks) else None if any(ok is None for ok in oks) else True)
        return out

    def read(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The whole transcript, cleaned for the terminal; one whose line turns out unreadable or of
        the wrong shape is shown as a failed transcript saying why, never a crash."""
        try:
            return clean_deep(self.folder.read_transcript_at(entry["offset"]))
        except UserError as exc:
            return clean_deep({**{k: entry.get(k) for k in ("id", "item_id", "protocol", "condition", "attempt")},
                               "events": [], "outcome": {}, "error": f"not shown: {exc}"})

    def text(self, ref: str) -> str | None:
        """A stored text (a story), cleaned one character for one, so quote spans still hold."""
        stored = self.folder.get_text(ref)
        return None if stored is None else clean(stored)

    def get_text(self, ref: str) -> str | None:
        """`text`, so the index serves a protocol's `review_body` as its TextReader."""
        return self.text(ref)

    def metrics(self) -> dict[str, Any] | None:
        """metrics.json cleaned; UserError if it is cut off or of the wrong shape."""
        return clean_deep(self.folder.metrics())

    # ---- filtering ---------------------------------------------------------------------------

    def matches_text(self, query: str) -> set[int]:
        """Offsets of the transcripts containing `query` (case-insensitive): in their own line
        (ids, speeches, answers, prompts, verdict text, as JSON writes it) or in a stored text
        they refer to (the story, kept once in texts.jsonl)."""
        if query not in self._search_cache:
            needles = [json.dumps(query, ensure_ascii=False)[1:-1].lower().encode("utf-8")]
            needles += [json.dumps(ref).encode("utf-8") for ref in self.folder.refs_containing(query)]
            offsets = {e["offset"] for e in self.entries}
            self._search_cache[query] = {off for off, raw in self.folder.read_transcript_lines(offsets)
                                         if any(n in raw.lower() for n in needles)}
        return self._search_cache[query]

    def select(self, f: Filters) -> list[dict[str, Any]]:
        rows = self.entries
        if f.condition is not None:
            rows = [e for e in rows if e.get("condition") == f.condition]
        if f.failed_only:
            rows = [e for e in rows if e.get("error")]
        if f.judge is not None or f.verdict != "all":
            rows = [e for e in rows if self._verdict_pass(e, f)]
        if f.search:
            hits = self.matches_text(f.search)
            rows = [e for e in rows if e["offset"] in hits]
        return rows

    def _verdict_pass(self, entry: dict[str, Any], f: Filters) -> bool:
        """correct: judged, and every judge's verdict on it right (as the metrics score a
        transcript); incorrect: some judge's verdict wrong, a tie, or invalid."""
        oks = self.transcript_marks(entry["id"], f.judge)
        if f.verdict == "unjudged":
            return not oks
        if f.judge is not None and not oks:
            return False
        if f.verdict == "correct":
            return bool(oks) and all(ok is True for ok in oks)
        if f.verdict == "incorrect":
            return any(ok is False for ok in oks)
        return True


__all__ = ["Filters", "RunIndex", "VERDICT_FILTERS", "verdict_mark", "verdict_ok"]
