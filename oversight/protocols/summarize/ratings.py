"""Read a summary judge's 1-7 ratings, conservatively: one clear whole number per scale or nothing.

The text is cut into one stretch per scale: what comes before the first label answers
faithfulness (the prompt ends with "Faithfulness:"), then each "Faithfulness"/"Coverage" label
starts its scale's stretch. Within a stretch:
- "N/7" and "N out of 7" are ratings; "7/10" is on another scale and is invalid, never read as 7
  (no silent rescaling: a 10-point judgment is not a 7-point one);
- "4-5", "6 or 7", "between 5 and 6" hedge between ratings and are invalid; "1-7", "1 to 7" and
  "<a number from 1 to 7>" echo the scale and are not ratings;
- a percentage, a decimal or a number off the scale is invalid;
- several different numbers are invalid unless the last is given decisively after the others
  ("3 would be too harsh; I'd give 6" -> 6, "7. Actually ... so 6" -> 6); two stretches for one
  scale must agree.
A number ruled out ("Not a 7", "I wouldn't give it a 6; more like 4") is no rating. A line
opening "2. The summary ..." is a list marker, not a rating. A JSON object with
`faithfulness` and `coverage` fields is read the same way, field by field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from oversight.protocols.shared.verdict_forms import REPEATED, pairs_hook

SCALES = ("faithfulness", "coverage")
SCALE_MIN, SCALE_MAX = 1, 7
_LABEL = re.compile(r"\b(?:(faithful(?:ness)?|accuracy)|(coverage))\b", re.I)
_ECHO = re.compile(r"<[^>\n]*>|\b(?:from\s+)?1\s*(?:-|–|to)\s*7\b|\b1\s+2\s+3\s+4\s+5\s+6\s+7\b", re.I)
_HEDGE = re.compile(r"\b(\d+)\s*(?:-|–|to|or)\s*(\d+)\b(?!\s*(?:/|out\s+of))|\bbetween\s+(\d+)\s+and\s+(\d+)", re.I)
_FRACTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:/|out\s+of)\s*(\d+)(?!\d|\.\d)", re.I)
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s*%")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w]|\.\d)")
_LIST_MARKER = re.compile(r"(?m)^[ \t*_#>\"'(\[]*\d+\.[ \t]+(?!(?:coverage|faithful))[A-Z]")
# A number the judge rules out ("Not a 7", "I wouldn't give it a 6", "It's no 7") is no rating.
_RULED_OUT = re.compile(r"(?:\bnot|n't|\bno|\bnever|\bhardly|\bfar\s+from)\s+(?:(?:give|giving|rate|rating|score|worth|deserve|"
                        r"deserving|quite|even|really|a|an|it|this|that|be|say|saying|call|calling|going|to|certainly|"
                        r"definitely|as\s+(?:high|low)\s+as)\s+){0,4}(?P<n>\d+(?:\.\d+)?)(?:\s*(?:/|out\s+of)\s*\d+)?(?!\w|\.\d|%)", re.I)
_TENTATIVE = re.compile(r"\b(?:maybe|perhaps|possibly|or|might|could|probably)\b[\s,]*(?:(?:be|a|an|even)\s+)*$", re.I)
_DECISIVE = re.compile(r"(?:\bgive|\brate|\brating|\bscore|(?<!\bor\s)\bso|\bmake\s+(?:it|that)|\bsettle\s+on|\bgo\s+with|\bfinal(?:ly)?|"
                       r"\binstead)\b[A-Za-z\s,:']{0,14}$", re.I)


def _stretches(text: str) -> dict[str, list[str]]:
    """The text each scale's rating may be in, in order."""
    out: dict[str, list[str]] = {s: [] for s in SCALES}
    marks = [(m.start(), m.end(), "faithfulness" if m.group(1) else "coverage") for m in _LABEL.finditer(text)]
    out["faithfulness"].append(text[:marks[0][0]] if marks else text)
    for i, (_, end, scale) in enumerate(marks):
        out[scale].append(text[end:marks[i + 1][0] if i + 1 < len(marks) else len(text)])
    return out


def _read_stretch(stretch: str, scale: str) -> tuple[int | None, str | None, bool]:
    """(rating, problem, whether the stretch held anything rating-like at all)."""
    body = _LIST_MARKER.sub(lambda m: " " * len(m.group(0)), stretch)
    body = _ECHO.sub(lambda m: " " * len(m.group(0)), body)
    ruled_out = [m.group("n") for m in _RULED_OUT.finditer(body)]
    body = _RULED_OUT.sub(lambda m: " " * len(m.group(0)), body)
    if ruled_out and not _NUMBER.search(body):
        return None, f"{scale} only rules out {', '.join(ruled_out)}; no rating given", True
    hedge = _HEDGE.search(body)
    if hedge:
        a, b = [g for g in hedge.groups() if g]
        return None, f"{scale} is hedged between {a} and {b}", True
    values: list[tuple[int, str]] = []
    for m in _FRACTION.finditer(body):
        if int(float(m.group(2))) != SCALE_MAX:
            return None, f"{scale} {m.group(0).strip()} is on a 1-{m.group(2)} scale, not 1-{SCALE_MAX}", True
        values.append((m.start(), m.group(1)))
    body = _FRACTION.sub(lambda m: " " * len(m.group(0)), body)
    if _PERCENT.search(body):
        return None, f"{scale} {_PERCENT.search(body).group(0)} is a percentage, not a rating", True  # type: ignore[union-attr]
    values += [(m.start(), m.group(1)) for m in _NUMBER.finditer(body)]
    values.sort()
    if not values:
        return None, None, False
    distinct = {raw for _, raw in values}
    at, raw = values[-1]
    if len(distinct) > 1 and (not _DECISIVE.search(body[:at]) or _TENTATIVE.search(body[:at])):
        return None, f"several {scale} ratings ({', '.join(raw for _, raw in values)})", True
    return _check(raw, scale)


