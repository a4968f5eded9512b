"""A critique transcript as a researcher reads it in `oversight review`: the passage, answer and
gold flaws, the critique tree, and how the grader matched each critique and reported flaw."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from oversight.protocol.review import Body, Mark, heading, labelled
from oversight.protocols.critique.outcome import outcome_of

HELP = "critique passage, answer and critique tree, with the grader's matches"
MARK_HELP = "critique: a verdict is right when it finds every gold flaw (recall 1; a number is its recall)"


def recall_mark(judgment: dict[str, Any]) -> Mark | None:
    """Right when every gold flaw was found; a lower recall is partial, shown as its value."""
    recall = judgment.get("recall")
    if not isinstance(recall, (int, float)):
        return None
    return Mark("right" if recall >= 1.0 else "partial", f"{recall:.1f}")


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
    o = outcome_of(transcript)
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



def judgment_reports(transcript: dict[str, Any], judgment: dict[str, Any]) -> RenderableType | None:
    """A judgment's reported flaws and how the grader matched each to the gold list."""
    if "flaws_reported" not in judgment:
        return None
    gold = (transcript.get("outcome") or {}).get("gold_flaws") or []
    return reports_block("Reported flaws", judgment.get("flaws_reported") or [], judgment.get("matches") or [], gold)


__all__ = ["HELP", "judgment_reports", "MARK_HELP", "critique_body", "critique_tree", "match_text", "recall_mark", "reports_block"]
