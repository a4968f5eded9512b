"""A person's judging session: which units they judge, in which order, and their records.

Everything here is decided without the UI, from the run folder and the judge's id, so a
session that is quit (or crashes) resumes exactly where it stopped:

- Views come from the protocol's `judge_views`, the code that built the model judge's input.
- One condition per item per person: a person who saw an item's story (expert) or its
  critiques (assisted) cannot judge the same item blind. Items take a run-wide seeded order;
  a person's offset k gives item at position p the condition `conditions[(p + k) % n]`, so each
  person gets every condition equally often (within one). A new person takes the offset the
  fewest other people use, so the people judging an item spread over its conditions. The
  offset is recorded in every judgment (`assignment`) and reused on resume.
- Answer orders ("original"/"swapped" views) are alternatives: one is drawn per unit, seeded
  by run, person and transcript, and recorded as `view_key`. Other views (e.g. summary nodes)
  are each a unit of their own.
- Units are shuffled with a seed from the run and the person's id; resuming skips the units
  with a standing judgment by this person.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from oversight.config import validate_params
from oversight.errors import UserError
from oversight.protocol import JudgeResponse, JudgeView, Protocol, get_protocol
from oversight.runfolder import RunFolder
from oversight.tui.records import effective_judgments, human_judgment, retraction

ORDER_KEYS = frozenset({"original", "swapped"})
"""View keys that are the same part of a transcript in different answer orders."""


def stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@dataclass
class JudgeUnit:
    """One thing a person judges: one view of one transcript."""

    transcript_id: str
    part: str
    """"order" when the view is one of the answer orders, else the view's key."""
    view: JudgeView
    assignment: dict[str, Any]


def part_of(view_key: str) -> str:
    return "order" if view_key in ORDER_KEYS else view_key


