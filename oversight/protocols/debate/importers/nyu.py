"""`oversight import nyu-debate FILE`: the human debates of Michael et al. (2023) as a run folder.

Each line of the release (see oversight/protocols/debate/importers/README.md) is one question on a QuALITY story.
A line with a completed human debate becomes one debate transcript shaped like the debate
protocol's own (so `oversight.protocols.debate.judging.judge_variables` rebuilds the judge's view
from it), plus the human judges' final verdicts (live and offline) as human judgments. Every
room listed in a line's `sessions` (consultancy and AI rooms too, which have no transcript in
the file) goes to `sessions.jsonl`, from which `published_metrics` recomputes the paper's figures.
"""

from __future__ import annotations

import hashlib
import json
import sys
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oversight.config.experiment import Experiment
from oversight.core.errors import UserError
from oversight.core.words import count, plural
from oversight.log.imported import new_folder
from oversight.protocols.debate.importers.nyu_metrics import published_metrics
from oversight.protocols.debate.importers.nyu_schema import DEBATER_ROLES, SESSIONS_FILE, SPEECH_TYPES, NyuLine, NyuTurn
from oversight.protocols.debate.judging import verdict_record
from oversight.protocols.shared.quotes import quote_pattern
from oversight.protocols.shared.verdicts import Verdict
from oversight.config.tasks import TaskConfig
from oversight.log.transcripts import JudgeRef, Judgment, Transcript

FORMAT = "nyu-debate"
CONDITION = "debate"
LIVE_JUDGE_ID = "nyu-live"
"""The judge id of every live judge's final verdict; the pseudonym is in the judgment's `person`."""
OFFLINE_JUDGE_ID = "nyu-offline"
"""All offline judges share one judge id (the person is in `person`), so a report shows the live
and the offline judges as one row each rather than one row per pseudonym with a handful of verdicts."""
ATTEMPT = "imported"
"""The `attempt` of imported transcripts; their judgments have none, like any later judging."""
VERIFIED_TAG, UNVERIFIED_TAG = "v_quote", "u_quote"
_FORGED = re.compile(rf"<(/?)\s*(?:{VERIFIED_TAG}|{UNVERIFIED_TAG})\s*>", re.IGNORECASE)
_QUOTE = quote_pattern("quote")
_CLOSE = re.compile(r"</quote>", re.IGNORECASE)
_WORD = re.compile(r"\S+")


Fail = Callable[[str, str], UserError]
"""Builds the one-line error for a field of the current line: fail(field_path, message)."""
HINT = f"(is this the {FORMAT} format? see tasks/README.md, `oversight import`)"


def _fail(path: Path, lineno: int, where: str, message: str) -> UserError:
    return UserError(f"{path}:{lineno}: {where}: {message}")


def _within(fail: Fail, prefix: str) -> Fail:
    """Errors for fields under `prefix` (e.g. one turn of the debate)."""
    return lambda field, message: fail(f"{prefix}.{field}", message)


def _parse_line(path: Path, lineno: int, raw: bytes) -> NyuLine | None:
    """One line as a validated record, None for a blank line; errors name file, line and field."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, lineno, "line", f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, lineno, "line", f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise _fail(path, lineno, "line", "nested too deeply to read (a debate record nests a few levels)") from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise _fail(path, lineno, "line", f"a number with more than {sys.get_int_max_str_digits():,} digits "
                                          f"(no field holds one)") from None
    if not isinstance(data, dict):
        raise _fail(path, lineno, "line", "expected a JSON object")
    try:
        return NyuLine.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "line"
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] not in ("value_error", "model_type", "dict_type"):
            msg = f"{msg} (got {str(err.get('input'))[:60]!r})"
        raise _fail(path, lineno, where, f"{msg} {HINT}") from None


def _mark_quotes(text: str, quotes: list[dict[str, Any]]) -> str:
    """The speech as a judge sees it: a quote the interface recorded (matched in order) becomes
    <v_quote>; any other <quote> a participant typed, or a marker they typed themselves, <u_quote>."""
    pending = iter(quotes)
    expected = next(pending, None)

    def mark(m: re.Match[str]) -> str:
        nonlocal expected
        inner = m.group(1).strip()
        if expected is not None and inner == expected["text"].strip():
            expected = next(pending, None)
            return f"<{VERIFIED_TAG}>{inner}</{VERIFIED_TAG}>"
        return f"<{UNVERIFIED_TAG}>{inner}</{UNVERIFIED_TAG}>"

    shown = _QUOTE.sub(mark, _FORGED.sub(lambda m: f"<{m.group(1)}quote>", text))
    return _CLOSE.sub("", shown)


def _speech(turn: NyuTurn, rnd: int, story: str, fail: Fail) -> dict[str, Any]:
    quotes = []
    for qi, q in enumerate(turn.quotes):
        start, end = q.char_span
        if not 0 <= start <= end <= len(story):
            raise fail(f"quotes.{qi}.char_span", f"{list(q.char_span)} is outside the story ({len(story)} characters)")
        quote: dict[str, Any] = {"text": q.text, "char_span": [start, end], "verified": True,
                                 "verbatim": story[start:end] == q.text, "token_span": q.token_span}
        if q.mapped_by_search:
            quote["mapped_by_search"] = True
        quotes.append(quote)
    plain = _QUOTE.sub(lambda m: m.group(1), turn.text)
    return {"round": rnd, "role": "debater_a" if turn.role == "Debater A" else "debater_b",
            "answer_index": DEBATER_ROLES[turn.role], "text": turn.text, "shown": _mark_quotes(turn.text, quotes),
            "words": len(_WORD.findall(plain)), "truncated": False, "quotes": quotes,
            "speaker": turn.speaker, "nyu_round": turn.round,
            "nyu_type": "simultaneous" if turn.type == "SimultaneousSpeeches" else "sequential"}


def _verdict(outcome: dict[str, Any], probs: list[float]) -> dict[str, Any]:
    """The debate verdict fields for a person's final [p(a), p(b)] (shown in the original order)."""
    choice = None if probs[0] == probs[1] else int(probs[1] > probs[0])
    verdict = Verdict(choice=choice, probability=None if choice is None else probs[choice], probs=list(probs),
                      reason="final probabilities" if choice is not None else "no preference: equal probabilities")
    return verdict_record(outcome, "original", verdict, raw=None, kind="human")


