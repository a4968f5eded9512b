"""Generic modules (everything under oversight/ outside oversight/protocols/) name no protocol
and no protocol's keys in their code: a protocol's names, outcome fields and judgment fields
reach them only through the contract's hooks. Comments and docstrings may name them (as
examples); identifiers and string constants may not."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "oversight"

FORBIDDEN = frozenset({
    "debate", "debater", "debaters", "consultancy", "consultant", "critique", "critiques", "summarize",
    "summarization", "swapped", "original", "verified", "unverified", "turns", "grader", "recall", "uplift",
    "story", "stories",
})
"""Words (parts of a name split at underscores and case, or of a string) only a protocol may use."""
FORBIDDEN_KEYS = frozenset({"p_correct", "correct_index", "answer_index", "consultant_letter", "flaws_reported",
                            "n_gold", "gold_found", "answer_a", "answer_b", "shown_order", "p_chosen"})
"""Whole keys only a protocol may use. The bare word "correct" is the contract's own default
verdict field (`judgment_mark`, `export_score`), so it is not forbidden alone."""

ALLOWED: dict[tuple[str, str], str] = {
    ("oversight/protocol/registry.py", "critique"): "the registry names the built-in protocols",
    ("oversight/protocol/registry.py", "debate"): "the registry names the built-in protocols",
    ("oversight/protocol/registry.py", "summarize"): "the registry names the built-in protocols",
    ("oversight/tui/screens.py", "verified"): "QuoteRef's own field (oversight.protocol.review)",
    ("oversight/tui/screens.py", "unverified"): "QuoteRef's own field (oversight.protocol.review)",
    ("oversight/models/providers/anthropic.py", "turns"): "a chat's turns, the provider's word",
}
"""(module, word) -> why it may stand there."""
IN_FLIGHT: frozenset[str] = frozenset()
"""Modules another change is moving protocol words out of; checked once it lands."""


def _docstrings(tree: ast.AST) -> set[int]:
    """Ids of the string statements that are documentation: a body's first, or one after an assignment."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            for i, st in enumerate(node.body):
                if (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str)
                        and (i == 0 or isinstance(node.body[i - 1], (ast.Assign, ast.AnnAssign)))):
                    out.add(id(st.value))
    return out


def _names(node: ast.AST, docs: set[int]) -> list[str]:
    """The identifiers and string constants one node writes in code."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
        return [node.value]
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.keyword) and node.arg:
        return [node.arg]
    if isinstance(node, ast.alias):
        return [node.name, node.asname or ""]
    return []


def words_of(text: str) -> set[str]:
    """"consultant_letter" -> {consultant, letter, consultant_letter}; "answerIndex" -> {answer, index}."""
    parts = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", text)}
    return parts | {k.lower() for k in re.findall(r"[A-Za-z_]+", text)}


def leaks(source: str, module: str) -> list[str]:
    """"module:line: word in 'text'" for every forbidden word the code of `source` writes."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        for text in _names(node, docs):
            for word in sorted((words_of(text) & FORBIDDEN) | (words_of(text) & FORBIDDEN_KEYS)):
                if (module, word) not in ALLOWED:
                    found.append(f"{module}:{getattr(node, 'lineno', '?')}: {word} in {text[:60]!r}")
    return found


def generic_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not p.relative_to(PACKAGE).parts[0] == "protocols")


def test_generic_modules_name_no_protocol_key() -> None:
    found = []
    for path in generic_modules():
        module = path.relative_to(ROOT).as_posix()
        if module not in IN_FLIGHT:
            found += leaks(path.read_text(encoding="utf-8"), module)
    assert found == [], "protocol words in generic code (move them behind a contract hook):\n" + "\n".join(found)


def test_every_allowance_is_still_needed() -> None:
    """An allowance whose word has left its module is removed, so it cannot hide a new leak."""
    stale = []
    for (module, word), _ in ALLOWED.items():
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        if not any(word in words_of(t) for node in ast.walk(tree) for t in _names(node, docs)):
            stale.append((module, word))
    assert stale == []


@pytest.mark.parametrize("code, word", [
    ('HIDDEN = {"consultant_letter", "turns"}', "consultant"),
    ("if view.key == 'swapped': pass", "swapped"),
    ("def f(grader=None): pass", "grader"),
    ("x = j.get('p_correct')", "p_correct"),
    ("from oversight.protocols.debate import DebateProtocol", "debate"),
    ("value = outcome.recall", "recall"),
    ("rows = [summarizeTree]", "summarize"),
    ("self.app.push_screen(StoryScreen(body.story_ref))", "story"),
])
def test_the_check_finds_a_protocol_word_in_code(code: str, word: str) -> None:
    assert any(f": {word} in " in line for line in leaks(code, "oversight/tui/example.py"))


def test_the_check_leaves_docstrings_comments_and_generic_words_alone() -> None:
    code = ('"""Draws debate turns: the swapped order, the grader\'s recall."""\n'
            "# a critique's consultant\n"
            "def summary(correct: bool) -> str:\n"
            '    """The original order, verified."""\n'
            '    return "right" if correct else "wrong"\n')
    assert leaks(code, "oversight/tui/example.py") == []
