"""What the review screens show of one transcript, as a protocol builds it: a Rich renderable,
the quotes the quotes screen lists, the stored text they point into, or a navigable tree of
nodes; and what a person judging one view reads above the answer form. These types live below
the terminal UI so a protocol builds them without importing Textual; the UI only lays them out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Group, RenderableType
from rich.pretty import Pretty
from rich.text import Text

from oversight.log.texts import is_text_ref
from oversight.protocol.judge_view import JudgeView


LETTERS = "ABCDEFGH"
"""Answer letters, in the order answers are shown (a choice view's `choices`)."""
TURN_STYLE = "bold reverse cyan"
"""Real speaker labels: drawn by us in this style, never taken from a speech's text."""
FORGED_STYLE = "bold black on yellow"
"""A speaker label a speech wrote itself, shown as part of that speech."""


@dataclass
class QuoteRef:
    """A quote in a transcript, numbered across it; `quote` holds `text`, `verified`, `fuzzy`,
    `closest` and `char_span` (its place in the stored text) as the protocol recorded them."""

    number: int
    speaker: str
    round: int
    quote: dict[str, Any]


@dataclass(frozen=True)
class ReviewTree:
    """A transcript as a tree of nodes (a summary tree): the screen lists the labels, and shows
    `details(node_id)` for the highlighted node and `source` at its span."""

    labels: dict[str, Text]
    """Every written node's one-line label."""
    children: dict[str, list[str]]
    """Node -> its children's ids, which may name nodes never written."""
    root: str | None
    """The single root, or None for an unfinished tree (its top nodes are listed instead)."""
    details: Callable[[str], RenderableType]
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Node -> its characters in `source`."""
    source: str = ""
    empty_label: Text = field(default_factory=lambda: Text("no nodes written", style="bold red"))
    """The tree's title when it has no single root."""

    def tops(self) -> list[str]:
        """The nodes no other node reads: the root, or an unfinished tree's several tops."""
        read = {c for kids in self.children.values() for c in kids}
        return [i for i in self.labels if i not in read]


@dataclass
class Body:
    """One transcript's review body: `renderable` scrolls in the view tab unless `tree` is set."""

    renderable: RenderableType
    quotes: list[QuoteRef] = field(default_factory=list)
    source_ref: str | None = None
    """The stored text (texts.jsonl) the quotes point into; `s` opens it."""
    tree: ReviewTree | None = None


@dataclass(frozen=True)
class Mark:
    """Whether a judgment was right, for the review list's marks and its verdict filter: only
    "right" passes the "correct" filter; "wrong" and "partial" both count as incorrect."""

    kind: Literal["right", "wrong", "partial"]
    shown: str = ""
    """What the list prints ("" for a tick or a cross), e.g. a partial score "0.5"."""


def correct_mark(judgment: dict[str, Any]) -> Mark | None:
    """The contract's default: a judgment's boolean `correct`, or no mark."""
    correct = judgment.get("correct")
    if isinstance(correct, bool):
        return Mark("right" if correct else "wrong")
    return None


def judge_label(record: dict[str, Any]) -> str:
    """"kind/id" of a judgment's judge, as the review screens name it."""
    judge = record.get("judge") or {}
    return f"{judge.get('kind', '?')}/{judge.get('id', '?')}"


def heading(text: str) -> Text:
    return Text(f"\n{text}", style="bold underline")


def labelled(label: str, value: Any, style: str = "") -> Text:
    out = Text(f"{label}: ", style="bold")
    out.append(str(value), style=style)
    return out


def generic_body(transcript: dict[str, Any]) -> Body:
    """Any protocol: its outcome as data, and its notes (non-model events) in order; `s` opens the
    first stored text the outcome refers to (a value that is a text reference), if any."""
    parts: list[RenderableType] = [heading("Outcome"), Pretty(transcript.get("outcome") or {}, max_length=50)]
    notes = [e for e in transcript.get("events") or [] if e.get("type") not in ("model", "model_error")]
    if notes:
        parts.append(heading("Events (model calls: tab Calls)"))
        for e in notes:
            parts += [Text(str(e.get("type")), style="bold cyan"),
                      Pretty({k: v for k, v in e.items() if k != "type"}, max_length=20)]
    o = transcript.get("outcome") or {}
    refs = [value for value in o.values() if is_text_ref(value)] if isinstance(o, dict) else []
    return Body(Group(*parts), source_ref=refs[0] if refs else None)


FORM_TITLES = {"context": "Passage", "task": "Task", "inputs": "Inputs", "question": "Question", "answer": "Answer"}
"""Section titles of the common view variables, in the order the form shows them; a protocol
adds its own (`form_titles`), and may give the whole order (`generic_form`'s `order`)."""

Section = Callable[[str, dict[str, Any]], "list[RenderableType] | None"]
"""Draws one variable's section below its title from the view's variables; None: as plain text."""


def generic_form(view: JudgeView, titles: dict[str, str] | None = None, guide: str | None = None,
                 hidden: frozenset[str] = frozenset(), section: Section | None = None,
                 order: tuple[str, ...] = ()) -> RenderableType:
    """A view's variables as a person reads them: the variables named in `order` first, then the
    titled ones in `FORM_TITLES` order (then `titles`), then the others, each under its title as
    plain text unless `section` draws it. `hidden` variables steer drawing (tags) or are said in
    words, and get no section. `guide`: what to list, shown first on a flaws view. The caller
    cleans the values first."""
    v = view.variables
    labels = {**FORM_TITLES, **(titles or {})}
    ranked = list(dict.fromkeys([*order, *labels]))
    keys = [k for k in ranked if k in v and k not in hidden] + [k for k in v if k not in ranked and k not in hidden]
    parts: list[RenderableType] = []
    if view.answer_kind == "choice":
        # no choices: a view watched while it is still spoken, with nothing to pick yet
        parts.append(Text("Which answer is right?" + (" Pick one below." if view.choices else ""), style="italic"))
    if view.answer_kind == "flaws" and guide:
        parts.append(Text(guide, style="italic"))
    for key in keys:
        parts.append(heading(labels.get(key, key.replace("_", " ").capitalize())))
        drawn = section(key, v) if section is not None else None
        parts.extend(drawn if drawn is not None else [Text(str(v[key]))])
    return Group(*parts)


def choice_list(view: JudgeView) -> list[RenderableType]:
    """A choice view's answers under the letters the form asks for ("A: a tie"), so a person knows
    what each letter picks when no variable of the view spells the choices out; [] otherwise."""
    if view.answer_kind != "choice" or not view.choices:
        return []
    return [heading("Answers"), *(Text(f"{LETTERS[i]}: {choice}") for i, choice in enumerate(view.choices[:len(LETTERS)]))]


__all__ = ["FORGED_STYLE", "FORM_TITLES", "LETTERS", "TURN_STYLE", "Body", "Mark", "QuoteRef", "ReviewTree", "Section", "choice_list", "correct_mark", "generic_body",
           "generic_form", "heading", "judge_label", "labelled"]
