"""`oversight judge-live`: the person's form at each pause of a live-judged unit.

The protocol's pause payload carries the judge's view (the same the model judge would read,
so the same blinding as `judge --human`: no condition, model or story) and what may be done:
up to `max_questions` questions, each to one of `to`, or end now with a verdict; at the final
pause only the verdict. The view is drawn by the protocol's `form_body` with every value
cleaned for the terminal. An internal error goes to errors.log and quits to a paused unit,
never a traceback on screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static

from oversight.core.safe_text import text
from oversight.protocol.contract import JudgeView, Protocol
from oversight.protocol.review import LETTERS
from oversight.tui.blind import stop_without_traceback
from oversight.tui.judge_app import parse_probability, render_view

CSS = """
.title { height: 1; background: $accent; color: $text; }
#content { height: 1fr; }
#form { height: auto; max-height: 9; border-top: solid $accent; }
#form .field { height: 1; }
#form .label { width: 12; color: $text-muted; }
#form Input { height: 1; width: 1fr; border: none; padding: 0 1; background: $boost; }
#form .to { width: 12; }
#form Input:focus { background: $primary 30%; }
#status { height: auto; max-height: 2; color: $warning; }
"""


def view_of(payload: dict[str, Any]) -> JudgeView:
    v = payload["view"]
    return JudgeView(key=v["key"], template=v["template"], variables=v["variables"], answer_kind=v["answer_kind"],
                     choices=tuple(v["choices"]))


class LiveApp(App[Any]):
    """One pause: the view so far above, the person's decision below; `return_value` is the
    answer (None: quit, the unit stays paused)."""

    CSS = CSS
    TITLE = "oversight judge-live"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+s", "ask", "ask / next round", priority=True),
        Binding("ctrl+e", "end", "end: verdict", priority=True),
        Binding("pageup", "scroll(-1)", "scroll", priority=True, show=False),
        Binding("pagedown", "scroll(1)", "scroll", priority=True, show=False),
        Binding("ctrl+q", "quit", "quit (pauses)", priority=True),
    ]

    def __init__(self, payload: dict[str, Any], protocol: Protocol[Any, Any], judge_id: str,
                 log_error: Callable[[str, str], None]) -> None:
        super().__init__()
        self.payload, self.protocol, self.judge_id, self.log_error = payload, protocol, judge_id, log_error
        self.verdict_only = payload["kind"] == "verdict" or not payload.get("max_questions")
        self.failure: str | None = None

    def compose(self) -> ComposeResult:
        n = self.payload.get("max_questions") or 0
        what = ("the exchange is over: your verdict (ctrl+e)" if self.payload["kind"] == "verdict" else
                f"after round {self.payload['round']}: ask up to {n} (ctrl+s, none: next round) or end (ctrl+e)")
        yield Static(text(f"judge {self.judge_id} · {what}", "bold", one_line=True), classes="title")
        yield VerticalScroll(Static(render_view(view_of(self.payload), self.protocol), id="view"), id="content")
        with Vertical(id="form"):
            if self.payload["kind"] == "decision":
                to = "/".join(self.payload["to"])
                for i in range(1, n + 1):
                    yield Horizontal(Input(placeholder=to, id=f"to{i}", classes="to"),
                                     Input(placeholder=f"question {i} (optional)", id=f"q{i}"), classes="field")
            letters = "/".join(LETTERS[: len(self.payload["view"]["choices"])])
            yield Horizontal(Static(f"answer {letters}", classes="label"),
                             Input(placeholder=letters, id="choice", max_length=2), classes="field")
            yield Horizontal(Static("sure, %", classes="label"), Input(placeholder="50-100", id="probability"),
                             classes="field")
            yield Horizontal(Static("why", classes="label"), Input(placeholder="explanation (optional)", id="comment"),
                             classes="field")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        next(w for w in self.query("#form Input").results(Input)).focus()

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def _say(self, message: str) -> None:
        self.query_one("#status", Static).update(text(message, one_line=True))

    def questions(self) -> list[dict[str, str]]:
        """The question rows filled in; ValueError with what to fix."""
        out, allowed = [], {a.lower(): a for a in self.payload["to"]}
        for i in range(1, (self.payload.get("max_questions") or 0) + 1):
            to, words = self._value(f"#to{i}"), self._value(f"#q{i}")
            if not to and not words:
                continue
            if not words:
                raise ValueError(f"question {i} is empty: write it or clear its addressee")
            if to.lower() not in allowed:
                raise ValueError(f"question {i}: say whom it is for ({', '.join(self.payload['to'])})")
            out.append({"to": allowed[to.lower()], "text": words})
        return out

    def verdict(self) -> dict[str, Any]:
        letters = LETTERS[: len(self.payload["view"]["choices"])]
        pick = self._value("#choice").upper()
        if len(pick) != 1 or pick not in letters:
            raise ValueError(f"type the letter of your answer ({' or '.join(letters)})")
        return {"action": "end", "choice": letters.index(pick),
                "probability": parse_probability(self._value("#probability")), "comment": self._value("#comment")}

    def action_ask(self) -> None:
        if self.payload["kind"] == "verdict":
            self._say("the exchange is over: give your verdict with ctrl+e")
            return
        try:
            self.exit({"action": "ask", "questions": self.questions()})
        except ValueError as exc:
            self._say(str(exc))

    def action_end(self) -> None:
        try:
            self.exit(self.verdict())
        except ValueError as exc:
            self._say(str(exc))

    def action_scroll(self, direction: int) -> None:
        content = self.query_one("#content", VerticalScroll)
        content.scroll_page_down() if direction > 0 else content.scroll_page_up()

    async def action_quit(self) -> None:
        self.exit(None)

    def _handle_exception(self, error: Exception) -> None:
        """No traceback on screen (it would show the unit's condition): errors.log, then quit."""
        self.failure = (f"the live judging screen stopped on an internal error ({type(error).__name__}); the unit "
                        "is paused; run the same command to go on")
        stop_without_traceback(self, error, lambda text: self.log_error(f"judge-live {self.judge_id}", text))


def terminal_asker(protocol: Protocol[Any, Any], judge_id: str,
                   log_error: Callable[[str, str], None]) -> Callable[[dict[str, Any]], Awaitable[Any]]:
    """The person's answer to each pause, from a LiveApp on this terminal."""
    async def ask(payload: dict[str, Any]) -> Any:
        app = LiveApp(payload, protocol, judge_id, log_error)
        answer = await app.run_async()
        if app.failure:
            print(app.failure)
            return None
        if answer is None:
            return None
        print("the speakers are speaking...", flush=True)
        return answer
    return ask


__all__ = ["LiveApp", "terminal_asker", "view_of"]
