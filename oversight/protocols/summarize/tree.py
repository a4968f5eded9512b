"""What one node of the summary tree saw, built the same way while running and from a transcript.

A node's transcript record (a `node` note) holds its inputs by reference only: the source span
it read (`chunk`), the ids of the nodes whose summaries it read (`children`) and of its context
node (`context`). `node_variables` turns such a record, the source text and the other nodes'
outputs into the exact template variables the summarizer was sent; the judge's view of the node
(`inputs_block`) is built from the same pieces. The source is stored once per run
(`Recorder.put_text`), never inside node records.
"""

from __future__ import annotations

from typing import Any

NODE_EVENT = "node"
SOURCE_EVENT = "source"
TEMPLATES = {"leaf": "summarize_chunk", "merge": "merge", "update": "update"}
NO_CONTEXT = "(none: this is the first part)"


def count_words(text: str) -> int:
    return len(text.split())


def node_records(transcript: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The transcript's node records by id, in the order they finished."""
    return {e["id"]: e for e in transcript.get("events", []) if e.get("type") == NODE_EVENT}


def source_record(transcript: dict[str, Any]) -> dict[str, Any]:
    for event in transcript.get("events", []):
        if event.get("type") == SOURCE_EVENT:
            return event
    raise ValueError(f"transcript {transcript.get('id')!r} has no source record")


def chunk_text(node: dict[str, Any], source: str) -> str:
    start, end = node["chunk"]
    return source[start:end].strip()


def numbered(summaries: list[str]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(summaries, start=1))


def node_variables(node: dict[str, Any], source: str, outputs: dict[str, str], title: str) -> dict[str, Any]:
    """The summarizer template's variables for `node` (a node record or the same fields)."""
    kind = node["kind"]
    variables: dict[str, Any] = {"title": title or "(untitled)", "words": node["budget"]}
    if kind in ("leaf", "merge"):
        variables["context"] = outputs[node["context"]] if node.get("context") else NO_CONTEXT
    if kind in ("leaf", "update"):
        variables.update(chunk=chunk_text(node, source), part=node["part"], parts=node["parts"])
    if kind == "merge":
        variables.update(summaries=numbered([outputs[c] for c in node["children"]]), count=len(node["children"]))
    if kind == "update":
        variables.update(summary=outputs[node["children"][0]], previous_part=node["part"] - 1)
    return variables


def input_words(node: dict[str, Any], source: str, outputs: dict[str, str]) -> int:
    """Words the node was asked to summarize (context excluded): its chunk plus its children."""
    words = count_words(chunk_text(node, source)) if node.get("chunk") else 0
    return words + sum(count_words(outputs[c]) for c in node.get("children", ()))


def task_line(node: dict[str, Any]) -> str:
    """One sentence telling the judge what this node's writer was asked to do."""
    words = node["budget"]
    if node["kind"] == "leaf":
        return f"summarize one part of a longer text in at most {words} words."
    if node["kind"] == "merge":
        return (f"combine the summaries of {len(node['children'])} consecutive parts of a longer text into "
                f"one summary of at most {words} words.")
    return f"rewrite the running summary so that it also covers the next part, in at most {words} words."


def inputs_block(node: dict[str, Any], source: str, outputs: dict[str, str]) -> str:
    """Everything the node's writer read, labelled, as one text for a judge."""
    blocks = []
    if node.get("context"):
        blocks.append(f"Context (summary of what came just before; not to be summarized):\n{outputs[node['context']]}")
    if node["kind"] == "update":
        blocks.append(f"Running summary so far:\n{outputs[node['children'][0]]}")
    if node["kind"] == "merge":
        blocks.append(f"Summaries of consecutive parts:\n{numbered([outputs[c] for c in node['children']])}")
    if node.get("chunk"):
        blocks.append(f"Part {node['part']} of {node['parts']}:\n{chunk_text(node, source)}")
    return "\n\n".join(blocks)


__all__ = [
    "NODE_EVENT",
    "NO_CONTEXT",
    "SOURCE_EVENT",
    "TEMPLATES",
    "chunk_text",
    "count_words",
    "input_words",
    "inputs_block",
    "node_records",
    "node_variables",
    "numbered",
    "source_record",
    "task_line",
]
