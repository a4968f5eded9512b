"""A choice among a few labels that a person can also make by typing the label's key (the answer
letter), so the keys that answer `judge --human` answer here too, while nothing but an allowed
label can ever be chosen."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Select


class KeyedSelect(Select[str]):
    """A compact `Select` of `labels`: a key equal to a label (any case) chooses it; enter or
    space opens the list as usual; other keys are ignored, never typed in."""

    def __init__(self, labels: list[str], prompt: str, **kwargs: Any) -> None:
        super().__init__([(label, label) for label in labels], prompt=prompt, compact=True, **kwargs)
        self.labels = labels

    def on_key(self, event: events.Key) -> None:
        if self.expanded or not event.character:
            return
        pick = next((label for label in self.labels if label.upper() == event.character.upper()), None)
        if pick is not None:
            self.value = pick
            event.stop()
            event.prevent_default()


__all__ = ["KeyedSelect"]
