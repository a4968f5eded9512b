"""Our quote markers in model text: find look-alikes of them, neutralise forged ones.

A speech is `clean`ed first (lookalike.py); marker patterns then run on its `skeleton`, so a tag
written with fullwidth brackets, a Cyrillic letter, an entity, a zero-width space or any
separator between its letters (`v-quote`, `V _ Quote`) is found like the plain one. Offsets
found in the skeleton are applied to the cleaned text (same length).

Two entry points:
- `neutralise_markers`: before quotes are checked, every look-alike of a judge's marker in a
  speech becomes the plain quote tag, so what it wraps is checked like any other quote.
- `safe_shown`: when a stored speech is shown, the exact markers our checker wrote are kept;
  any other marker-like text (a forged one in an older transcript or an import) becomes a
  plain double quote, and unbalanced markers are dropped the same way.

Both first undo what could hide a tag from the patterns yet let a reader (or a model) rebuild
it: HTML comments are removed (`<v_<!-- -->quote>`), percent-encoded brackets and slashes are
decoded (`%3Cv_quote%3E`, `%253C`), and tags named like a verdict on a quote (`<verified>`,
`<unverified_quote>`) count as look-alikes of the markers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from oversight.protocols.shared.lookalike import clean, skeleton

_SEP = r"[^a-z0-9<>\[\]{}()]{0,3}"
"""What may sit between the letters of a forged tag name: up to three separators."""


ALIASES = ("verified", "unverified")
"""Tag names that read as our markers to a judge although they are not ours (bracketed only:
the bare words are ordinary prose)."""
_COMMENT = re.compile(r"<!--.*?--!?>|<!--", re.DOTALL)
_PERCENT = re.compile(r"%(?:25)*(3c|3e|2f)", re.IGNORECASE)
_PERCENT_CHARS = {"3c": "<", "3e": ">", "2f": "/"}


def unhide(text: str) -> str:
    """HTML comments removed (as a browser hides them; an unclosed `<!--` alone, so the rest of
    the speech stays visible) and percent-encoded brackets and slashes decoded, so a tag they
    split or encode is found like the plain one."""
    text = _COMMENT.sub("", text)
    return _PERCENT.sub(lambda m: _PERCENT_CHARS[m.group(1).lower()], text)


def loose_name(name: str) -> str:
    """A tag name as a skeleton pattern: its letters and digits, any few separators between."""
    chars = [c for c in name.lower() if c.isalnum()]
    return _SEP.join(re.escape(c) for c in chars)


@lru_cache(maxsize=32)
def marker_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """A tag (any bracket look-alike, `[`, `{` or `(`) whose name is one of `names`, opening or
    closing, attributes allowed, possibly cut off by the end of the text; group 1 is the slash."""
    alternatives = "|".join(loose_name(n) for n in names)
    return re.compile(
        rf"[<\[{{(]\s*(/?)\s*(?:{alternatives})(?![a-z0-9])[^<>\[\]{{}}()]{{0,80}}?(?:[>\]}})]|$)")


@lru_cache(maxsize=32)
def bare_name_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """A marker's name written without brackets ("v_quote: ..."), as a word."""
    alternatives = "|".join(loose_name(n) for n in names)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, new in spans:
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def neutralise_markers(speech: str, tag: str, names: tuple[str, ...]) -> str:
    """`speech` cleaned, with every look-alike of a marker named in `names` turned into the plain
    `<tag>` / `</tag>` (a bare name into the word `quote`)."""
    text = unhide(clean(speech))
    skel = skeleton(text)
    spans = [(m.start(), m.end(), f"<{m.group(1)}{tag}>") for m in marker_pattern(names + ALIASES).finditer(skel)]
    text = _replace_spans(text, spans)
    skel = skeleton(text)
    bare = [(m.start(), m.end(), "quote") for m in bare_name_pattern(names).finditer(skel)]
    return _replace_spans(text, bare)


@lru_cache(maxsize=32)
def _exact(verified_tag: str, unverified_tag: str) -> re.Pattern[str]:
    names = "|".join(re.escape(t) for t in (verified_tag, unverified_tag))
    return re.compile(rf"<(/?)({names})>")


def safe_shown(shown: str, verified_tag: str = "v_quote", unverified_tag: str = "u_quote") -> str:
    """A stored speech as it may be shown: exact, balanced markers kept; any other text that looks
    like a marker becomes a plain double quote; the text between markers cleaned."""
    names = (verified_tag, unverified_tag)
    pieces: list[str] = []
    open_tag: str | None = None
    last = 0

    def plain(chunk: str) -> str:
        text = unhide(clean(chunk))
        skel = skeleton(text)
        text = _replace_spans(text, [(m.start(), m.end(), '"') for m in marker_pattern(names + ALIASES).finditer(skel)])
        skel = skeleton(text)
        return _replace_spans(text, [(m.start(), m.end(), "quote") for m in bare_name_pattern(names).finditer(skel)])

    held: list[tuple[int, str]] = []  # index in pieces of an opening marker not yet closed
    for m in _exact(verified_tag, unverified_tag).finditer(shown):
        pieces.append(plain(shown[last:m.start()]))
        closing, name = m.group(1) == "/", m.group(2)
        if not closing and open_tag is None:
            open_tag = name
            held.append((len(pieces), name))
            pieces.append(m.group(0))
        elif closing and open_tag == name:
            open_tag = None
            held.clear()
            pieces.append(m.group(0))
        else:
            pieces.append('"')
        last = m.end()
    pieces.append(plain(shown[last:]))
    for index, _ in held:  # an opening marker never closed
        pieces[index] = '"'
    return "".join(pieces)


__all__ = ["ALIASES", "bare_name_pattern", "loose_name", "marker_pattern", "neutralise_markers", "safe_shown", "unhide"]
