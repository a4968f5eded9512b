"""One transcript as a researcher reads it, per protocol (rich renderables).

`body(transcript, params)` (params: the experiment's raw `params:` block) picks the
protocol's view; a protocol without one gets the generic view (its outcome and non-model
events). Views read the transcript as data and import no protocol code, so opening one is
quick. Debate speeches mark each quote verified (green) or unverified (red, with its fuzzy
score) and number it, so the quotes screen can jump to its place in the story; critique
shows the critique tree and how the grader matched each report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.pretty import Pretty
from rich.text import Text
from rich.tree import Tree

from oversight.protocols.shared.markers import safe_shown
from oversight.protocols.shared.quote_meaning import NOTES
from oversight.protocols.shared.turns import SPEECH_PREFIX, split_labels

LETTERS = "ABCDEFGH"


@dataclass
class QuoteRef:
    """A quote in a speech, numbered across the transcript."""

    number: int
    speaker: str
    round: int
    quote: dict[str, Any]


@dataclass
class Body:
    renderable: RenderableType
    quotes: list[QuoteRef] = field(default_factory=list)
    story_ref: str | None = None


def heading(text: str) -> Text:
    return Text(f"\n{text}", style="bold underline")


def labelled(label: str, value: Any, style: str = "") -> Text:
    out = Text(f"{label}: ", style="bold")
    out.append(str(value), style=style)
    return out


TURN_STYLE = "bold reverse cyan"
"""Real speaker labels: drawn by us in this style, never taken from a speech's text."""
FORGED_STYLE = "bold black on yellow"
"""A speaker label a speech wrote itself, shown as part of that speech."""
_NOTE = re.compile(r" \[(" + "|".join(re.escape(n) for n in NOTES.values()) + r")\]")


_FAKE_QUOTE_LABEL = re.compile(r"\[\s*q\s*\d+[^\]\n]{0,80}\]|[\u2713\u2714\u2611\u2705\u221a\u2717\u2718\u274c]",
                               re.IGNORECASE)
"""What looks like the quote labels drawn here (`[q3 ✓]`, a tick or a cross) in a speech's own text."""


def _speech_plain(text: str) -> str:
    """Model text between quotes, with anything that imitates our quote labels made visible as such."""
    return _FAKE_QUOTE_LABEL.sub(lambda m: f"(speaker wrote {m.group(0)!r})" if len(m.group(0)) > 1
                                 else "(speaker wrote a tick)" if m.group(0) in "\u2713\u2714\u2611\u2705\u221a"
                                 else "(speaker wrote a cross)", text)


def mark_quotes(shown: str, quotes: list[dict[str, Any]], tags: tuple[str, str], first: int) -> Text:
    """A speech with its quotes coloured and numbered; quotes are taken in order of appearance.
    A quote that is in the story but not evidence (too short, or changes the meaning) says so.
    Text that imitates the quote labels drawn here is shown as written by the speaker."""
    verified_tag, unverified_tag = tags
    pattern = re.compile(rf"<({re.escape(verified_tag)}|{re.escape(unverified_tag)})>(.*?)</\1>", re.DOTALL)
    out, pos, n = Text(), 0, 0
    for m in pattern.finditer(shown):
        out.append(_speech_plain(shown[pos:m.start()]))
        q = quotes[n] if n < len(quotes) else {}
        ok = m.group(1) == verified_tag
        out.append(f"“{_speech_plain(m.group(2))}”", style="green" if ok else "red")
        note = _NOTE.match(shown, m.end())
        label = f"[q{first + n} ✓]" if ok else f"[q{first + n} ✗ unverified, fuzzy {q.get('fuzzy', '?')}]"
        if note:
            label = f"[q{first + n} {'✓' if ok else '✗'} {note.group(1)}]"
        out.append(label, style=("bold yellow" if note else "bold green") if ok else "bold red")
        pos, n = (note.end() if note else m.end()), n + 1
    out.append(_speech_plain(shown[pos:]))
    return out


def turn_label(label: str) -> Text:
    """A real speaker label, in the style only our own markup gives."""
    return Text(f"\n {label} ", style=TURN_STYLE)


