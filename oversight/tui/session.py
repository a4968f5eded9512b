"""A person's judging session: which units they judge, in which order, and their records.

Everything here is decided without the UI, from the run folder and the judge's id, so a
session that is quit (or crashes) resumes exactly where it stopped:

- Views come from the protocol's `judge_views`, the code that built the model judge's input.
- One condition per item per person: a person who saw more of an item under one condition
  (its story, an assistant's help) cannot judge the same item blind. Which one is `oversight.tui.assign`:
  a function of the listed judges (`--judges`), the person's rank among them and the items,
  balanced within each person and across the listed people. The rank and list are recorded
  in every judgment (`assignment`) and reused on resume.
- Views the protocol lists as alternatives of one part (`view_alternatives`, e.g. answer
  orders): one is drawn per unit, seeded by run, person and transcript, and recorded as
  `view_key`. Other views (e.g. a tree's nodes) are each a unit of their own.
- Units are shuffled with a seed from the run and the person's id; resuming skips the units
  with a standing judgment by this person.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from oversight.config.experiment import validate_params
from oversight.core.errors import UserError
from oversight.core.words import count
from oversight.protocol.contract import JudgeResponse, JudgeView, Protocol
from oversight.protocol.declared import protocol_shapes
from oversight.protocol.registry import get_protocol
from oversight.log.runfolder import RunFolder
from oversight.tui.assign import assign, item_order, rank_of, stable_int
from oversight.tui.records import effective_judgments, human_judgment, retraction
from oversight.protocol.hooks import call_hook, call_views

@dataclass
class JudgeUnit:
    """One thing a person judges: one view of one transcript. The view itself is built when the
    unit is first shown, so opening a large run does not render every transcript."""

    transcript_id: str
    part: str
    """The part the view shows (`view_alternatives`: one of several ways of showing it, e.g. an
    answer order), else the view's key."""
    view_key: str
    assignment: dict[str, Any]
    build: Callable[[], JudgeView] = field(repr=False, compare=False)

    @cached_property
    def view(self) -> JudgeView:
        return self.build()


def part_of(protocol: Protocol[Any, Any], view_key: str) -> str:
    """The part of a transcript a view shows: alternatives of one part count as one judgment."""
    return protocol.view_alternatives.get(view_key, view_key)


class AlreadyJudged(Exception):
    """This person's judgment of the unit is already on file (written by another session)."""


EVERY_RULE = "every condition of every item (one person, on purpose)"


def _same_plan_as_before(folder: RunFolder, judge_id: str, every_condition: bool) -> None:
    """A person who judged with --every-condition and comes back without it (or the other way)
    would silently get another plan: their items dealt again under another rule."""
    mine = [r for r in folder.iter_judgments()
            if (r.get("judge") or {}).get("kind") == "human" and (r.get("judge") or {}).get("id") == judge_id]
    rules = {str((r.get("assignment") or {}).get("rule")) for r in effective_judgments(mine) if r.get("assignment")}
    if not rules or (EVERY_RULE in rules) == every_condition:
        return
    if every_condition:
        raise UserError(f"--judge-id {judge_id}: you judged this run one condition per item; go on without "
                        "--every-condition (or judge every condition under another --judge-id)")
    raise UserError(f"--judge-id {judge_id}: you judged this run with --every-condition; add it again to go on "
                    "(or judge one condition per item under another --judge-id)")