def _check(raw: Any, scale: str) -> tuple[int | None, str | None, bool]:
    if isinstance(raw, _Repeated):
        return None, f"different {scale} ratings given in one object", True
    text = str(raw)
    if isinstance(raw, bool) or not re.fullmatch(r"\d+", text) or not SCALE_MIN <= int(text) <= SCALE_MAX:
        return None, f"{scale} {text} is not a whole number from {SCALE_MIN} to {SCALE_MAX}", True
    return int(text), None, True


class _Repeated:
    """A field a JSON object gives twice with different values."""


def _fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The object's fields, a repeated one (see `pairs_hook`) replaced by a `_Repeated` marker."""
    out = {k: v for k, v in obj.items() if k != REPEATED}
    if REPEATED in obj:
        out[obj[REPEATED]] = _Repeated()
    return out


def _from_json(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    if start < 0:
        return None
    try:
        obj, _ = json.JSONDecoder(object_pairs_hook=pairs_hook).raw_decode(text, start)
    except json.JSONDecodeError:
        return None
    return _fields(obj) if isinstance(obj, dict) and any(s in obj for s in SCALES) else None


def rating_schema() -> dict[str, Any]:
    """The structured node judge's schema: reasoning first, then a whole 1-7 rating per scale."""
    scale = {"type": "integer", "enum": list(range(SCALE_MIN, SCALE_MAX + 1))}
    return {
        "type": "object",
        "properties": {"reasoning": {"type": "string", "description": "Compare the summary with its input first."},
                       "faithfulness": {**scale, "description": "1 = mostly invented or contradicted, 7 = all supported."},
                       "coverage": {**scale, "description": "1 = misses almost everything important, 7 = misses nothing."}},
        "required": ["reasoning", *SCALES],
        "additionalProperties": False,
    }


def read_structured_ratings(text: str) -> tuple[dict[str, int | None], list[str]]:
    """Ratings from a structured answer (one JSON object), read strictly."""
    try:
        obj = json.loads(text, object_pairs_hook=pairs_hook)
    except (ValueError, TypeError, RecursionError):  # also past the digit or depth limit
        return {s: None for s in SCALES}, [f"no {s} rating: structured answer is not valid JSON" for s in SCALES]
    if not isinstance(obj, dict):
        return {s: None for s in SCALES}, [f"no {s} rating: structured answer is not an object" for s in SCALES]
    obj = _fields(obj)
    ratings: dict[str, int | None] = {}
    problems = []
    for scale in SCALES:
        value, problem, _ = _check(obj[scale], scale) if scale in obj else (None, f"no {scale} rating", False)
        ratings[scale] = value
        if problem:
            problems.append(problem)
    return ratings, problems


_CLASSES = (("no ", "no rating"), ("only rules out", "no rating"), ("scale, not", "another scale"), ("hedged", "hedged between ratings"),
            ("several", "several ratings"), ("different", "several ratings"), ("percentage", "a percentage"),
            ("whole number", "not a whole number from 1 to 7"))


def problem_class(problem: str) -> str:
    """The class of a rating problem, as metrics count them."""
    return next((name for needle, name in _CLASSES if needle in problem), "other")


def parse_ratings(text: str) -> tuple[dict[str, int | None], list[str]]:
    """Ratings per scale (None when unreadable) and the problems found, one per unreadable scale."""
    text = text.replace("**", "").replace("__", "")
    obj = _from_json(text)
    ratings: dict[str, int | None] = {}
    problems: list[str] = []
    for scale in SCALES:
        if obj is not None:
            value, problem, seen = _check(obj[scale], scale) if scale in obj else (None, None, False)
            results = [(value, problem)] if seen else []
        else:
            results = [(v, p) for v, p, seen in (_read_stretch(s, scale) for s in _stretches(text)[scale]) if seen]
        if not results:
            ratings[scale] = None
            problems.append(f"no {scale} rating")
            continue
        bad = next((p for _, p in results if p), None)
        values = {v for v, _ in results}
        if bad is None and len(values) > 1:
            bad = f"different {scale} ratings given ({', '.join(str(v) for v in sorted(values))})"  # type: ignore[type-var]
        ratings[scale] = None if bad else results[0][0]
        if bad:
            problems.append(bad)
    return ratings, problems


__all__ = ["SCALES", "SCALE_MAX", "SCALE_MIN", "parse_ratings", "problem_class", "rating_schema", "read_structured_ratings"]
