"""`oversight judge-live`: one screen for the whole sitting. The exchange is drawn above as it
is spoken (each speech as soon as its model call returns, with who is speaking now), and at each
pause of a unit the person's form opens below.

What is drawn is always the protocol's judge view (the same a model judge would read, so the same
blinding as `judge --human`: no condition, model or story), through the protocol's `form_body`
with every value cleaned for the terminal. Questions go only to the addressees the pause allows
(a choice, never free text). The judging itself runs as a worker on the app's event loop, which
only waits on the model calls' I/O. An internal error goes to errors.log and quits, leaving the
unit paused, never a traceback on screen.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rich.console import RenderableType
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, Select, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from oversight.core.errors import UserError
from oversight.core.safe_text import text
from oversight.protocol.contract import JudgeView, Protocol
from oversight.protocol.review import LETTERS
from oversight.runs.live import Ask, Show
from oversight.tui.blind import stop_without_traceback
from oversight.tui.choice import KeyedSelect
from oversight.tui.judge_app import parse_probability, render_view

Work = Callable[[Ask, Show], Awaitable[Any]]
"""The sitting: judges every unit with this screen's `ask` and `show`; its result is the app's."""

CSS = """
.title { height: 1; background: $accent; color: $text; }
#content { height: 1fr; }
#form { height: auto; max-height: 9; border-top: solid $accent; }
#form.idle { display: none; }
#form .field { height: 1; }
#form .label { width: 12; color: $text-muted; }
#form Input { height: 1; width: 1fr; border: none; padding: 0 1; background: $boost; }
#form Select { width: 12; }
#form Input:focus { background: $primary 30%; }
#status { height: auto; max-height: 2; color: $warning; }
"""

def view_of(payload: dict[str, Any]) -> JudgeView:
    v = payload["view"]
    return JudgeView(key=v["key"], template=v["template"], variables=v["variables"], answer_kind=v["answer_kind"],
                     choices=tuple(v["choices"]))


def speaking_line(labels: list[str], seconds: float) -> str:
    """'Debater B is speaking… 12 s' (who speaks now, and for how long we have waited)."""
    if not labels:
        return "the speakers are getting ready…"
    who = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"{who} {'is' if len(labels) == 1 else 'are'} speaking… {int(seconds)} s"


class Progress(Message):
    """A progress payload from the running unit (a speech just spoken)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self.payload = payload


class Pause(Message):
    """A pause: the form opens; `answer` gets the person's reply (None: they quit)."""

    def __init__(self, payload: dict[str, Any], answer: asyncio.Future[Any]) -> None:
        super().__init__()
        self.payload, self.answer = payload, answer


