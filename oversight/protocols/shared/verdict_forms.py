"""Verdicts that arrive in a machine-readable form: a JSON object (bare or in a code fence), XML
answer tags, or a provider's structured output against `verdict_schema`.

These forms name their fields, so they are read strictly: an answer that is not one of the
allowed options, a probability outside [0, 1], two forms that disagree, or JSON that does not
parse make the verdict invalid with the reason, never a guess.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

ANSWER_KEYS = ("answer", "choice", "verdict", "final_answer", "winner", "selection")
PROB_KEYS = ("probability", "confidence", "p_correct", "probability_correct", "prob", "credence")
DIST_KEYS = ("probabilities", "probs", "distribution")
_REASONING_TAGS = ("reasoning", "thinking", "think", "scratchpad", "analysis", "explanation", "rationale")
_OPTION = re.compile(r"^\s*\(?\s*(?:(?:the\s+)?(?:debater|answer|option|choice)\s+)?\(?([A-Za-z])\)?\s*[.)]?\s*$", re.I)


@dataclass
class FormRead:
    """What a structured form states: a letter, its probability, a distribution, or a problem."""

    letter: str | None = None
    probability: float | None = None
    dist: dict[str, float] | None = None
    problem: str | None = None
    form: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Where the form sits in the text, so the free-text reader skips it."""


def verdict_schema(letters: str) -> dict[str, Any]:
    """The JSON schema a structured judge answers with: free reasoning first, then the answer."""
    return {
        "type": "object",
        "properties": {
            "reasoning": {"type": "string", "description": "Your reasoning, before you decide."},
            "answer": {"type": "string", "enum": list(letters), "description": "The letter of the answer you choose."},
            "probability": {"type": "number", "minimum": 0, "maximum": 1,
                            "description": "Your probability that the chosen answer is correct."},
        },
        "required": ["reasoning", "answer", "probability"],
        "additionalProperties": False,
    }


REPEATED = "\x00repeated"
"""The key `pairs_hook` sets on an object that gives one field two different values."""


def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's `object_pairs_hook`: a field given twice with different values (`{"answer": "B",
    ..., "answer": "A"}`) is marked, since plain json keeps the last one and a reader would take
    one of two answers."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and out[key] != value:
            out[REPEATED] = key
        out.setdefault(key, value)
    return out


def option_of(value: Any, letters: str) -> tuple[str | None, str | None]:
    """The option a field's value names ('B', 'b', 'Debater B', '(B)'), or the problem with it."""
    if not isinstance(value, str):
        return None, f"answer {json.dumps(value)[:40]} is not an option letter"
    m = _OPTION.match(value)
    if not m:
        return None, f"answer {value[:40]!r} is not one of {', '.join(letters)}"
    letter = m.group(1).upper()
    if letter not in letters:
        return None, f"answer {letter!r} is not one of {', '.join(letters)}"
    return letter, None


def probability_of(value: Any, strict: bool = False) -> tuple[float | None, str | None]:
    """A probability field: a number in [0, 1]; a whole number 2-100 or a "75%" string is a percent
    (`strict`, for answers to our schema, which asks for 0-1: only a number in [0, 1])."""
    if strict and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1):
        return None, f"probability {json.dumps(value)[:30]} is outside [0, 1]"
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,3}(?:\.\d+)?)\s*%\s*", value)
        if m:
            value = float(m.group(1)) / 100.0
        else:
            try:
                value = float(value)
            except ValueError:
                return None, f"probability {value[:30]!r} is not a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None, f"probability {json.dumps(value)[:30]} is not a number"
    if 1 < value <= 100 and float(value).is_integer():
        value = value / 100.0
    if not 0.0 <= value <= 1.0:
        return None, f"probability {value} is outside [0, 1]"
    return float(value), None


def read_object(obj: Any, letters: str, strict: bool = False) -> FormRead:
    """A decoded JSON verdict object (`strict`: an answer to `verdict_schema`, so exactly its fields)."""
    if not isinstance(obj, dict):
        return FormRead(problem="the structured answer is not a JSON object", form="json")
    if REPEATED in obj:
        return FormRead(problem=f"the JSON answer gives {obj[REPEATED]!r} twice, with different values", form="json")
    out = FormRead(form="json")
    key = next((k for k in ANSWER_KEYS if k in obj), None)
    dist_key = next((k for k in DIST_KEYS if isinstance(obj.get(k), dict)), None)
    if dist_key is not None:
        dist: dict[str, float] = {}
        for name, value in obj[dist_key].items():
            letter, problem = option_of(name, letters)
            p, p_problem = probability_of(value)
            if problem or p_problem or p is None or letter is None:
                return FormRead(problem=problem or p_problem, form="json")
            dist[letter] = p
        out.dist = dist
    if key is not None:
        if obj[key] is None:
            return FormRead(problem=f"{key} is null", form="json")
        out.letter, problem = option_of(obj[key], letters)
        if strict and not problem and obj[key] not in letters:
            problem = f"answer {str(obj[key])[:40]!r} is not one of {', '.join(letters)}"
        if problem:
            return FormRead(problem=problem, form="json")
    elif dist_key is None:
        return FormRead(problem=f"the JSON answer has no {'/'.join(ANSWER_KEYS[:3])} field", form="json")
    prob_key = next((k for k in PROB_KEYS if k in obj), None)
    if prob_key is not None and obj[prob_key] is not None:
        out.probability, problem = probability_of(obj[prob_key], strict)
        if problem:
            return FormRead(problem=problem, form="json")
    return out


def _json_objects(text: str) -> tuple[list[tuple[int, int, Any]], bool]:
    """Every top-level JSON object in the text, and whether something that starts like one
    (`{"`) does not parse."""
    decoder = json.JSONDecoder(object_pairs_hook=pairs_hook)
    found: list[tuple[int, int, Any]] = []
    broken = False
    i = 0
    while True:
        i = text.find("{", i)
        if i < 0:
            return found, broken
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            if re.match(r"\{\s*\"", text[i:]):
                broken = True
            i += 1
            continue
        found.append((i, end, obj))
        i = end


def _tag_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"<({'|'.join(names)})\s*>(.*?)</\1\s*>", re.I | re.S)


