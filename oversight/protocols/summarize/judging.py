"""What a judge of a summary node sees, and how its answer becomes a verdict record.

Two kinds of view, both rebuilt from a transcript alone (node records + the stored source):

- `node:<id>` (answer kind "rating"): the node's inputs exactly as its writer saw them and its
  summary, rated 1-7 for faithfulness to those inputs and for coverage of them (the Likert
  scales of Wu et al. 2021). Any node can be judged without reading the book: the point of
  decomposition.
- `coherence:<root id>` (answer kind "flaws"): the root summary as numbered sentences; the
  judge lists the sentences that confuse a reader who has not read the book, with the kind of
  confusion (the eight BooookScore types, Chang et al. 2024). Coherence is the share of
  sentences with no confusion.

Parsers survive base-model text: echoed templates ("<a number from 1 to 7>" is a range, not a
rating), rambling, markdown. Ratings are read by `ratings.parse_ratings`: a number outside 1-7,
another scale ("7/10"), a hedge or a missing scale makes the verdict invalid (counted, never
dropped); nothing here guesses.
"""

from __future__ import annotations

import re
from typing import Any

from oversight.protocol.contract import JudgeResponse, JudgeView, TextReader
from oversight.protocols.summarize.chunking import SENTENCE_BREAK
from oversight.protocols.summarize.params import SummarizeParams
from oversight.protocol.judge_call import judge_format_fields
from oversight.protocols.summarize.ratings import (
    SCALES,
    parse_ratings,
    problem_class,
    rating_schema,
    read_structured_ratings,
)
from oversight.protocols.summarize.tree import inputs_block, node_records, numbered, source_record, task_line

CONFUSIONS = ("entity omission", "event omission", "causal omission", "discontinuity", "salience",
              "language", "inconsistency", "duplication")
FLAWS_HINT = 'one confusing sentence per line, number and kind, e.g. "3: causal omission"'
"""The line format `parse_confusions` reads, as a person typing flaws is told it."""
FLAWS_GUIDE = ("Mark every sentence that would confuse a reader who has not read the text, one per line, "
               "with its kind of confusion: " + ", ".join(CONFUSIONS) + ". Leave the box empty if none does.")
"""What the coherence judge's prompt asks, in a sentence for a person (the kinds the parser knows)."""
_KIND_WORDS = {kind: re.compile(r"\b" + kind.split()[0] + (r"\w*\s+omission" if "omission" in kind else r"\w*"), re.I)
               for kind in CONFUSIONS}
_FLAGGED = re.compile(r"^[\s*\-•>]*(?:sentence\s*)?#?(\d+)\b\s*[:.)\-–]?\s*(.*)$", re.I)
_NONE = re.compile(r"^[\s*\"'>]*(none|no confusing|no sentence|nothing)\b", re.I)


def judge_call(view: JudgeView, structured: bool) -> dict[str, Any]:
    """Ratings are two short lines; a coherence answer is one short line per flagged sentence; a
    JSON answer opens with its reasoning. Always greedy (an override, so a re-judge is too)."""
    if structured:
        cap = 400
    else:
        cap = 24 if view.answer_kind == "rating" else 16 + 8 * min(int(view.variables.get("count", 1)), 20)
    return {"caps": {"max_tokens": cap}, "temperature": 0.0}


def response_schema(view: JudgeView, params: SummarizeParams) -> dict[str, Any] | None:
    """The structured node judge's schema; None for text and for the coherence check."""
    return rating_schema() if params.judge_format == "structured" and view.answer_kind == "rating" else None


def split_sentences(text: str) -> list[str]:
    """Sentences of a summary, as the coherence judge sees them numbered."""
    starts = [0] + [m.end() for m in SENTENCE_BREAK.finditer(text)]
    ends = starts[1:] + [len(text)]
    return [text[a:b].strip() for a, b in zip(starts, ends) if text[a:b].strip()]


def root_id(nodes: dict[str, dict[str, Any]]) -> str | None:
    """The one node no other node reads; None while a tree is unfinished."""
    read = {c for n in nodes.values() for c in n.get("children", ())}
    tops = [i for i in nodes if i not in read]
    return tops[0] if len(tops) == 1 else None


def stage(node: dict[str, Any], root: str | None) -> str:
    """How metrics group nodes: `root`, `level N` (hierarchical) or `running` (incremental steps)."""
    if node["id"] == root:
        return "root"
    return f"level {node['level']}" if node["strategy"] == "hierarchical" else "running"


