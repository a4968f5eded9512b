"""The progress line fits 80 columns whatever it counts, and still says count, tokens, cost and ETA."""

from __future__ import annotations

import io

from hypothesis import example, given, settings, strategies as st
from rich.cells import cell_len
from rich.console import Console

from oversight.cli.progress import RichProgress
from oversight.log.transcripts import Transcript
from oversight.models.types import Usage


def _lines(name: str, units: int, done: int, tokens: int, cost: float | None, width: int = 80) -> list[str]:
    console = Console(width=width, file=io.StringIO(), force_terminal=True, record=True, color_system=None)
    bar = RichProgress(console)
    bar.add_units(name, units)
    for _ in range(done):
        bar.unit_finished(Transcript(id="t", item_id="i", protocol="p", condition="c", run_id="r", attempt="a"),
                          Usage(input_tokens=tokens, output_tokens=0, cost_usd=cost))
    console.print(bar.progress.get_renderable())
    return console.export_text().rstrip("\n").splitlines()


@settings(max_examples=60, deadline=None)
@example("0000000000\u3001\u3001\u3001\u3001", 10000, 999950000, 10000.0)  # a full label and '1000.0M' overflowed
@example("00000000\u3001\u3001\u3001\u3001\u3001", 100_000, 9950001, 10000.0)  # a full label and six-digit counts
@given(st.text(st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=90),
       st.integers(1, 100_000), st.integers(0, 10**10), st.one_of(st.none(), st.floats(0, 10**5)))
def test_one_line_within_80_columns(name: str, units: int, tokens: int, cost: float | None) -> None:
    lines = _lines(name, units, min(units, 3), tokens, cost)
    assert len(lines) == 1 and cell_len(lines[0]) <= 80, lines
    assert f"/{units}" in lines[0] and "tok" in lines[0] and "$" in lines[0]
    assert "ETA" in lines[0] and "…" not in lines[0].split("ETA")[1]  # the ETA is never cut


def test_the_judge_line_that_collapsed() -> None:
    [line] = _lines("judge model:local:gemma-3-270m:66959eee", 32, 3, 26_256, None)
    assert line.startswith("judge model:local…") and "3/32" in line and "fail 0 26.3k tok $ n/a" in line


@given(st.integers(0, 10**12 - 1))
def test_token_counts_take_at_most_six_characters_and_never_shrink(tokens: int) -> None:
    from oversight.cli.progress import _tokens_text

    def value(text: str) -> float:
        return float(text[:-1]) * {"k": 1e3, "M": 1e6, "B": 1e9}[text[-1]] if text[-1].isalpha() else float(text)

    shown, more = _tokens_text(tokens), _tokens_text(tokens + 1)
    assert len(shown) <= 6 and abs(value(shown) - tokens) <= 0.05 * tokens + 0.5
    assert value(more) >= value(shown)