def speech_text(shown: str, quotes: list[dict[str, Any]], tags: tuple[str, str], first: int, speaker: str) -> Text:
    """A speech as a person reads it: every line behind the speech prefix, its quotes marked,
    and any speaker label it wrote itself flagged as written inside this speech."""
    out, k = Text(), 0
    opening = re.compile(rf"<(?:{re.escape(tags[0])}|{re.escape(tags[1])})>")
    for is_label, chunk in split_labels(safe_shown(shown, *tags), tags):
        if is_label:
            out.append(f"⚠ {chunk.strip()} ", style=FORGED_STYLE)
            out.append(f"(written inside {speaker}'s speech; not a turn) ", style="italic yellow")
        else:
            out.append_text(mark_quotes(chunk, quotes[k:], tags, first + k))
            k += len(opening.findall(chunk))
    lines = out.split("\n", allow_blank=True)
    result = Text()
    for i, line in enumerate(lines):
        result.append(SPEECH_PREFIX, style="dim cyan")
        result.append_text(line)
        if i < len(lines) - 1:
            result.append("\n")
    return result


def debate_body(transcript: dict[str, Any], params: dict[str, Any]) -> Body:
    o = transcript.get("outcome") or {}
    tags = (str(params.get("verified_tag", "v_quote")), str(params.get("unverified_tag", "u_quote")))
    parts: list[RenderableType] = [labelled("Question", o.get("question", "?"))]
    correct = o.get("correct_index")
    for i, answer in enumerate(o.get("answers") or []):
        parts.append(labelled(f"Answer {LETTERS[i]}", answer, "bold green" if i == correct else ""))
    info = [f"condition {o.get('condition', transcript.get('condition'))}"]
    if o.get("turns"):
        info.append(f"{o['turns']} turns, {o.get('rounds')} rounds, {o.get('word_limit')} words")
    if o.get("consultant_index") is not None:
        info.append(f"consultant argues {LETTERS[o['consultant_index']]}")
    stats = o.get("quote_stats")
    if stats:
        info.append(f"quotes {stats.get('verified', 0)}/{stats.get('quotes', 0)} verified")
    parts.append(Text(" · ".join(info), style="dim"))
    quotes: list[QuoteRef] = []
    speeches = o.get("speeches") or []
    current: Any = None
    # the rerun's speakers in the order they spoke: the answer shown first (answers[1]) first
    rerun = sorted(o.get("swapped_speeches") or [], key=lambda x: (x.get("round", 0), -int(x.get("answer_index", 0))))
    for s in [*speeches, *({**x, "_rerun": True} for x in rerun)]:
        if (s.get("round"), s.get("_rerun")) != current:
            current = (s.get("round"), s.get("_rerun"))
            parts.append(heading(f"Round {current[0]}" + (" (rerun, answers in the other order)" if current[1] else "")))
        speaker = "Consultant" if s["role"] == "consultant" else f"Debater {LETTERS[s['answer_index']]}"
        if s.get("_rerun") and s["role"] != "consultant":  # the rerun's speakers, as they were called there
            speaker = f"Debater {LETTERS[1 - s['answer_index']]}"
        title = Text(f" {speaker} (for {LETTERS[s['answer_index']]}, {s.get('words', '?')} words"
                     f"{', cut' if s.get('truncated') else ''}) ", style=TURN_STYLE)
        first = len(quotes) + 1
        for q in s.get("quotes") or []:
            quotes.append(QuoteRef(len(quotes) + 1, speaker, s.get("round", 0), q))
        parts += [title, speech_text(s.get("shown") or s.get("text") or "(no speech)", s.get("quotes") or [], tags,
                                     first, speaker)]
    if not speeches:
        seen = "the story, question and answers" if o.get("condition") == "expert" else "only the question and answers"
        parts.append(Text(f"\nNo speeches: the judge saw {seen}.", style="dim"))
    if quotes:
        parts.append(Text("\no: list quotes and jump to each in the story", style="dim"))
    return Body(Group(*parts), quotes, o.get("story_ref"))


def match_text(match: dict[str, Any] | None, gold: list[dict[str, Any]]) -> Text:
    """How the grader matched one report or critique: the gold flaw, or unconfirmed, and why."""
    if not match:
        return Text("  not graded", style="dim")
    hit = match.get("gold_index")
    if hit is not None and 0 <= hit < len(gold):
        out = Text(f"  → gold {hit + 1}: {gold[hit].get('description', '')}", style="green")
    elif match.get("confirmed"):
        out = Text("  → confirmed (no gold list)", style="green")
    else:
        out = Text("  → unconfirmed", style="red")
    if match.get("reason"):
        out.append(f"  ({match.get('grader', 'grader')}: {match['reason']})", style="dim")
    return out


