"""Judge ids: one name is one judge, and no two ids that look the same count as two."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.core.errors import UserError
from oversight.core.safe_text import INVISIBLE, judge_id


def take(value: str) -> str:
    return judge_id(value, field="--judge-id", missing="--judge-id is blank")


@pytest.mark.parametrize("name", ["ann lee", "Jos\u00e9", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
                                  "\u0631\u0636\u0627\u200c\u0627\u06cc", "\u0915\u094d\u200d\u0937",
                                  "\u0915\u094d\u200c\u0937", "\u674e\u96f7", "-ann", "O'Brien"])
def test_names_as_their_scripts_spell_them_are_taken(name: str) -> None:
    assert take(name) == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize("bad", ["a\u034fnn", "ann\ufe0f", "a\u180bnn", "a\u17b4nn", "a\u200cnn", "a\u200dnn",
                                 "\U0001f469\u200d\U0001f4bb", "\u200c\u0645\u06cc", "\u0915\u094d\u200d", "an\u00adn", "a\u2060nn"])
def test_an_invisible_character_outside_a_spelling_is_refused_with_its_code_point(bad: str) -> None:
    with pytest.raises(UserError, match=r"control or invisible characters \(U\+[0-9A-F]{4}"):
        take(bad)


@pytest.mark.parametrize("bad", ["\u0301", "\u0301ann", " \u20dd ", "\u0e31"])
def test_an_id_without_a_base_character_is_refused(bad: str) -> None:
    with pytest.raises(UserError, match="must start with a letter"):
        take(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_any_taken_id_is_nfc_trimmed_and_free_of_invisible_characters(value: str) -> None:
    try:
        taken = take(value)
    except UserError as e:
        assert "\n" not in str(e)
        return
    assert taken == unicodedata.normalize("NFC", taken) == " ".join(taken.split())
    assert take(taken) == taken  # taking it again changes nothing
    for i, ch in enumerate(taken):
        assert unicodedata.category(ch) not in ("Cc", "Co", "Cs", "Cn", "Zl", "Zp"), repr(taken)
        if INVISIBLE.match(ch) or unicodedata.category(ch) == "Cf":
            assert ch in "\u200c\u200d" and i > 0 and i < len(taken) - 1, repr(taken)
    assert not unicodedata.category(taken[0]).startswith("M")


@pytest.mark.parametrize(("one", "other"), [("O\u2019Brien", "o'brien"), ("o\u02bcbrien", "O'Brien"),
                                            ("ann\u2010lee", "ann-lee"), ("\ufb01ona", "fiona"), ("\u2160\u2160", "II"),
                                            ("\uff41nn", "ann"), ("Jose\u0301", "jos\u00e9")])
def test_one_name_typed_on_two_keyboards_is_one_person(one: str, other: str) -> None:
    from oversight.tui.judgelock import same_person

    assert same_person(take(one)) == same_person(take(other))
    assert same_person("ann") != same_person("anne")
