"""A transcript whose review body is a tree of nodes (`Body.tree`): the tree above, the
highlighted node's details below, as the protocol's `review_body` built them."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from oversight.core.errors import UserError
from oversight.core.safe_text import clean
from oversight.protocol.hooks import hook_guard
from oversight.protocol.review import ReviewTree


class TreeView(Vertical):
    """The tree above, the highlighted node's details below; tab moves between them."""

    DEFAULT_CSS = """
    TreeView { height: 1fr; }
    TreeView > Tree { height: 40%; min-height: 4; border-bottom: solid $panel-lighten-2; }
    TreeView > Tree:focus { border-bottom: heavy $accent; }
    TreeView > #tree-detail { height: 1fr; }
    TreeView > #tree-detail:focus { background: $boost; }
    """

    def __init__(self, protocol: str = "?", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.review_tree: ReviewTree | None = None
        self.protocol = protocol
        """Whose `review_body` built the tree: named when its node details fail."""
        self.highlighted: str | None = None

    @property
    def nodes(self) -> dict[str, Text]:
        """The written nodes' labels by id."""
        return self.review_tree.labels if self.review_tree else {}

    @property
    def source(self) -> str:
        return self.review_tree.source if self.review_tree else ""

    def compose(self) -> ComposeResult:
        tree: Tree[str] = Tree("tree", id="node-tree")
        tree.guide_depth = 2
        yield tree
        with VerticalScroll(id="tree-detail"):
            yield Static(id="tree-node")

    def load(self, tree: ReviewTree) -> None:
        """Show `tree` with its root selected (an unfinished tree: its top nodes under a title)."""
        self.review_tree = tree
        widget: Tree[str] = self.query_one(Tree)
        widget.clear()
        if tree.root is not None:
            widget.root.set_label(tree.labels[tree.root])
            widget.root.data = tree.root
            widget.root.allow_expand = bool(tree.children.get(tree.root))  # a one-chunk text: one leaf
            self._grow(widget.root, tree.root)
        else:
            widget.root.set_label(tree.empty_label)
            widget.root.data = None
            for top in tree.tops():
                self._grow(widget.root.add(tree.labels[top], data=top, allow_expand=bool(tree.children.get(top))), top)
        widget.root.expand_all()
        widget.move_cursor(widget.root)
        self.show(tree.root)

    def _grow(self, branch: TreeNode[str], node_id: str) -> None:
        assert self.review_tree is not None
        for child in self.review_tree.children.get(node_id) or []:
            if child not in self.review_tree.labels:
                branch.add_leaf(Text(f"{child} (not written)", style="red"), data=child)
            elif self.review_tree.children.get(child):
                self._grow(branch.add(self.review_tree.labels[child], data=child), child)
            else:
                branch.add_leaf(self.review_tree.labels[child], data=child)

    def highlighted_span(self) -> tuple[int, int] | None:
        return self.review_tree.spans.get(self.highlighted or "") if self.review_tree else None

    def show(self, node_id: str | None) -> None:
        self.highlighted = node_id
        if node_id is None or self.review_tree is None:
            detail: RenderableType = Text("Choose a node in the tree above.", style="dim")
        else:
            try:
                with hook_guard(self.protocol, "review_body"):  # the tree's details are the protocol's code
                    detail = self.review_tree.details(node_id)
            except UserError as exc:
                detail = Text(clean(f"{exc} (node details)", one_line=True), style="bold red")
        self.query_one("#tree-node", Static).update(detail)
        self.query_one("#tree-detail", VerticalScroll).scroll_home(animate=False)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        event.stop()
        self.show(event.node.data)

    def focus_tree(self) -> None:
        self.query_one(Tree).focus()


__all__ = ["TreeView"]