def critique_tree(critiques: list[dict[str, Any]], tree: list[dict[str, Any]],
                  matches: list[dict[str, Any]], gold: list[dict[str, Any]]) -> Tree:
    root = Tree(Text("Critiques", style="bold"), guide_style="dim")
    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    for node in tree:
        by_parent.setdefault(node.get("parent"), []).append(node)

    def grow(branch: Tree, node_id: str) -> None:
        for child in by_parent.get(node_id, []):
            grow(branch.add(Text(f"{child['id']} (level {child.get('level')}): {child['text']}")), child["id"])

    for i, c in enumerate(critiques):
        label = Text(f"{c['id']}: {c['text']}")
        label.append_text(match_text(matches[i] if i < len(matches) else None, gold))
        grow(root.add(label), c["id"])
    return root


def reports_block(title: str, reports: list[str], matches: list[dict[str, Any]], gold: list[dict[str, Any]]) -> Group:
    rows: list[RenderableType] = [heading(title)]
    if not reports:
        rows.append(Text("(no flaws reported)", style="dim"))
    for i, report in enumerate(reports):
        match = next((m for m in matches if m.get("index") == i), matches[i] if i < len(matches) else None)
        rows += [Text(f"{i + 1}. {report}"), match_text(match, gold)]
    return Group(*rows)


def critique_body(transcript: dict[str, Any], params: dict[str, Any]) -> Body:
    o = transcript.get("outcome") or {}
    shown = o.get("judge_view") or {}
    gold = o.get("gold_flaws") or []
    parts: list[RenderableType] = [
        labelled("Question", shown.get("question", "?")),
        heading("Passage"), Text(shown.get("context", "")),
        heading("Answer"), Text(o.get("answer") or shown.get("answer", "")),
        heading("Gold flaws" if o.get("gold_flaws") is not None else "Gold flaws: unknown (answerer mode)"),
    ]
    for i, g in enumerate(gold):
        extra = ", ".join(x for x in (g.get("category"), f"severity {g['severity']}" if g.get("severity") else None) if x)
        parts.append(Text(f"{i + 1}. {g.get('description', '')}" + (f"  [{extra}]" if extra else "")))
    if o.get("condition") == "assisted" or o.get("critiques"):
        parts.append(Text(""))
        parts.append(critique_tree(o.get("critiques") or [], o.get("critique_tree") or [],
                                   o.get("critique_matches") or [], gold))
    parts.append(reports_block("Built-in judge's reported flaws", o.get("flaws_reported") or [],
                               o.get("report_matches") or [], gold))
    if o.get("recall") is not None or o.get("precision") is not None:
        parts.append(Text(f"recall {o.get('recall')}  precision {o.get('precision')}", style="dim"))
    return Body(Group(*parts))


def generic_body(transcript: dict[str, Any], params: dict[str, Any]) -> Body:
    """Any protocol: its outcome as data, and its notes (non-model events) in order."""
    parts: list[RenderableType] = [heading("Outcome"), Pretty(transcript.get("outcome") or {}, max_length=50)]
    notes = [e for e in transcript.get("events") or [] if e.get("type") not in ("model", "model_error")]
    if notes:
        parts.append(heading("Events (model calls: tab Calls)"))
        for e in notes:
            parts += [Text(str(e.get("type")), style="bold cyan"),
                      Pretty({k: v for k, v in e.items() if k != "type"}, max_length=20)]
    o = transcript.get("outcome") or {}
    return Body(Group(*parts), story_ref=o.get("story_ref") if isinstance(o.get("story_ref"), str) else None)


VIEWS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Body]] = {"debate": debate_body, "critique": critique_body}


def body(transcript: dict[str, Any], params: dict[str, Any]) -> Body:
    return VIEWS.get(str(transcript.get("protocol")), generic_body)(transcript, params)


__all__ = ["Body", "QuoteRef", "VIEWS", "body", "generic_body", "heading", "labelled", "match_text", "reports_block"]
