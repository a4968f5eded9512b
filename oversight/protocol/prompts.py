"""Prompt templates in files, one per role and step: researchers edit these far more than code.

A template is plain text with `{variable}` placeholders (write `{{` for a literal brace).
Optional section lines `[system]`, `[user]` and `[assistant]` split it into chat messages;
with no section line the whole file is one user message. Base models receive the messages
joined as one completion prompt (see the local provider), so end templates with a cue such
as `Answer:`.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from oversight.core.errors import UserError, bounded, read_text
from oversight.core.safe_paths import check_file
from oversight.models.types import Message

_SECTION = re.compile(r"^\[(system|user|assistant)\]\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Template:
    name: str
    source: str
    """Where it came from, for error messages."""
    text: str
    _parsed: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Per-template work done once (its fields, its message sections), not once per call."""

    def fields(self) -> set[str]:
        if "fields" not in self._parsed:
            try:
                self._parsed["fields"] = frozenset(f for _, f, _, _ in string.Formatter().parse(self.text) if f)
            except ValueError as exc:
                raise UserError(f"{self.source}: bad placeholder ({exc}); write {{{{ for a literal brace") from exc
        return set(self._parsed["fields"])

    def sections(self) -> list[tuple[str | None, str]]:
        """(role, template text) per message section; role None for text before any section line
        (or the whole template when it has none). Split once, so a long story in a variable is
        never scanned for section lines (and a section line inside a story cannot split it)."""
        if "sections" not in self._parsed:
            parts = _SECTION.split(self.text)
            self._parsed["sections"] = [(None, parts[0])] + list(zip(parts[1::2], parts[2::2]))
        return list(self._parsed["sections"])

    def check(self) -> None:
        """Render once with sample values, so a bad format spec ({x!z}, {x:>>>}) fails at validation,
        not after a run has paid for every call before this prompt."""
        try:
            self.text.format_map({f: "x" for f in self.fields()})
        except (ValueError, IndexError, KeyError, AttributeError) as exc:
            raise UserError(f"{self.source}: bad placeholder ({exc}); use plain {{name}}, and {{{{ for a brace") from None

    def render(self, variables: Mapping[str, Any]) -> list[Message]:
        if not self.fields() <= variables.keys():
            missing = self.fields() - set(variables)
            raise UserError(
                f"{self.source}: unknown variable {{{sorted(missing)[0]}}} "
                f"(available: {', '.join(sorted(variables))})"
            )
        values = {k: "" if v is None else v for k, v in variables.items()}
        sections = self.sections()
        if len(sections) == 1:
            return [Message(role="user", content=self.text.format_map(values).strip("\n"))]
        lead = sections[0][1].format_map(values)
        messages = [Message(role="user", content=lead.strip("\n"))] if lead.strip() else []
        for role, body in sections[1:]:
            messages.append(Message(role=role, content=body.format_map(values).strip("\n")))
        return messages


def split_messages(text: str) -> list[Message]:
    parts = _SECTION.split(text)
    if len(parts) == 1:
        return [Message(role="user", content=text.strip("\n"))]
    messages = []
    if parts[0].strip():
        messages.append(Message(role="user", content=parts[0].strip("\n")))
    for role, body in zip(parts[1::2], parts[2::2]):
        messages.append(Message(role=role, content=body.strip("\n")))
    return messages


