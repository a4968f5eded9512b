"""Text a reader sees and the form forgery checks see, so look-alike characters forge nothing.

Model text reaches a judge through markers we write ourselves (verified quotes, speaker turns).
A speech can imitate them with characters that look the same: fullwidth `＜v_quote＞`, a
zero-width space inside a tag, a Cyrillic `о`, an HTML entity `&lt;v_quote&gt;`, bidi controls
that reorder what is displayed. Two steps close that:

- `clean(text)`: what is shown. HTML entities decoded (bounded, so `&amp;lt;` also decodes),
  Unicode NFKC (fullwidth and mathematical letters become ASCII), and every invisible format
  character removed: zero-width spaces and joiners, bidi embeddings, overrides and isolates,
  the soft hyphen, word joiners, variation selectors, tag characters. Shown text therefore never
  carries a bidi control, and a verified quote (which is shown text) never does either.
- `skeleton(text)`: the same length as `text`, one character per character, lower case, with
  every character that Unicode's confusables data (UTS #39, through the `confusable-homoglyphs`
  package) lists as a look-alike of an ASCII character replaced by it, and bracket look-alikes
  (`‹ « 〈 ⟨ ❬ ❮ ˂ ᐸ`) folded to `<` / `>`, colon look-alikes (`∶ ꞉ ː ⁝ ⋮`) to `:`, dash look-alikes
  (`‒ ― ─`) to `-`, a Latin letter with diacritics (`ẹ`) to the letter. Patterns for our markers run on the skeleton;
  their offsets apply unchanged to the text it was made from. The skeleton is never shown:
  Cyrillic or Greek prose stays as written.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables

from oversight.core.safe_text import INVISIBLE

BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Bidi marks, embeddings, overrides and isolates (a subset of INVISIBLE)."""
_OPENERS = "<‹«〈⟨❬❮⦉⧼˂ᐸ＜﹤"
_CLOSERS = ">›»〉⟩❭❯⦊⧽˃ᐳ＞﹥"
_COLONS = "\u02d0\u02f8\u0589\u05c3\u0703\u0704\u1361\u1365\u16ec\u1804\u205d\u22ee\ua6f4\u205a\u2236\u2982\ua4fd\ua789\ufe13\ufe55"
"""Characters drawn as a colon that the confusables data does not fold to one (`∶ ꞉ ː ׃ ⦂`)."""
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u23af\u2500\u2501\u2796\u2e3a\u2e3b\ufe58\ufe63\uff0d"
"""Characters drawn as a dash or a rule (`‒ ― ─ ⸺ ⎯`), folded to `-`."""
_BRACKETS = {**{c: "<" for c in _OPENERS}, **{c: ">" for c in _CLOSERS}, **{c: ":" for c in _COLONS},
             **{c: "-" for c in _DASHES}}
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def decode_entities(text: str) -> str:
    """HTML entities decoded until nothing changes (at most three times: `&amp;amp;lt;`)."""
    for _ in range(3):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def clean(text: str) -> str:
    """What a judge is shown of model text: entities decoded, NFKC, no invisible characters,
    every line break a plain newline."""
    text = unicodedata.normalize("NFKC", decode_entities(text))
    text = INVISIBLE.sub("", text)
    return _LINE_BREAKS.sub("\n", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    """One character's skeleton: lower-case ASCII when it, or its other case, is (or looks like)
    one, else itself. The other case counts because the confusables data lists only one of them
    (`Т` looks like `T`, `т` like nothing): `Тур` and `тур` then fold alike."""
    folded = _fold_as_written(ch)
    if not folded.isascii():
        other = ch.upper() if ch.islower() else ch.lower()
        if len(other) == 1 and other != ch and _fold_as_written(other).isascii():
            return _fold_as_written(other)
    return folded


@lru_cache(maxsize=8192)
def _fold_as_written(ch: str) -> str:
    if ch in _BRACKETS:
        return _BRACKETS[ch]
    if ch.isascii():
        return ch.lower()
    nfkc = unicodedata.normalize("NFKC", ch)
    if len(nfkc) == 1 and nfkc.isascii():
        return nfkc.lower()
    base, *marks = unicodedata.normalize("NFD", nfkc)
    if marks and base.isascii() and all(unicodedata.combining(m) for m in marks):
        return base.lower()
    found = confusables.is_confusable(ch, preferred_aliases=["latin", "common"])
    for entry in found or []:
        for glyph in entry["homoglyphs"]:
            c = glyph["c"]
            if len(c) == 1 and c.isascii() and c.isprintable():
                return _BRACKETS.get(c, c.lower())
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


@lru_cache(maxsize=8192)
def _fold_keep_case(ch: str) -> str:
    f = _fold(ch)
    up = f.upper()
    return up if ch.isupper() and len(up) == 1 else f


def skeleton(text: str, *, keep_case: bool = False) -> str:
    """`text` folded character by character (same length): see the module docstring.
    `keep_case`: an upper-case character folds to upper case (for rules that read case).
    One `str.translate` over a table of the text's distinct non-ASCII characters."""
    if text.isascii():
        return text if keep_case else text.lower()
    fold = _fold_keep_case if keep_case else _fold
    table: dict[int, str | int] = {} if keep_case else dict(_ASCII_LOWER)
    for ch in set(text):
        if not ch.isascii():
            table[ord(ch)] = fold(ch)
    return text.translate(table)


__all__ = ["BIDI", "INVISIBLE", "clean", "decode_entities", "skeleton"]