class LiveApp(App[Any]):
    """The sitting `work` runs as a worker; `result` is what it returned (None when the person
    quit while a speaker was speaking: that call is lost and made again on resume)."""

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

    def __init__(self, protocol: Protocol[Any, Any], judge_id: str, log_error: Callable[[str, str], None],
                 work: Work) -> None:
        super().__init__()
        self.protocol, self.judge_id, self.log_error, self.work = protocol, judge_id, log_error, work
        self.payload: dict[str, Any] | None = None
        """The open pause, None while the speakers speak."""
        self.answer: asyncio.Future[Any] | None = None
        self.speaking: list[str] = []
        self.since = time.monotonic()
        """When the wait for the speakers began (the form closed, or the sitting started)."""
        self.started: dict[str, float] = {}
        """When each speaker now speaking began."""
        self.lines: list[str] = []
        """The view's lines as last drawn (plain text), to find where a new one differs."""
        self._placed = 0
        """Where the screen last scrolled the view to."""
        self.result: Any = None
        self.user_error: UserError | None = None
        self.failure: str | None = None
        self.stopped_speaking = False
        """The person quit while a speaker was speaking."""
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield VerticalScroll(Static(id="view"), id="content")
        yield Vertical(id="form", classes="idle")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._title(f"judge {self.judge_id} · getting ready")
        self._say(speaking_line([], 0))
        self.set_interval(1, self._tick)
        self._worker = self.run_worker(self._sitting(), exclusive=True)

    async def _sitting(self) -> None:
        try:
            self.result = await self.work(self.ask, self.show)
        except UserError as exc:  # bad input found mid-way: one line after the screen closes
            self.user_error = exc
        self.exit(self.result)

    # ---- called by the running unit (the worker, on this loop) --------------------------------

    def show(self, payload: dict[str, Any]) -> None:
        self.post_message(Progress(payload))

    async def ask(self, payload: dict[str, Any]) -> Any:
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.post_message(Pause(payload, answer))
        return await answer

    # ---- drawing ------------------------------------------------------------------------------

    def _title(self, words: str) -> None:
        for line in self.query("#title").results(Static):  # none while the app shuts down
            line.update(text(words, "bold", one_line=True))

    def _say(self, message: str) -> None:
        for line in self.query("#status").results(Static):
            line.update(text(message, one_line=True))

    def _tick(self) -> None:
        if self.payload is None and self.answer is None:
            self._say(self._waiting())

    def _waiting(self) -> str:
        """Who is speaking, for as long as the longest of them has."""
        return speaking_line(self.speaking, time.monotonic() - min(self.started.values(), default=self.since))

    def _draw(self, payload: dict[str, Any], deciding: bool = True) -> None:
        """The view, scrolled to where it changed (a new speech) unless the person has scrolled
        away from where the screen last put them. Not `deciding` (speeches still coming): drawn
        without its choices, so it does not ask for a pick before there is a form."""
        content = self.query_one("#content", VerticalScroll)
        view = view_of(payload)
        renderable = render_view(view if deciding else dataclasses.replace(view, choices=()), self.protocol)
        lines = self._plain_lines(renderable, content.scrollable_content_region.width or self.size.width)
        following = abs(content.scroll_y - self._placed) <= 1 or content.scroll_y >= content.max_scroll_y - 1
        changed = next((i for i, (a, b) in enumerate(zip(self.lines, lines)) if a != b),
                       None if len(lines) == len(self.lines) else min(len(self.lines), len(lines)))
        self.lines = lines
        self.query_one("#view", Static).update(renderable)
        if following and changed is not None:
            self._placed = max(0, changed - 1)
            self.call_after_refresh(self._place, content, 3)

    def _place(self, content: VerticalScroll, tries: int) -> None:
        """Scroll to `_placed` once the new text is laid out (a refresh or two after the update)."""
        if content.max_scroll_y < self._placed and tries:
            self.call_after_refresh(self._place, content, tries - 1)
            return
        content.scroll_to(y=self._placed, animate=False)

    def _plain_lines(self, renderable: RenderableType, width: int) -> list[str]:
        rendered = self.console.render_lines(renderable, self.console.options.update_width(max(20, width)), pad=False)
        return ["".join(segment.text for segment in row) for row in rendered]

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        payload = message.payload
        self.speaking = list(payload["speaking"])
        self.started = {who: self.started.get(who, time.monotonic()) for who in self.speaking}
        self._draw(payload, deciding=False)
        self._title(f"judge {self.judge_id} · round {payload['round']}")
        self._say(self._waiting())

    @on(Pause)
    async def _pause(self, message: Pause) -> None:
        payload, n = message.payload, message.payload.get("max_questions") or 0
        self.payload, self.answer, self.speaking, self.started = payload, message.answer, [], {}
        self._draw(payload)
        self._title(f"judge {self.judge_id} · " + (
            "the exchange is over: your verdict (ctrl+e)" if payload["kind"] == "verdict" else
            f"after round {payload['round']}: ask up to {n} (ctrl+s, none: next round) or end (ctrl+e)"))
        form = self.query_one("#form", Vertical)
        await form.remove_children()
        rows: list[Horizontal] = []
        if payload["kind"] == "decision":
            to = [(a, a) for a in payload["to"]]  # the protocol names whom a question may be for
            for i in range(1, n + 1):
                one = len(to) == 1  # nobody to choose between: preset, still shown
                rows.append(Horizontal(
                    Input(placeholder=f"question {i} (optional), then whom it is for", id=f"q{i}"),
                    Select(to, prompt="to whom?", allow_blank=not one, value=to[0][1] if one else Select.NULL,
                           id=f"to{i}", compact=True), classes="field"))
        letters = LETTERS[: len(payload["view"]["choices"])]
        rows += [Horizontal(Static(f"answer {'/'.join(letters)}", classes="label"),
                            KeyedSelect(list(letters), prompt="type it", id="choice"), classes="field"),
                 Horizontal(Static("sure, %", classes="label"), Input(placeholder="50-100", id="probability"),
                            classes="field"),
                 Horizontal(Static("why", classes="label"), Input(placeholder="explanation (optional)", id="comment"),
                            classes="field")]
        await form.mount_all(rows)
        if self.answer is not message.answer or not form.is_attached:  # quit while the form was being built
            return
        form.remove_class("idle")
        self._say("")
        self.refresh_bindings()
        form.query("Input, Select").first().focus()  # a question's text first: typing is what comes next

    def _close(self, value: Any) -> None:
        """Hand the answer to the unit and fold the form away while the speakers speak."""
        assert self.answer is not None
        answer, self.answer, self.payload = self.answer, None, None
        self.query_one("#form", Vertical).add_class("idle")
        self.refresh_bindings()
        self.since, self.started = time.monotonic(), {}
        self._say(speaking_line([], 0))
        if not answer.done():
            answer.set_result(value)

    # ---- the person's answer ------------------------------------------------------------------

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def questions(self) -> list[dict[str, str]]:
        """The question rows filled in; ValueError with what to fix."""
        assert self.payload is not None
        out = []
        for i in range(1, (self.payload.get("max_questions") or 0) + 1):
            to, words = self.query_one(f"#to{i}", Select).value, self._value(f"#q{i}")
            if not words:
                continue
            if to is Select.NULL or to not in self.payload["to"]:
                raise ValueError(f"question {i}: choose whom it is for ({', '.join(self.payload['to'])})")
            out.append({"to": str(to), "text": words})
        return out

    def verdict(self) -> dict[str, Any]:
        assert self.payload is not None
        letters = LETTERS[: len(self.payload["view"]["choices"])]
        pick = self.query_one("#choice", KeyedSelect).value
        if pick is Select.NULL or pick not in letters:
            raise ValueError(f"type the letter of your answer ({' or '.join(letters)})")
        return {"action": "end", "choice": letters.index(str(pick)),
                "probability": parse_probability(self._value("#probability")), "comment": self._value("#comment")}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No ctrl+s in the footer once the exchange is over: only the verdict is left."""
        return not (action == "ask" and self.payload is not None and self.payload["kind"] == "verdict")

    def action_ask(self) -> None:
        if self.payload is None:
            self._say("the speakers are still speaking: the form opens after the round")
        elif self.payload["kind"] == "verdict":
            self._say("the exchange is over: give your verdict with ctrl+e")
        else:
            try:
                self._close({"action": "ask", "questions": self.questions()})
            except ValueError as exc:
                self._say(str(exc))

    def action_end(self) -> None:
        if self.payload is None:
            self._say("the speakers are still speaking: the form opens after the round")
            return
        try:
            self._close(self.verdict())
        except ValueError as exc:
            self._say(str(exc))

    def action_scroll(self, direction: int) -> None:
        content = self.query_one("#content", VerticalScroll)
        content.scroll_page_down() if direction > 0 else content.scroll_page_up()

    async def action_quit(self) -> None:
        """At a pause the unit is told the person quit (it stays paused there); while a speaker
        speaks the sitting is cancelled and the unit stays at its last finished step."""
        if self.answer is not None:
            self._close(None)  # the sitting ends itself, and this app with it
            return
        self.stopped_speaking = True
        many = len(self.speaking) > 1
        who = " and ".join(self.speaking) or "a speaker"
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass
        # a call already sent may hold the process until it ends (an embedded model's thread)
        said = "those speeches are" if many else "that speech is"
        self.exit(None, message=text(f"quit while {who} {'were' if many else 'was'} speaking: {said} asked for "
                                     "again when you go on; stopping (a call already running may take a moment)…"))

    def _handle_exception(self, error: Exception) -> None:
        """No traceback on screen (it would show the unit's condition): errors.log, then quit."""
        self.failure = (f"the live judging screen stopped on an internal error ({type(error).__name__}); the unit "
                        "is paused; run the same command to go on")
        stop_without_traceback(self, error, lambda text: self.log_error(f"judge-live {self.judge_id}", text))


def run_live(protocol: Protocol[Any, Any], judge_id: str, log_error: Callable[[str, str], None], work: Work) -> Any:
    """Run the sitting on this terminal; its result, or None when it stopped without one (the
    person quit mid-speech, or the screen failed: said on the terminal)."""
    app = LiveApp(protocol, judge_id, log_error, work)
    app.run()
    if app.user_error is not None:
        raise app.user_error
    if app.failure:
        print(app.failure)
        return None
    return app.result


__all__ = ["LiveApp", "run_live", "speaking_line", "view_of"]