class PromptSet:
    """A protocol's shipped templates with an experiment's overrides laid over them."""

    def __init__(
        self,
        package: str,
        documented: Mapping[str, set[str]],
        overrides: Mapping[str, str] | None = None,
        base_dir: Path | None = None,
        source: str = "experiment",
        protocol: str = "",
    ) -> None:
        self.documented = dict(documented)
        self.overridden = set(overrides or {})
        """Templates the experiment replaced (a shipped one wins a tie in `prefix_warnings`)."""
        self.templates: dict[str, Template] = {}
        whose = f"protocol {protocol!r}: " if protocol else ""
        try:
            folder = resources.files(package)
        except (ImportError, TypeError, ValueError) as exc:  # a package that is not there, or not a name
            raise UserError(f"{whose}its prompt package {package!r} cannot be found ({type(exc).__name__}: "
                            f"{bounded(' '.join(str(exc).split()))})") from None
        for name in documented:
            path = folder / f"{name}.txt"
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UserError(f"{whose}template {name!r}: no readable {name}.txt in its prompt package {package!r} "
                                f"(looked in {folder}; {type(exc).__name__})") from None
            self.templates[name] = Template(name, f"{package}/{name}.txt", text)
        for name, file in (overrides or {}).items():
            if name not in documented:
                raise UserError(
                    f"{source}: prompts.{name}: no such prompt (this protocol has: {', '.join(sorted(documented))})"
                )
            path = Path(file)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            if not os.path.lexists(path):
                raise UserError(f"{source}: prompts.{name}: file {str(path)!r} not found")
            check_file(path, f"{source}: prompts.{name}", base_dir)
            self.templates[name] = Template(name, str(path), read_text(path))
        for name, template in self.templates.items():
            extra = template.fields() - set(documented[name])
            if extra:
                raise UserError(
                    f"{template.source}: unknown variable {{{sorted(extra)[0]}}} for prompt {name!r} "
                    f"(available: {', '.join(sorted(documented[name]))})"
                )
            template.check()

    def render(self, name: str, variables: Mapping[str, Any]) -> list[Message]:
        return self.templates[name].render(variables)

    def prefix_warnings(self, shared: Mapping[str, Sequence[str]], same_per_item: Collection[str] = ()) -> list[str]:
        """Where the templates break the shared-prefix layout (prompts READMEs): for each long
        variable in `shared`, every template listed with it must open with the same messages,
        the last of them holding the variable, and keep its own instructions in later messages.
        Then every call of an item that reads the text starts with the same bytes, which a
        provider's prompt cache (and a local server's slot) can reuse. Those opening messages may
        use only `same_per_item` variables besides it. One line per problem."""
        problems: list[str] = []
        for variable, names in shared.items():
            heads = {name: shared_head(self.templates[name], variable) for name in names if name in self.templates}
            for name, head in list(heads.items()):
                varying = sorted(set().union(*(_fields(t) for _, t in head or ())) - set(same_per_item) - {variable})
                if varying:
                    problems.append(
                        f"{self.templates[name].source}: the messages up to {{{variable}}} use {{{varying[0]}}}, "
                        f"which changes between calls, so calls of one item cannot share a cached prefix; "
                        f"move it after {{{variable}}}"
                    )
                    heads[name] = None
                    continue
                if head is None:
                    problems.append(
                        f"{self.templates[name].source}: {{{variable}}} is not in an opening message of its "
                        f"own (put it first and start the instructions with a [user] line), so calls of one "
                        f"item cannot share a cached prefix"
                    )
            usable = [h for h in heads.values() if h is not None]
            if len(set(usable)) > 1:
                # the opening most templates share; in a tie the shipped one, then the first listed
                order = list(heads)
                reference = max(dict.fromkeys(usable), key=lambda h: (
                    usable.count(h), any(heads[n] == h and n not in self.overridden for n in order),
                    -min(order.index(n) for n in order if heads[n] == h)))
                for name, head in heads.items():
                    if head is not None and head != reference:
                        others = ", ".join(n for n, h in heads.items() if h == reference)
                        problems.append(
                            f"{self.templates[name].source}: the messages up to {{{variable}}} differ from "
                            f"those of {others}, so these calls of one item cannot share a cached prefix"
                        )
        return problems


def shared_head(template: Template, variable: str) -> tuple[tuple[str, str], ...] | None:
    """The template's opening messages up to and including the one that holds `{variable}`,
    as (role, text) pairs, when it uses no other per-call variable there and more messages
    follow; None otherwise."""
    head: list[tuple[str, str]] = []
    sections = [(role or "user", text) for role, text in template.sections() if role or text.strip()]
    for i, (role, text) in enumerate(sections):
        head.append((role, text.strip("\n")))
        if variable in _fields(text):
            return tuple(head) if i < len(sections) - 1 else None
    return None


def _fields(text: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError:
        return set()
