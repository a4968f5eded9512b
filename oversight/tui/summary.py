"""A summarization transcript as a navigable tree: the root on top, each node's children below.

Moving the cursor to a node shows what that node's writer read, rebuilt by the protocol's own
`tree.py` (`inputs_block`: its chunk of the source, or its children's summaries, plus any
context summary), its output, level, children, source span, retried/cut flags and every
judgment on it. The protocol package imports its graph library, so it is imported only when a
summarization transcript is opened (`warm` loads it in the background when such a run opens).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from oversight.protocol.contract import TextReader
from oversight.core.safe_text import clean
from oversight.tui.records import judge_label
from oversight.tui.views import heading, labelled

TREE_MODULE = "oversight.protocols.summarize.tree"
JUDGING_MODULE = "oversight.protocols.summarize.judging"


def warm() -> None:
    """Import the protocol's tree code (and its package) ahead of the first opened transcript."""
    importlib.import_module(JUDGING_MODULE)


def _tree() -> ModuleType:
    return importlib.import_module(TREE_MODULE)


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
    tree = _tree()
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
        inputs = Text(tree.inputs_block(node, source, outputs))
    return Group(*facts, heading("Inputs (exactly what this node read)"), inputs,
                 heading("Output"), Text(node.get("output", "")), *judgments_block(node_id, records))


class SummaryView(Vertical):
    """The tree above, the highlighted node's details below; tab moves between them."""

    DEFAULT_CSS = """
    SummaryView { height: 1fr; }
    SummaryView > Tree { height: 40%; min-height: 4; border-bottom: solid $panel-lighten-2; }
    SummaryView > Tree:focus { border-bottom: heavy $accent; }
    SummaryView > #sum-detail { height: 1fr; }
    SummaryView > #sum-detail:focus { background: $boost; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nodes: dict[str, dict[str, Any]] = {}
        self.source = ""
        self.records: list[dict[str, Any]] = []
        self.highlighted: str | None = None

    def compose(self) -> ComposeResult:
        tree: Tree[str] = Tree("summary", id="sum-tree")
        tree.guide_depth = 2
        yield tree
        with VerticalScroll(id="sum-detail"):
            yield Static(id="sum-node")

    def load(self, transcript: dict[str, Any], records: list[dict[str, Any]], texts: TextReader) -> None:
        """Show `transcript`'s tree with its root selected."""
        tree_mod = _tree()
        root_id = importlib.import_module(JUDGING_MODULE).root_id
        self.nodes, self.records = tree_mod.node_records(transcript), records
        try:
            stored = texts.get_text(tree_mod.source_record(transcript)["ref"])
            self.source = stored if stored is None else clean(stored)
        except (ValueError, KeyError, OSError):
            self.source = ""
        widget: Tree[str] = self.query_one(Tree)
        widget.clear()
        root = root_id(self.nodes) if self.nodes else None
        read = {c for n in self.nodes.values() for c in n.get("children", ())}
        if root is not None:
            widget.root.set_label(node_label(self.nodes[root]))
            widget.root.data = root
            widget.root.allow_expand = bool(self.nodes[root].get("children"))  # a one-chunk text: one leaf
            self._grow(widget.root, root)
        else:
            widget.root.set_label(Text("unfinished tree (no single root)" if self.nodes else "no nodes written",
                                       style="bold red"))
            widget.root.data = None
            for top in (i for i in self.nodes if i not in read):
                self._grow(widget.root.add(node_label(self.nodes[top]), data=top, allow_expand=bool(
                    self.nodes[top].get("children"))), top)
        widget.root.expand_all()
        widget.move_cursor(widget.root)
        self.show(root)

    def _grow(self, branch: TreeNode[str], node_id: str) -> None:
        for child in self.nodes.get(node_id, {}).get("children") or []:
            if child not in self.nodes:
                branch.add_leaf(Text(f"{child} (not written)", style="red"), data=child)
            elif self.nodes[child].get("children"):
                self._grow(branch.add(node_label(self.nodes[child]), data=child), child)
            else:
                branch.add_leaf(node_label(self.nodes[child]), data=child)

    def highlighted_span(self) -> tuple[int, int] | None:
        node = self.nodes.get(self.highlighted or "")
        return (int(node["span"][0]), int(node["span"][1])) if node and self.source else None

    def show(self, node_id: str | None) -> None:
        self.highlighted = node_id
        detail = (node_details(node_id, self.nodes, self.source, self.records) if node_id is not None
                  else Text("Choose a node in the tree above.", style="dim"))
        self.query_one("#sum-node", Static).update(detail)
        self.query_one("#sum-detail", VerticalScroll).scroll_home(animate=False)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        event.stop()
        self.show(event.node.data)

    def focus_tree(self) -> None:
        self.query_one(Tree).focus()


__all__ = ["SummaryView", "judgments_block", "node_details", "node_label", "warm"]