_ANSWER_TAGS = _tag_pattern(("answer", "final_answer", "verdict", "choice"))
_PROB_TAGS = _tag_pattern(("probability", "confidence", "probability_correct", "p_correct", "credence"))
_OTHER_TAGS = _tag_pattern(_REASONING_TAGS)
_OPEN_REASONING = re.compile(rf"<({'|'.join(_REASONING_TAGS)})\s*>(?:(?!</\1\s*>).)*$", re.I | re.S)


def read_forms(text: str, letters: str) -> list[FormRead]:
    """Every JSON object and answer tag a reply holds, each read strictly, in text order."""
    reads: list[tuple[int, FormRead]] = []
    working = reasoning_spans(text)

    def in_working(at: int) -> bool:  # a draft answer in the judge's reasoning is not its answer
        return any(s < at < e for s, e in working)

    objects, broken = _json_objects(text)
    broken = broken and not all(in_working(m.start()) for m in re.finditer(r"\{\s*\"", text))
    for start, end, obj in objects:
        if in_working(start):
            continue
        if isinstance(obj, dict) and (any(k in obj for k in ANSWER_KEYS) or any(k in obj for k in DIST_KEYS)):
            read = read_object(obj, letters)
            read.spans.append((start, end))
            reads.append((start, read))
    if broken and not reads:
        reads.append((0, FormRead(problem="the JSON answer does not parse (truncated or malformed)", form="json")))
    probs = [(m.start(), m.end(), m.group(2)) for m in _PROB_TAGS.finditer(text) if not in_working(m.start())]
    for m in _ANSWER_TAGS.finditer(text):
        if in_working(m.start()):
            continue
        read = FormRead(form="xml", spans=[(m.start(), m.end())])
        if not m.group(2).strip():
            read.problem = f"empty <{m.group(1)}> tag"
        else:
            read.letter, read.problem = option_of(m.group(2), letters)
        reads.append((m.start(), read))
    if probs and any(r.form == "xml" for _, r in reads):
        values = set()
        for start, end, raw in probs:
            if not re.search(r"\d", raw):
                continue  # <confidence>high</confidence>: a word, as in free text, is no number
            p, problem = probability_of(raw.strip())
            if problem:
                return [FormRead(problem=problem, form="xml")]
            values.add(p)
        xml_reads = [r for _, r in reads if r.form == "xml"]
        if len(values) > 1:
            return [FormRead(problem="several different probabilities in tags", form="xml")]
        for r in xml_reads:
            r.probability = next(iter(values), None)
        xml_reads[-1].spans.extend((s, e) for s, e, _ in probs)
    return [r for _, r in sorted(reads, key=lambda pair: pair[0])]


def reasoning_spans(text: str) -> list[tuple[int, int]]:
    """Reasoning in tags (<thinking>...</thinking>, <think>...): the judge's working, not its
    answer; a tag left open (a reply cut off while thinking) runs to the end."""
    spans = [(m.start(), m.end()) for m in _OTHER_TAGS.finditer(text)]
    tail = _OPEN_REASONING.search(text, spans[-1][1] if spans else 0)
    return spans + ([tail.span()] if tail else [])


__all__ = ["REPEATED", "FormRead", "option_of", "pairs_hook", "probability_of", "read_forms", "read_object", "reasoning_spans", "verdict_schema"]