class JudgeSession:
    """The units of one person on one run, and the judgments they have confirmed."""

    def __init__(self, folder: RunFolder, judge_id: str, protocol: Protocol[Any, Any], params: Any,
                 transcripts: list[dict[str, Any]]) -> None:
        self.folder, self.judge_id, self.protocol, self.params = folder, judge_id, protocol, params
        self.transcripts = {t["id"]: t for t in transcripts}
        self.offset = self._offset()
        self.units = self._plan()

    @classmethod
    def open(cls, folder: RunFolder, judge_id: str) -> "JudgeSession":
        exp, _ = folder.experiment()
        protocol = get_protocol(exp.protocol)
        params = validate_params(protocol.Params, exp.params, str(folder.path / "experiment.yaml"))
        folder.repair()
        usable = [t for t in folder.transcripts() if t.get("error") is None]
        session = cls(folder, judge_id, protocol, params, usable)
        if not session.units:
            raise UserError(f"{folder.path}: nothing to judge (no finished transcript has a judge view)")
        return session

    # ---- records ---------------------------------------------------------------------------

    def all_records(self) -> list[dict[str, Any]]:
        return list(self.folder.iter_judgments())

    def own_records(self) -> list[dict[str, Any]]:
        """This person's records in file order, retractions included."""
        return [r for r in self.all_records()
                if (r.get("judge") or {}).get("kind") == "human" and (r.get("judge") or {}).get("id") == self.judge_id]

    def done(self) -> set[tuple[str, str]]:
        return {(r["transcript_id"], part_of(str(r.get("view_key")))) for r in effective_judgments(self.own_records())}

    def pending(self) -> list[JudgeUnit]:
        done = self.done()
        return [u for u in self.units if (u.transcript_id, u.part) not in done]

    def next_unit(self) -> JudgeUnit | None:
        pending = self.pending()
        return pending[0] if pending else None

    def record(self, unit: JudgeUnit, response: JudgeResponse, seconds: float) -> dict[str, Any]:
        """Turn a person's answer into verdict fields (the protocol's code) and append it now."""
        transcript = self.transcripts[unit.transcript_id]
        fields = self.protocol.verdict(unit.view, transcript, response, self.params)
        fields = {**fields, "view_key": unit.view.key, "seconds": round(seconds, 1), "assignment": unit.assignment}
        if response.comment and "comment" not in fields and not isinstance(fields.get("raw"), dict):
            fields["comment"] = response.comment
        record = human_judgment(unit.transcript_id, self.judge_id, fields)
        self.folder.append_judgment(record)
        return record

    def undo(self) -> dict[str, Any] | None:
        """Withdraw this person's latest standing judgment with a new record; None if there is none."""
        standing = effective_judgments(self.own_records())
        if not standing:
            return None
        last = standing[-1]
        self.folder.append_judgment(retraction(last))
        return last

    def summary(self) -> str:
        left = len(self.pending())
        return (f"{self.judge_id}: {len(self.units) - left} of {len(self.units)} judged in {self.folder.path}"
                + ("" if left else " (all done)"))

    # ---- planning ----------------------------------------------------------------------------

    def _conditions_by_item(self) -> dict[str, dict[str, dict[str, Any]]]:
        by_item: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for t in self.transcripts.values():
            by_item[str(t.get("item_id"))][str(t.get("condition"))] = t
        return by_item

    def _offset(self) -> int:
        """This person's recorded offset, else the one the fewest other people use."""
        used: dict[str, int] = {}
        for r in self.all_records():
            judge, assignment = r.get("judge") or {}, r.get("assignment")
            if judge.get("kind") == "human" and isinstance(assignment, dict) and isinstance(assignment.get("offset"), int):
                used.setdefault(str(judge.get("id")), assignment["offset"])
        if self.judge_id in used:
            return used[self.judge_id]
        n = max((len(c) for c in self._conditions_by_item().values()), default=1)
        counts = Counter(v % n for k, v in used.items())
        return min(range(n), key=lambda k: (counts[k], stable_int(f"{self.folder.run_id}:{self.judge_id}:{k}")))

    def _seen(self) -> dict[str, str]:
        """Item -> the condition this person already saw it in (undone judgments included: what
        was seen cannot be unseen). Their assignment never moves once they have judged an item."""
        seen: dict[str, str] = {}
        for r in self.own_records():
            t = self.transcripts.get(str(r.get("transcript_id")))
            if t is not None:
                seen.setdefault(str(t.get("item_id")), str(t.get("condition")))
        return seen

    def _plan(self) -> list[JudgeUnit]:
        run = self.folder.run_id
        by_item = self._conditions_by_item()
        seen = self._seen()
        items = sorted(by_item, key=lambda i: (stable_int(f"{run}:item:{i}"), i))
        units: list[JudgeUnit] = []
        for position, item_id in enumerate(items):
            conditions = sorted(by_item[item_id])
            if item_id in seen:
                if seen[item_id] not in by_item[item_id]:
                    continue  # only other conditions of an item they already saw: never shown
                condition = seen[item_id]
            else:
                # Placed by a hash of the item, not its position among the transcripts finished so
                # far, so a later look at the same run gives every item the same condition.
                condition = conditions[(stable_int(f"{run}:item:{item_id}") + self.offset) % len(conditions)]
            transcript = by_item[item_id][condition]
            assignment = {"rule": "one condition per item per judge", "offset": self.offset,
                          "item_position": position, "conditions": conditions}
            units += self._units_of(transcript, assignment)
        random.Random(f"{run}:{self.judge_id}:order").shuffle(units)
        return units

    def _units_of(self, transcript: dict[str, Any], assignment: dict[str, Any]) -> list[JudgeUnit]:
        views = self.protocol.judge_views(transcript, self.params, self.folder)
        orders = [v for v in views if v.key in ORDER_KEYS]
        tid = transcript["id"]
        units = [JudgeUnit(tid, v.key, v, assignment) for v in views if v.key not in ORDER_KEYS]
        if orders:
            chosen = random.Random(f"{self.folder.run_id}:{self.judge_id}:{tid}:view").choice(orders)
            units.append(JudgeUnit(tid, "order", chosen, assignment))
        return units


__all__ = ["JudgeSession", "JudgeUnit", "ORDER_KEYS", "part_of"]
