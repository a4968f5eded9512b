"""The generic review and judging screens use generic words: the stored text a transcript
refers to, whatever its outcome calls it; the form's common titles, with a protocol's own
titles and order from its hooks; `judge --help` in terms of views."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from oversight.cli.main import _parser
from oversight.log.texts import text_ref
from oversight.protocol.contract import JudgeView
from oversight.protocol.review import FORM_TITLES, generic_body, generic_form
from oversight.protocols.debate import DebateProtocol


def _text(renderable: Any) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("field", ["story_ref", "source", "book"])
def test_the_generic_body_opens_the_stored_text_the_outcome_refers_to(field: str) -> None:
    ref = text_ref("The keeper counted the gulls at dawn.")
    body = generic_body({"id": "t1", "outcome": {"answer": "sha256:not-a-ref", field: ref, "n": 3}})
    assert body.source_ref == ref


def test_an_outcome_with_no_stored_text_has_none_to_open() -> None:
    assert generic_body({"id": "t1", "outcome": {"summary": "sha256:abc", "words": 40}}).source_ref is None
    assert generic_body({"id": "t1", "outcome": None}).source_ref is None


def test_the_common_titles_name_no_protocols_variables() -> None:
    assert not {"story", "answer_a", "answer_b", "transcript", "title"} & set(FORM_TITLES)


def test_a_protocols_titles_and_order_come_from_its_hooks() -> None:
    view = JudgeView(key="original", template="judge_debate", answer_kind="choice", choices=("a cook", "a keeper"),
                     variables={"question": "Who saved him?", "answer_a": "a cook", "answer_b": "a keeper",
                                "transcript": "Debater A: it was the cook.", "story": "It was a dark night.",
                                "title": "The Night Train", "verified_tag": "v_quote", "unverified_tag": "u_quote"})
    shown = _text(DebateProtocol().form_body(view))
    heads = ["The Night Train", "Story", "Question", "Answer A", "Answer B", "Transcript"]
    places = [shown.index(f"\n{h}\n") if h != "The Night Train" else shown.index(h) for h in heads]
    assert places == sorted(places), shown
    plain = _text(generic_form(view))  # a protocol without the titles: names capitalised, view order
    assert "Answer a" in plain and "Answer A\n" not in plain


def test_judge_help_speaks_of_views(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["judge", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "P(A)" not in shown and "answer orders" not in shown
    assert "judge every view the protocol shows one part in" in shown
