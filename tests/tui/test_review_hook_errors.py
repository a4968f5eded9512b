"""The review app with a third-party protocol whose review hooks raise: it keeps running, shows
the generic view (or no mark) and a one-line notice naming the protocol and the hook, once; a
run whose protocol is not installed here opens in the generic view and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oversight.log.runfolder import RunFolder
from oversight.protocol import get_protocol
from oversight.protocol.review import Body, generic_body
from oversight.tui import views
from oversight.tui.review import ListScreen, ReviewApp
from oversight.tui.screens import TranscriptScreen
from tests.helpers.broken_protocol import ERRORS, FAILING, BrokenProtocol
from tests.helpers.broken_protocol import register, run  # noqa: F401 (fixtures)
from tests.helpers.tui_runs import screen_text


async def test_review_of_a_run_whose_protocol_is_not_installed_opens_with_a_note(run: Path, register: Any) -> None:
    folder = run
    register()
    app = ReviewApp(RunFolder.open(folder))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ListScreen)
        assert [n.message for n in app._notifications] == [views.not_installed("broken")]
        await pilot.press("enter")
        await pilot.pause()
        assert "Outcome" in screen_text(app)  # the generic view


# ---- the review app ----------------------------------------------------------------------------


@pytest.mark.parametrize("exc", ERRORS, ids=lambda e: type(e).__name__)
async def test_review_with_a_failing_body_hook_shows_the_generic_view_and_a_notice(
        run: Path, exc: BaseException) -> None:
    folder = run
    FAILING["review_body"] = exc
    app = ReviewApp(RunFolder.open(folder))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TranscriptScreen)  # the app is still running
        shown = screen_text(app)
        notice = f"protocol 'broken': its review_body hook failed ({type(exc).__name__}: "
        assert notice in shown and "Outcome" in shown and "Broken protocol's own view" not in shown
        assert any(n.message.startswith(notice) and n.message.endswith("showing the generic view")
                   for n in app._notifications)
        await pilot.press("n")  # the next transcript: the same failure is not noticed twice
        await pilot.pause()
        assert sum(n.message.startswith(notice) for n in app._notifications) == 1
        FAILING.clear()
        await pilot.press("p")
        await pilot.pause()
        assert "Broken protocol's own view of q1:plain" in screen_text(app)


async def test_review_with_failing_mark_and_judgment_body_hooks_keeps_going(run: Path) -> None:
    folder = run
    FAILING["judgment_mark"] = KeyError("correct")
    FAILING["judgment_body"] = TypeError("unsupported operand type(s) for +: 'int' and 'str'")
    app = ReviewApp(RunFolder.open(folder))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        listing = screen_text(app)
        assert "✓" not in listing and "✗" not in listing and "·" in listing
        mark_notice = "protocol 'broken': its judgment_mark hook failed (KeyError: 'correct')"
        assert [n.message for n in app._notifications] == [f"{mark_notice}; verdicts it cannot mark show ·"]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        body_line = "protocol 'broken': its judgment_body hook failed (TypeError: unsupported operand type(s)"
        assert body_line in screen_text(app)
        assert any(n.message.startswith(body_line) for n in app._notifications)


async def test_a_failing_transcript_mark_hook_leaves_the_verdict_filter_to_each_verdicts_mark(run: Path) -> None:
    FAILING["transcript_mark"] = TypeError("'<' not supported between instances of 'str' and 'float'")
    app = ReviewApp(RunFolder.open(run))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("v")  # verdict filter: correct
        await pilot.pause()
        assert isinstance(app.screen, ListScreen)
        assert [e["id"] for e in app.screen.rows] == ["q1:plain"]  # scripted "4": right for q1 only
        notice = ("protocol 'broken': its transcript_mark hook failed (TypeError: '<' not supported between "
                  "instances of 'str' and 'float'); the verdict filter goes by each verdict's own mark")
        assert [n.message for n in app._notifications] == [notice]


def test_views_body_falls_back_for_a_failing_hook_in_any_caller(register: Any) -> None:
    FAILING["review_body"] = KeyError("story_ref")
    transcript = {"id": "q1:plain", "protocol": "broken", "outcome": {"answer": "4"}, "events": []}
    built, notice = views.review_body(get_protocol("broken"), transcript, {})
    assert notice == "protocol 'broken': its review_body hook failed (KeyError: 'story_ref'); showing the generic view"
    assert built.source_ref == generic_body(transcript).source_ref and built.tree is None
    assert isinstance(views.body(transcript, {}), Body)


def test_a_tree_protocols_failing_body_becomes_a_one_node_tree(register: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "review_tree", True)
    transcript = {"id": "doc1:tree", "protocol": "broken", "outcome": {"root": None}, "events": [{"type": "node"}]}
    FAILING["review_body"] = RecursionError("maximum recursion depth exceeded while building the tree")
    built, notice = views.review_body(get_protocol("broken"), transcript, {})
    assert notice is not None and built.tree is not None and built.tree.root == "generic"
    assert built.tree.labels["generic"].plain == notice
    FAILING.clear()  # a tree protocol whose body gives no tree is a failure too, not an empty screen
    built, notice = views.review_body(get_protocol("broken"), transcript, {})
    assert notice == ("protocol 'broken': its review_body hook gave no tree, though review_tree is set; "
                      "showing the generic view") and built.tree is not None

