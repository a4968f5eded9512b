"""A summarization transcript for `oversight review`: its node tree, the root on top. Each
node's details show what its writer read, rebuilt by `tree.inputs_block` (its chunk of the
source, or its children's summaries, plus any context summary), its output, level, children,
source span, retried/cut flags and every judgment on it."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from oversight.protocol.contract import TextReader
from oversight.protocol.review import Body, ReviewTree, heading, judge_label, labelled
from oversight.protocols.summarize.judging import root_id
from oversight.protocols.summarize.tree import inputs_block, node_records, source_record

HELP = ("the summarization tree: up/down move between nodes, space folds, shift+left goes to the parent, "
        "shift+up/down to siblings; tab moves to the node's details (inputs, output, level, source span, "
        "retried/cut, judgments) and on; shift+tab back\n"
        "s: the source at the node's span")
FORM_TITLES = {"summary": "Summary", "sentences": "Summary sentences"}


def node_label(node: dict[str, Any]) -> Text:
    """id, level, source span and words; retried/cut marked."""
    start, end = node.get("span") or ("?", "?")
    label = Text(f"{node['id']} ", style="bold")
    label.append(f"lv{node.get('level')} {start}-{end} {node.get('words', '?')}w", style="")
    if node.get("cut"):
        label.append(" cut", style="bold red")
    elif node.get("retried"):
        label.append(" retried", style="yellow")
    return label


def _rating_line(record: dict[str, Any]) -> Text:
    """A verdict's numbers: the ratings of a node view, or a coherence check's result."""
    if record.get("answer_kind") == "flaws":
        out = Text(f"coherence {record.get('coherence')}")
        flagged = ", ".join(f"{c.get('sentence')}: {c.get('kind')}" for c in record.get("confusions") or [])
        out.append(f" of {record.get('sentences')} sentences; flagged: {flagged or 'none'}")
        if record.get("out_of_range"):
            out.append(f"; {record['out_of_range']} out of range")
    else:
        scales = [k for k in ("faithfulness", "coverage") if k in record]
        out = Text("  ".join(f"{k} {record.get(k)}" for k in scales) or "no ratings")
    if record.get("invalid"):
        out.append(f"  INVALID: {record.get('reason')}", style="bold red")
    return out


def judgments_block(node_id: str, records: list[dict[str, Any]]) -> list[RenderableType]:
    """Every standing judgment whose view is this node (its rating, and the root's coherence
    check); the run's index has already left out what a person undid."""
    mine = [r for r in records if not r.get("retracted") and r.get("node") == node_id]
    parts: list[RenderableType] = [heading(f"Judgments ({len(mine)})")]
    if not mine:
        parts.append(Text("No judgment on this node.", style="dim"))
    for r in mine:
        title = Text(judge_label(r), style="bold magenta")
        title.append(f"  {r.get('key') or r.get('view_key')}", style="bold")
        parts += [title, _rating_line(r)]
        if r.get("comment"):
            parts.append(labelled("comment", r["comment"]))
        raw = r.get("raw")
        if raw is not None:  # a person's answer is its fields; a model's is its text
            parts += [Text("raw:", style="dim"), Text(raw if isinstance(raw, str) else str(raw))]
        parts.append(Text(""))
    return parts


def node_details(node_id: str, nodes: dict[str, dict[str, Any]], source: str,
                 records: list[dict[str, Any]]) -> RenderableType:
    """One node: what it is, exactly what it read (the protocol's `inputs_block`), what it wrote."""
    node = nodes.get(node_id)
    if node is None:
        return Text(f"{node_id}: not written (the unit stopped before this node).", style="bold red")
    outputs = {i: n.get("output", "") for i, n in nodes.items()}
    start, end = node["span"]
    head = Text(f"{node_id}", style="bold reverse")
    head.append(f"  {node['kind']} · level {node['level']} · {node['strategy']}")
    facts = [
        head,
        labelled("source span", f"characters {start}-{end} of {len(source)}"
                 + (f"; its own chunk {node['chunk'][0]}-{node['chunk'][1]}" if node.get("chunk") else "")),
        labelled("children", ", ".join(node.get("children") or []) or "none (a leaf)"),
        labelled("context", node.get("context") or "none"),
        labelled("words", f"{node.get('words')} (budget {node.get('budget')}); input {node.get('input_words')} words"),
        labelled("retried shorter", "yes" if node.get("retried") else "no", "yellow" if node.get("retried") else ""),
        labelled("cut to budget", "yes" if node.get("cut") else "no", "bold red" if node.get("cut") else ""),
    ]
    missing = [c for c in [*(node.get("children") or []), node.get("context")] if c and c not in nodes]
    if missing:
        inputs: RenderableType = Text(f"inputs not in the transcript: {', '.join(missing)}", style="red")
    else:
        inputs = Text(inputs_block(node, source, outputs))
    return Group(*facts, heading("Inputs (exactly what this node read)"), inputs,
                 heading("Output"), Text(node.get("output", "")), *judgments_block(node_id, records))


def summary_body(transcript: dict[str, Any], texts: TextReader, judgments: list[dict[str, Any]]) -> Body:
    """The transcript's node tree; a source that cannot be read leaves spans unshown."""
    nodes = node_records(transcript)
    try:
        source = texts.get_text(source_record(transcript)["ref"]) or ""
    except (ValueError, KeyError, OSError):
        source = ""
    root = root_id(nodes) if nodes else None
    tree = ReviewTree(
        labels={i: node_label(n) for i, n in nodes.items()},
        children={i: list(n.get("children") or []) for i, n in nodes.items()},
        root=root,
        details=lambda node_id: node_details(node_id, nodes, source, judgments),
        spans={i: (int(n["span"][0]), int(n["span"][1])) for i, n in nodes.items() if n.get("span")} if source else {},
        source=source,
        empty_label=Text("unfinished tree (no single root)" if nodes else "no nodes written", style="bold red"),
    )
    return Body(Text(""), tree=tree)


__all__ = ["FORM_TITLES", "HELP", "judgments_block", "node_details", "node_label", "summary_body"]
