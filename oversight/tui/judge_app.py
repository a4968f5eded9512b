"""`oversight judge RUN_DIR --human --judge-id NAME`: a person judges, one unit at a time.

The screen shows a unit's judge view (the template variables the protocol's `judge_views`
built, the same a model judge is sent) and nothing else: no condition, no correct answer, no
other verdict, no timestamps or model names, no transcript id (it names the condition). Each
judgment is appended to judgments.jsonl the moment it is confirmed; a confirm that cannot be
saved (read-only folder, full disk) says so and keeps the form filled in. No error ever shows
a traceback on screen: its local variables would show the person the unit's condition.
"""

from __future__ import annotations

import dataclasses
import errno
import time
import traceback
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static, TextArea

from oversight.protocol.contract import JudgeResponse, JudgeView, Protocol
from oversight.core.safe_text import clean_deep, text
from oversight.tui.blind import stop_without_traceback
from oversight.tui.screens import Helpful
from oversight.tui.session import AlreadyJudged, JudgeSession, JudgeUnit
from oversight.protocol.review import LETTERS

CSS = """
.title { height: 1; background: $accent; color: $text; }
#content { height: 1fr; }
#form { height: auto; max-height: 10; border-top: solid $accent; }
#form .field { height: 1; margin-bottom: 1; }
#form .field .label { width: 14; color: $text-muted; }
#form Input { height: 1; width: 1fr; border: none; padding: 0 1; background: $boost; }
#form Input:focus { background: $primary 30%; }
#flaws { height: 6; }
#status { height: auto; max-height: 3; color: $warning; }
"""


def render_view(view: JudgeView, protocol: Protocol[Any, Any]) -> RenderableType:
    """A view as the protocol draws it for a person (`form_body`), every value cleaned of control
    characters first: speeches and stories are model and task text."""
    return protocol.form_body(dataclasses.replace(view, variables=clean_deep(view.variables),
                                                  choices=tuple(clean_deep(list(view.choices)))))


def _field(label: str, box: Input) -> Horizontal:
    return Horizontal(Static(text(label, one_line=True), classes="label"), box, classes="field")


def parse_probability(text: str) -> float:
    """'70', '70%', '0.7' -> 0.7; must be 50-100% (confidence in the answer picked)."""
    raw = text.strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("type your probability as a number from 50 to 100") from None
    if value > 1:
        value /= 100
    if not 0.5 <= value <= 1.0:
        raise ValueError("the probability that your answer is right goes from 50 to 100")
    return value