def judge_views(transcript: dict[str, Any], params: SummarizeParams, texts: TextReader) -> list[JudgeView]:
    """One view per judged node (`params.judge`), plus the root's coherence check (`params.coherence`)."""
    nodes = node_records(transcript)
    if not nodes or (params.judge == "none" and not params.coherence):
        return []
    root = root_id(nodes)
    source = texts.get_text(source_record(transcript)["ref"])
    outputs = {i: n["output"] for i, n in nodes.items()}
    chosen = list(nodes) if params.judge == "all" else [root] if params.judge == "root" and root else []
    views = [
        JudgeView(key=f"node:{i}", template="judge_node", answer_kind="rating", variables={
            "task": task_line(nodes[i]), "inputs": inputs_block(nodes[i], source, outputs), "summary": outputs[i]})
        for i in sorted(chosen, key=lambda i: (nodes[i]["level"], nodes[i]["index"]))
    ]
    if params.coherence and root:
        sentences = split_sentences(outputs[root])
        views.append(JudgeView(key=f"coherence:{root}", template="judge_coherence", answer_kind="flaws",
                               variables={"sentences": numbered(sentences) or "(empty summary)",
                                          "count": len(sentences)}))
    return views


def parse_confusions(lines: list[str], count: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Flagged sentences `[{sentence, kind}]`, how many named a sentence that does not exist, and
    whether the answer said anything usable ("None" counts; an echo of the prompt does not)."""
    flagged: dict[int, str] = {}
    out_of_range = 0
    usable = bool(lines) and bool(_NONE.match(lines[0]))
    for line in lines:
        match = _FLAGGED.match(line)
        if not match:
            continue
        kinds = [k for k, pattern in _KIND_WORDS.items() if pattern.search(match.group(2))]
        if not kinds:
            continue  # a bare number, or an echoed summary sentence: not a flag
        usable = True
        number = int(match.group(1))
        if not 1 <= number <= count:
            out_of_range += 1
            continue
        flagged.setdefault(number, kinds[0])
    return [{"sentence": k, "kind": v} for k, v in sorted(flagged.items())], out_of_range, usable


def _typed(response: JudgeResponse) -> str | None:
    """What a person entered, kept as raw text beside the parsed verdict (as a model's text is)."""
    if response.flaws is not None:
        return "\n".join(response.flaws)
    if response.ratings is not None:
        return "; ".join(f"{k}: {v}" for k, v in response.ratings.items())
    return None


def verdict(view: JudgeView, transcript: dict[str, Any], response: JudgeResponse,
            params: SummarizeParams) -> dict[str, Any]:
    """The verdict fields of one judgment: the same for a model's text and a person's input."""
    nodes = node_records(transcript)
    root = root_id(nodes)
    node_id = view.key.split(":", 1)[1]
    node = nodes[node_id]
    record: dict[str, Any] = {"key": view.key, "node": node_id, "strategy": node["strategy"], "kind": node["kind"],
                              "level": node["level"], "stage": stage(node, root), "answer_kind": view.answer_kind,
                              "raw": response.text if response.text is not None else _typed(response),
                              "comment": response.comment}
    if view.answer_kind == "rating":
        if response.ratings is not None:
            ratings, problems = parse_ratings(" ".join(f"{s}: {response.ratings.get(s, '')}" for s in SCALES))
        elif response.structured and response.cut_off:
            ratings, problems = {s: None for s in SCALES}, [f"no {s} rating: structured answer cut off at the token limit"
                                                            for s in SCALES]
        elif response.structured:
            ratings, problems = read_structured_ratings(response.text or "")
        else:
            ratings, problems = parse_ratings(response.text or "")
        record.update(judge_format_fields(response))
        reasons = {scale: problem_class(next(p for p in problems if scale in p)) for scale in SCALES
                   if ratings.get(scale) is None and any(scale in p for p in problems)}
        record.update(ratings, invalid=bool(problems), reason="; ".join(problems) or None,
                      invalid_reason=next(iter(reasons.values()), None), invalid_reasons=reasons or None)
        return record
    count = int(view.variables["count"])
    lines = response.flaws if response.flaws is not None else (response.text or "").splitlines()
    lines = [line for line in lines if line.strip()]
    if response.flaws is not None and not lines:
        lines = ["None"]  # a person who listed no flaw found no confusion
    confusions, out_of_range, usable = parse_confusions(lines, count)
    invalid = not usable or count == 0
    record.update(sentences=count, confusions=confusions, out_of_range=out_of_range,
                  coherence=None if invalid else round(1 - len(confusions) / count, 6), invalid=invalid,
                  reason=None if not invalid else "empty summary" if count == 0 else
                  "no sentence flagged with a known kind of confusion and no 'None'")
    return record


def judgment_view_key(judgment: dict[str, Any]) -> str | None:
    """The node a judgment rated: `view_key` (re-judging, people), else the run judge's `key`."""
    key = judgment.get("view_key") or judgment.get("key")
    return None if key is None else str(key)


__all__ = ["CONFUSIONS", "FLAWS_GUIDE", "FLAWS_HINT", "SCALES", "judge_views", "judgment_view_key", "parse_confusions",
           "parse_ratings", "response_schema", "root_id",
           "split_sentences", "stage", "verdict"]