class JudgeSession:
    """The units of one person on one run, and the judgments they have confirmed."""

    def __init__(self, folder: RunFolder, judge_id: str, protocol: Protocol[Any, Any], params: Any,
                 transcripts: list[dict[str, Any]], roster: list[str] | None = None,
                 busy: dict[str, int] | None = None, every_condition: bool = False) -> None:
        self.folder, self.judge_id, self.protocol, self.params = folder, judge_id, protocol, params
        self.every_condition = every_condition
        """One person covering every condition of every item on purpose (a solo researcher): the
        later conditions of an item are then not blind to the earlier ones, and say so."""
        self.transcripts = {t["id"]: t for t in transcripts}
        self.conditions = self._conditions()
        self.busy = busy or {}
        """Ranks of other live sessions that have not confirmed anything yet (from their locks)."""
        self.roster, self.rank = self._rank(roster)
        self.units = self._plan()

    @classmethod
    def open(cls, folder: RunFolder, judge_id: str, roster: list[str] | None = None,
             busy: dict[str, int] | None = None, every_condition: bool = False) -> "JudgeSession":
        exp, _ = folder.experiment()
        protocol = get_protocol(exp.protocol)
        params = validate_params(protocol.Params, exp.params, str(folder.path / "experiment.yaml"))
        folder.shapes = protocol_shapes(protocol)  # the lines this person's form and hooks read
        folder.repair()
        usable = [t for t in folder.transcripts() if t.get("error") is None]
        _same_plan_as_before(folder, judge_id, every_condition)
        session = cls(folder, judge_id, protocol, params, usable, roster, busy, every_condition)
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
        return {(r["transcript_id"], part_of(self.protocol, str(r.get("view_key"))))
                for r in effective_judgments(self.own_records())}

    def pending(self) -> list[JudgeUnit]:
        done = self.done()
        return [u for u in self.units if (u.transcript_id, u.part) not in done]

    def next_unit(self) -> JudgeUnit | None:
        pending = self.pending()
        return pending[0] if pending else None

    def record(self, unit: JudgeUnit, response: JudgeResponse, seconds: float) -> dict[str, Any]:
        """Turn a person's answer into verdict fields (the protocol's code) and append it now.

        AlreadyJudged if this person's judgment of the unit is already on file (another session
        under the same id wrote it): a second standing judgment would count them twice. An
        OSError (read-only folder, full disk) leaves nothing written."""
        if (unit.transcript_id, unit.part) in self.done():
            raise AlreadyJudged(unit.transcript_id)
        transcript = self.transcripts[unit.transcript_id]
        fields = self.protocol.verdict(unit.view, transcript, response, self.params)
        fields = {**fields, "view_key": unit.view_key, "seconds": round(seconds, 1), "assignment": unit.assignment}
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

    def plan_summary(self) -> str:
        """How this person's items were given conditions, without saying which item got which,
        and how many judges the design needs for every condition of every item."""
        pairs = {(self.transcripts[u.transcript_id].get("item_id"), str(self.transcripts[u.transcript_id].get("condition")))
                 for u in self.units}
        items = {item for item, _ in pairs}
        by_condition = Counter(condition for _, condition in pairs)
        spread = "/".join(str(by_condition.get(c, 0)) for c in self.conditions)  # no names: the screen stays blind
        if self.every_condition:
            return (f"{self.judge_id}: {count(len(items), 'item')} in every condition (items per condition {spread}): an item seen again "
                    f"is not blind to what you saw before (each judgment's assignment says what came first)")
        who = f"rank {self.rank + 1} of {len(self.roster)}" if self.roster else "no --judges list"
        n = len(self.conditions)
        return (f"{self.judge_id}: {count(len(items), 'item')}, one condition each ({spread}; {who}); {count(n, 'judge')} "
                f"cover every condition (--judges A,B,...); alone: --every-condition")

    # ---- planning ----------------------------------------------------------------------------

    def _conditions_by_item(self) -> dict[str, dict[str, dict[str, Any]]]:
        by_item: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for t in self.transcripts.values():
            by_item[str(t.get("item_id"))][str(t.get("condition"))] = t
        return by_item

    def _conditions(self) -> list[str]:
        """The run's conditions in a fixed order: as the params list them, then any other seen."""
        listed = [str(c) for c in getattr(self.params, "conditions", None) or []]
        present = sorted({str(t.get("condition")) for t in self.transcripts.values()} - set(listed))
        return listed + present or ["?"]

    def _rank(self, roster: list[str] | None) -> tuple[list[str] | None, int]:
        """(listed judges, this person's rank): the recorded ones on resume, else from `roster`.

        Every person's list must agree with the others' (one may extend another at the end, so
        a judge added later never moves anyone's rank). Without any list the rank is the one
        fewest earlier judges hold: balanced within the person, spread over people who start
        one after another, and (with `busy`, the ranks live sessions claimed) those starting at once."""
        own: dict[str, Any] | None = None
        others: dict[str, list[str]] = {}
        ranks: dict[str, int] = {}
        for r in self.all_records():
            judge, a = r.get("judge") or {}, r.get("assignment")
            if judge.get("kind") != "human" or not isinstance(a, dict):
                continue
            if judge.get("id") == self.judge_id:
                own = own or a
                continue
            if isinstance(a.get("roster"), list):
                others.setdefault(str(judge.get("id")), [str(x) for x in a["roster"]])
            if isinstance(a.get("rank", a.get("offset")), int):
                ranks.setdefault(str(judge.get("id")), int(a.get("rank", a.get("offset"))))
        if own is not None and isinstance(own.get("rank", own.get("offset")), int):
            recorded = own.get("roster") if isinstance(own.get("roster"), list) else None
            return recorded, int(own.get("rank", own.get("offset")))
        if roster is not None:
            if self.judge_id not in roster:
                raise UserError(f"--judges {','.join(roster)}: your id {self.judge_id!r} is not listed; list every judge, "
                                "yourself included")
            for other, theirs in sorted(others.items()):
                shorter, longer = sorted((roster, theirs), key=len)
                if longer[: len(shorter)] != shorter:
                    raise UserError(f"--judges {','.join(roster)}: judge {other!r} judged this run with --judges "
                                    f"{','.join(theirs)}; give the same list (new judges may be added at its end)")
            return list(roster), rank_of(self.judge_id, roster)
        for theirs in sorted(others.values(), key=len, reverse=True):
            if self.judge_id in theirs:
                return theirs, rank_of(self.judge_id, theirs)
        n = len(self.conditions)
        used = Counter(r % n for r in {**self.busy, **ranks}.values())
        return None, min(range(n), key=lambda k: (used[k], stable_int(f"{self.folder.run_id}:{self.judge_id}:{k}")))

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
        items = item_order(run, by_item)
        units: list[JudgeUnit] = []
        if self.every_condition:
            for position, item_id in enumerate(items):
                shown = [c for c in self.conditions if c in by_item[item_id]]
                for order, condition in enumerate(shown):
                    assignment = {"rule": EVERY_RULE,
                                  "item_position": position, "conditions": self.conditions,
                                  "seen_before": shown[:order]}
                    units += self._units_of(by_item[item_id][condition], assignment)
            random.Random(f"{run}:{self.judge_id}:order").shuffle(units)
            return units
        chosen = assign(items, self.conditions, self.rank, available=by_item, seen=self._seen())
        for position, item_id in enumerate(items):
            if item_id not in chosen:
                continue
            assignment = {"rule": "conditions[(item_position + shift(rank)) mod n]", "rank": self.rank,
                          "roster": self.roster, "item_position": position, "conditions": self.conditions}
            units += self._units_of(by_item[item_id][chosen[item_id]], assignment)
        random.Random(f"{run}:{self.judge_id}:order").shuffle(units)
        return units

    def _units_of(self, transcript: dict[str, Any], assignment: dict[str, Any]) -> list[JudgeUnit]:
        tid = transcript["id"]
        keys = call_hook(self.protocol, "view_keys", transcript, self.params)
        if keys is None:  # the protocol cannot say without building them: build them now
            built = {v.key: v for v in call_views(self.protocol, transcript, self.params, self.folder)}
            keys = list(built)
        else:
            keys, built = [str(k) for k in keys], {}
        alternatives = self.protocol.view_alternatives
        units = [self._unit(transcript, k, k, assignment, built) for k in keys if k not in alternatives]
        groups: dict[str, list[str]] = {}
        for k in keys:
            if k in alternatives:
                groups.setdefault(alternatives[k], []).append(k)
        for index, (part, among) in enumerate(groups.items()):
            seed = f"{self.folder.run_id}:{self.judge_id}:{tid}:view" + (f":{part}" if index else "")
            units.append(self._unit(transcript, part, random.Random(seed).choice(among), assignment, built))
        return units

    def _unit(self, transcript: dict[str, Any], part: str, key: str, assignment: dict[str, Any],
              built: dict[str, JudgeView]) -> JudgeUnit:
        def build() -> JudgeView:
            views = built or {v.key: v for v in call_views(self.protocol, transcript, self.params,
                                                           self.folder)}
            if key not in views:
                raise UserError(f"protocol {self.protocol.name!r}: view_keys names view {key!r} of transcript "
                                f"{transcript['id']}, which judge_views does not build ({', '.join(views) or 'none'})")
            return views[key]
        return JudgeUnit(transcript["id"], part, key, assignment, build)


__all__ = ["AlreadyJudged", "JudgeSession", "JudgeUnit", "part_of", "stable_int"]