class JudgeScreen(Helpful):
    """One unit: its view above, the answer form below."""

    BINDINGS = [
        Binding("ctrl+s", "confirm", "confirm", priority=True),
        Binding("ctrl+b", "undo", "undo last", priority=True),
        Binding("f1", "help", "help", priority=True),
        Binding("question_mark", "help", "help", show=False),
        Binding("pageup", "scroll(-1)", "scroll up", priority=True, show=False),
        Binding("pagedown", "scroll(1)", "scroll down", priority=True, show=False),
        Binding("ctrl+q", "app.quit", "quit", priority=True),
    ]
    HELP_TEXT = (
        "Judging\n\nRead the text above the form; pageup/pagedown scroll it from anywhere.\n"
        "tab / shift+tab: move between the fields   enter: next field\n\n"
        "A choice: type the letter of your answer (A, B, ...), then how likely it is right (50-100), "
        "then an explanation if you like (optional).\n"
        "Flaws: one flaw per line; leave empty if you find none.\n"
        "Ratings: a whole number from 1 (worst) to 7 (best) for each scale.\n\n"
        "ctrl+s: confirm (saved at once; quitting never loses a confirmed judgment)\n"
        "ctrl+b: undo your last judgment (it is withdrawn and shown again)\n"
        "ctrl+q: quit; run the same command to go on where you stopped (with an answer typed but not "
        "confirmed, the first ctrl+q asks; a second one quits without it)\n"
        "F1 or ?: this page"
    )

    def __init__(self, session: JudgeSession) -> None:
        super().__init__()
        self.session = session
        self.unit: JudgeUnit | None = None
        self.started = 0.0
        self.empty_ok = False
        """An empty flaw list was confirmed once; the second ctrl+s records it."""
        self.fix_shown = False
        """The status line says what to fix in the form; typing clears it."""
        self.unsaved: str | None = None
        """What the last save that failed was (an answer, an undo); quitting then is a failure."""
        self.quit_warned = False
        self.answered: dict[tuple[str, str], JudgeResponse] = {}
        """What the person confirmed in this sitting, per unit, for the form after an undo."""
        """ctrl+q was pressed once with an answer typed but not confirmed; the second press quits."""

    def compose(self) -> ComposeResult:
        yield Static(id="progress", classes="title")
        yield VerticalScroll(Static(id="view"), id="content")
        yield Vertical(id="form")
        yield Static(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        await self.show_next()
        # the plan before the first answer, until the person types (it is printed again on leaving)
        self.query_one("#status", Static).update(text(f"judging plan: {self.session.plan_summary()}"))
        self.fix_shown = True

    async def show_next(self) -> None:
        self.unit = self.session.next_unit()
        form = self.query_one("#form", Vertical)
        await form.remove_children()
        done = len(self.session.units) - len(self.session.pending())
        self.query_one("#progress", Static).update(
            text(f"judge {self.session.judge_id} · {done} of {len(self.session.units)} done", "bold", one_line=True))
        self.query_one("#status", Static).update("")
        self.unsaved = None
        self.quit_warned = False
        if self.unit is None:
            self.query_one("#view", Static).update(Text(
                "All done: every unit has your judgment. Thank you!\n\nctrl+b undoes your last one; ctrl+q quits."))
            return
        self.query_one("#view", Static).update(
            render_view(self.unit.view, self.session.protocol))
        self.query_one("#content", VerticalScroll).scroll_home(animate=False)
        await form.mount_all(self._fields(self.unit.view))
        next(w for w in form.query("*") if w.can_focus).focus()
        self.started = time.monotonic()
        self.empty_ok = False

    def _fields(self, view: JudgeView) -> list[Any]:
        """Each input beside its label, which stays when the box is typed in (a placeholder goes)."""
        if view.answer_kind == "choice":
            letters = "/".join(LETTERS[: len(view.choices)])
            return [_field(f"answer {letters}", Input(placeholder=f"your answer: {letters}", id="choice", max_length=2)),
                    _field("sure, %", Input(placeholder="how likely you are right, 50-100 (%)", id="probability")),
                    _field("why", Input(placeholder="explanation (optional)", id="comment"))]
        if view.answer_kind == "flaws":
            return [Static(text(self.session.protocol.flaws_hint), id="flaws-hint"), TextArea(id="flaws")]
        scales = self.session.protocol.rating_scales or ("rating",)
        return [*(_field(f"{s} 1-7", Input(placeholder=f"{s}: 1-7", id=f"rate-{s}", max_length=2)) for s in scales),
                _field("comment", Input(placeholder="comment (optional)", id="comment"))]

    def on_input_changed(self, event: Input.Changed) -> None:
        """A fix typed clears the message about what to fix (save errors stay until saved)."""
        self.quit_warned = False
        if self.fix_shown:
            self.fix_shown = False
            self.query_one("#status", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query("#form Input").results(Input))
        if event.input is inputs[-1]:
            self.run_worker(self.action_confirm())
        else:
            inputs[inputs.index(event.input) + 1].focus()

    def typed(self) -> bool:
        """Something is typed in the form and not confirmed: quitting would drop it."""
        if self.unit is None:
            return False
        boxes = [b.value for b in self.query("#form Input").results(Input)]
        boxes += [a.text for a in self.query("#form TextArea").results(TextArea)]
        return any(v.strip() for v in boxes)

    def warn_quit(self) -> bool:
        """On the first ctrl+q with an unconfirmed answer, say so and do not quit (True)."""
        if self.quit_warned or not self.typed():
            return False
        self.quit_warned = True
        self.query_one("#status", Static).update(
            "your answer here is not confirmed: ctrl+s saves it; ctrl+q again quits without it")
        self.fix_shown = False
        return True

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def response(self, view: JudgeView) -> JudgeResponse:
        """The form as a JudgeResponse; ValueError with what to fix."""
        if view.answer_kind == "choice":
            pick = self._value("#choice").upper()
            letters = LETTERS[: len(view.choices)]
            if pick.isdigit() and 1 <= int(pick) <= len(letters):
                pick = letters[int(pick) - 1]
            if len(pick) != 1 or pick not in letters:
                raise ValueError(f"type the letter of your answer ({' or '.join(letters)})")
            return JudgeResponse(choice=letters.index(pick), probability=parse_probability(self._value("#probability")),
                                 comment=self._value("#comment") or None)
        if view.answer_kind == "flaws":
            lines = self.query_one("#flaws", TextArea).text.splitlines()
            return JudgeResponse(flaws=[line.strip() for line in lines if line.strip()])
        ratings = {}
        for box in self.query("#form Input").results(Input):
            if box.id and box.id.startswith("rate-"):
                value = box.value.strip()
                if not (value.isdigit() and 1 <= int(value) <= 7):
                    raise ValueError(f"rate {box.id[5:]} with a whole number from 1 to 7")
                ratings[box.id[5:]] = int(value)
        return JudgeResponse(ratings=ratings, comment=self._value("#comment") or None)

    async def action_confirm(self) -> None:
        if self.unit is None:
            return
        try:
            response = self.response(self.unit.view)
        except ValueError as exc:
            self.query_one("#status", Static).update(text(exc, one_line=True))
            self.fix_shown = True
            return
        if response.flaws == [] and not self.empty_ok:
            self.empty_ok = True
            self.query_one("#status", Static).update("no flaws listed: ctrl+s again if you found none")
            return
        try:
            self.session.record(self.unit, response, time.monotonic() - self.started)
        except AlreadyJudged:
            await self.show_next()
            self.query_one("#status", Static).update(
                "that one was already judged under your id in another session; not saved twice")
            return
        except OSError as exc:
            self.unsaved = "your last answer"
            self.query_one("#status", Static).update(_save_error(exc))
            return
        except Exception as exc:  # a bug must not lose the answer typed, nor show a traceback
            self._log(exc)
            self.unsaved = "your last answer"
            self.query_one("#status", Static).update(
                f"NOT SAVED (internal error {type(exc).__name__}, logged in errors.log): your answer is kept; "
                "ctrl+s tries again")
            return
        self.answered[(self.unit.transcript_id, self.unit.part)] = response
        await self.show_next()
        # on the status line, where it covers nothing (a toast would hide the line below the form)
        self.query_one("#status", Static).update("saved; ctrl+b undoes it")
        self.fix_shown = True

    def _log(self, exc: BaseException) -> None:
        try:
            self.session.folder.log_error(f"judge {self.session.judge_id}", "".join(traceback.format_exception(exc)))
        except OSError:
            pass

    async def action_undo(self) -> None:
        try:
            undone = self.session.undo()
        except OSError as exc:
            self.unsaved = "your undo"
            self.query_one("#status", Static).update(_save_error(exc, "fix that, then ctrl+b again"))
            return
        self.unsaved = None
        if undone is None:
            self.query_one("#status", Static).update("nothing to undo")
            return
        await self.show_next()
        again = self.unit is not None and self.answered.get((self.unit.transcript_id, self.unit.part))
        self.fix_shown = False  # the refilled boxes must not clear the line that says so
        if again:
            self._fill(again)
        self.query_one("#status", Static).update(
            "your last judgment was withdrawn; " + ("your answer is back in the form: change it, then ctrl+s"
                                                     if again else "judge it again"))

    def _fill(self, response: JudgeResponse) -> None:
        """The form as the person last confirmed it (after an undo in this sitting), to change one detail."""
        values = {"#comment": response.comment or ""}
        if response.choice is not None:
            values["#choice"] = LETTERS[response.choice]
            values["#probability"] = f"{response.probability * 100:g}" if response.probability is not None else ""
        for scale, rating in (response.ratings or {}).items():
            values[f"#rate-{scale}"] = str(rating)
        for selector, value in values.items():
            for box in self.query(f"#form {selector}").results(Input):
                box.value = value
        if response.flaws is not None:
            for area in self.query("#form #flaws").results(TextArea):
                area.text = "\n".join(response.flaws)

    def action_scroll(self, direction: int) -> None:
        content = self.query_one("#content", VerticalScroll)
        content.scroll_page_down() if direction > 0 else content.scroll_page_up()


def _save_error(exc: OSError, then: str = "your answer is kept; fix that, then ctrl+s again") -> str:
    why = {errno.ENOSPC: "the disk is full", errno.EROFS: "the folder is read-only",
           errno.EACCES: "no permission to write", errno.EDQUOT: "the disk quota is used up"}.get(
        exc.errno or 0, exc.strerror or type(exc).__name__)
    return f"NOT SAVED ({why}): {then}"


class JudgeApp(App[None]):
    """A person judging one run under their own id."""

    CSS = CSS
    TITLE = "oversight judge"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, session: JudgeSession) -> None:
        super().__init__()
        self.session = session
        self.failure: str | None = None
        """Set when the UI stopped on an internal error: a one-line account, no traceback."""

    def _handle_exception(self, error: Exception) -> None:
        """Stop on an internal error without Textual's traceback screen (whose local variables
        show the unit's condition); the traceback goes to the run folder's errors.log."""
        self.failure = (f"the judging screen stopped on an internal error ({type(error).__name__}); every judgment "
                        "you confirmed is saved; run the same command to go on")
        stop_without_traceback(self, error, lambda text: self.session.folder.log_error(f"judge {self.session.judge_id}",
                                                                                         text))

    def on_mount(self) -> None:
        self.push_screen(JudgeScreen(self.session))

    async def action_quit(self) -> None:
        """Quit; after a save that failed, the command ends as a failure (exit 1), so a script or
        a person reading the shell sees that what was typed last is not on file."""
        screens = [s for s in self.screen_stack if isinstance(s, JudgeScreen)]
        unsaved = next((s.unsaved for s in screens if s.unsaved), None)
        if not unsaved and any(s.warn_quit() for s in screens):
            return
        if unsaved:
            self.failure = (f"{unsaved} was not saved (the run folder could not be written); every judgment "
                            "confirmed before it is saved; run the same command to go on")
            self.exit(return_code=1)
            return
        self.exit()


__all__ = ["JudgeApp", "JudgeScreen", "parse_probability", "render_view"]