def _convert(line: NyuLine, lineno: int, story_ref: str, run_id: str, fail: Fail) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(transcript record, judgment records) for a line that has a human debate."""
    hd = line.human_debate
    assert hd is not None
    speech_rounds = sorted({t.round for t in hd.rounds if t.type in SPEECH_TYPES})
    number = {r: i + 1 for i, r in enumerate(speech_rounds)}

    def done_before(nyu_round: int) -> int:
        return sum(r < nyu_round for r in speech_rounds)

    speeches, events = [], []
    for ti, turn in enumerate(hd.rounds):
        turn_fail = _within(fail, f"human_debate.rounds.{ti}")
        if turn.type in SPEECH_TYPES:
            speech = _speech(turn, number[turn.round], line.story, turn_fail)
            speeches.append(speech)
            events.append({"type": "speech", "role": speech["role"], "round": speech["round"],
                           "speaker": turn.speaker, "nyu_round": turn.round})
        elif turn.type == "JudgeFeedback":
            events.append({"type": "judge_turn", "role": "judge", "round": done_before(turn.round),
                           "speaker": turn.speaker, "text": turn.text, "probs": turn.probs,
                           "end_debate": turn.end_debate, "nyu_round": turn.round})
        else:
            events.append({"type": "negotiate_end", "round": done_before(turn.round), "votes": turn.votes,
                           "nyu_round": turn.round})
    speeches.sort(key=lambda s: (s["round"], s["role"]))
    all_quotes = [q for s in speeches for q in s["quotes"]]
    sequential = any(s["nyu_type"] == "sequential" for s in speeches)
    outcome: dict[str, Any] = {
        "condition": CONDITION, "title": line.title, "question": line.question, "answers": list(line.answers),
        "correct_index": line.correct_index, "turns": "sequential" if sequential else "simultaneous",
        "rounds": len(speech_rounds), "word_limit": None, "speeches": speeches,
        "quote_stats": {"quotes": len(all_quotes), "verified": len(all_quotes)},
        "story_ref": story_ref, "article_id": line.article_id, "room": hd.room, "setting": hd.setting,
        "included_in_paper": hd.included_in_paper, "source": hd.source,
        "people": {"debater_a": hd.roles.get("Debater A"), "debater_b": hd.roles.get("Debater B"),
                   "judge": hd.roles.get("Judge")},
        "imported": {"format": FORMAT, "line": lineno},
    }
    tid = f"{line.id}:{CONDITION}"
    transcript = Transcript(run_id=run_id, id=tid, item_id=line.id, protocol="debate", condition=CONDITION,
                            events=events, outcome=outcome, attempt=ATTEMPT)
    judgments = []
    common = {"included_in_paper": hd.included_in_paper, "room": hd.room}
    if hd.judge_final_probs is not None:
        record = _verdict(outcome, hd.judge_final_probs)
        if hd.judge_final_prob_correct is not None and abs(record["p_correct"] - hd.judge_final_prob_correct) > 1e-6:
            raise fail("human_debate.judge_final_prob_correct",
                       f"{hd.judge_final_prob_correct} disagrees with judge_final_probs {hd.judge_final_probs}")
        judgments.append(Judgment(transcript_id=tid, judge=JudgeRef(kind="human", id=LIVE_JUDGE_ID),
                                  **record, live=True, person=hd.roles.get("Judge"), **common))
    for oi, off in enumerate(hd.offline_judges):
        if off.final_probs is None:
            raise fail(f"human_debate.offline_judges.{oi}.final_probs", "an offline judge needs final probabilities")
        record = _verdict(outcome, off.final_probs)
        judgments.append(Judgment(transcript_id=tid, judge=JudgeRef(kind="human", id=OFFLINE_JUDGE_ID),
                                  **record, live=False, person=off.judge, mode=off.mode, steps=off.steps, **common))
    return transcript.to_record(), [j.to_record() for j in judgments]


def _lines(path: Path, hash_update: Callable[[bytes], None]) -> Iterator[tuple[int, bytes]]:
    """The file's lines as bytes, one at a time, each also fed to the file's hash."""
    try:
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                hash_update(raw)
                yield lineno, raw
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _keep_sessions(line: NyuLine, lineno: int, sessions: dict[str, dict[str, Any]], fail: Fail) -> int:
    """Add the line's sessions to `sessions` (by room); return how many were already there.
    A room listed again must agree with its first listing: two outcomes for one room are bad data."""
    repeats = 0
    transcript_room = line.human_debate.room if line.human_debate else None
    for si, s in enumerate(line.sessions):
        record = {**s.model_dump(), "item_id": line.id, "article_id": line.article_id, "line": lineno,
                  "transcript_id": f"{line.id}:{CONDITION}" if s.room == transcript_room else None}
        earlier = sessions.get(s.room)
        if earlier is None:
            sessions[s.room] = record
            continue
        if any(earlier[k] != record[k] for k in ("setting", "status", "included_in_paper", "judge_final_prob_correct")):
            raise fail(f"sessions.{si}", f"room {s.room!r} differs from its listing on line {earlier['line']}")
        repeats += 1
    return repeats


def import_file(path: Path, runs_dir: Path) -> Path:
    """Read the release line by line into a new run folder; return the folder."""
    path = Path(path).resolve()
    if not path.is_file():
        raise UserError(f"{path}: file not found (give the NYU debate JSONL, e.g. ../shared/data/quality_debate.jsonl)")
    digest = hashlib.sha256()
    counts = {"lines": 0, "debates": 0, "skipped": 0, "judgments": 0, "sessions": 0, "duplicate_sessions": 0}
    skipped_ids: list[str] = []
    seen_ids: dict[str, int] = {}
    sessions: dict[str, dict[str, Any]] = {}
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{FORMAT}-{path.stem}")
    with new_folder(runs_dir, name) as out:
        for lineno, raw in _lines(path, digest.update):
            line = _parse_line(path, lineno, raw)
            if line is None:
                continue
            fail: Fail = partial(_fail, path, lineno)
            counts["lines"] += 1
            if line.id in seen_ids:
                raise fail("id", f"{line.id!r} already on line {seen_ids[line.id]}")
            seen_ids[line.id] = lineno
            counts["duplicate_sessions"] += _keep_sessions(line, lineno, sessions, fail)
            if line.human_debate is None:
                counts["skipped"] += 1
                skipped_ids.append(line.id)
                continue
            transcript, judgments = _convert(line, lineno, out.put_text(line.story), out.run_id, fail)
            for judgment in judgments:
                out.append_judgment(judgment)
            out.append_transcript(transcript)
            counts["debates"] += 1
            counts["judgments"] += len(judgments)
        if counts["lines"] == 0:
            raise UserError(f"{path}: no lines to import")
        for record in sessions.values():
            out.append(SESSIONS_FILE, record)
        counts["sessions"] = len(sessions)
        exp, meta = _experiment(name, path, digest.hexdigest(), counts, skipped_ids)
        out.write_experiment(exp, meta)  # last: until now the folder is not a run
    return out.path


def _experiment(name: str, path: Path, sha256: str, counts: dict[str, int],
                skipped_ids: list[str]) -> tuple[Experiment, dict[str, Any]]:
    """The experiment a debate run with these transcripts would have, and the import's provenance.

    The task points at the imported file with the `quality` format, which reads this release,
    so `oversight validate`/`run` on the same config would debate the same questions afresh.
    """
    exp = Experiment(name=name, protocol="debate", task=TaskConfig(path=str(path), format="quality"),
                     models={}, params={"conditions": [CONDITION], "swap": False},
                     description=f"Imported with `oversight import {FORMAT}` from {path.name}")
    meta = {
        "source": str(path), "base_dir": str(path.parent), "sweep_point": {}, "units_planned": counts["debates"],
        "imported": {"format": FORMAT, "file": str(path), "sha256": sha256, **counts,
                     "skipped_reason": "human_debate is null (no completed human debate on this question)",
                     "skipped_ids": skipped_ids},
    }
    return exp, meta


def summary(imported: dict[str, Any]) -> str:
    """One line for the CLI from the `imported` provenance block, saying what each count counts."""
    skipped = imported["skipped"]
    return (f"imported {count(imported['debates'], 'human debate')} from {count(imported['lines'], 'line')} as "
            f"transcripts, with {count(imported['judgments'], 'human judgment')} (the final verdicts of their "
            f"live and offline judges); {count(skipped, 'line')} {plural('has', skipped, 'have')} no human "
            f"debate and {plural('was', skipped)} not imported as transcripts; "
            f"{count(imported['sessions'], 'session')} kept in sessions.jsonl (every room listed on any line: "
            f"debates, consultancies and AI rooms, with or without a transcript), from which the paper's "
            f"figures are recomputed")


__all__ = ["FORMAT", "import_file", "published_metrics", "summary"]
