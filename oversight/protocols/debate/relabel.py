"""Answer letters in speeches, relabelled for the swapped view only where that is certain.

Prompts ask speakers to name answers by content ("my answer", "my opponent's answer"), so a
letter in a speech is rare; when one appears, the swapped view (answers shown in the other
order) must never make it name the wrong answer. Each letter outside quoted story text is:

- swapped when it surely names an answer: after a label ("Debater A", "answer B", "option (a)",
  "the answer is B"), in brackets ("(A)", "[b]"), as a line-start enumeration ("A)", "B:"), after
  a word that takes an answer ("vote A", "than B", "not A", "unlike B", "so A"), or at the start
  of a clause before a verb or the end ("A is wrong", "A explains the ending", "B's quote", "A.");
  a letter joined by "and"/"or"/","/"vs." to one of these follows it ("answers A and B", "A vs. B");
  in single quotes or emphasis ('B', _A_) a letter is read as if bare;
- kept, uncounted, when it surely does not: a lower-case "a", the article "A" before a
  lower-case noun at the start of a clause ("A man walked"), a name with a letter ("Vitamin A",
  "Plan B", "type A", "Hepatitis B", "Exhibit A": after a NAME_NOUNS word), an abbreviation
  ("U.S.A.", "A.D.", "B.A."), a grade or a name glued to a sign ("A+", "B&B"),
  and every letter joined to one of those ("Vitamin A and B");
- otherwise left as written, marked UNRESOLVED_MARK after it, and counted: "In A Pail of Air",
  "I think B", a letter after another capitalised word ("Marguerite A"), an initial ("J. A. Smith",
  "B. Smith"), an "A" before a word that cannot follow the article and no verb ("A and the soup",
  "A then B"; "A clearly misreads" is swapped) ... A person or model reading the swapped view
  sees the mark; the verdict record and the debate table carry the count (`unresolved_references`).

Letters inside an unverified quote or any other tag are the speaker's words and are read like
the rest (the tags masked); only the verified marker's story text is left alone. A speech's own
`[as written]` is dropped before anything is read (`drop_forged_marks`), so a speaker cannot
pre-mark a letter to keep it from being relabelled or counted.

`params.swap: rerun` runs the debate itself in the other order instead: nothing is relabelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from oversight.protocols.shared.lookalike import skeleton

UNRESOLVED_MARK = "[as written]"
"""Follows a letter the swapped view left as written: it may name either answer."""
_OTHER = {"A": "B", "B": "A", "a": "b", "b": "a"}
_TAG = re.compile(r"<[^<>\n]{1,40}>")
"""A tag in a speech (`<u_quote>`, `<b>`): masked when letters are read, its text relabelled."""
_FORGED_MARK = re.compile(r"\[\s*as\W{0,3}written\s*\]")
_LETTER = re.compile(r"(?<![\w'\u2019&-])([ABab])(?![\w+&-])(?!\[as written\])")
_WRAPPED = re.compile(r"(?<!\w)(['\u2018\u2019_])([ABab])(['\u2019_])(?!\w)")
"""A letter in single quotes or markdown emphasis ('B', _A_): read like the bare letter."""
_LABELLED = re.compile(
    r"\b(?:debaters?|answers?|options?|choices?|letters?|positions?|consultant|responses?|candidates?)"
    r"\s*\(?\s*$|\b(?:answer|option|choice|verdict)\s+(?:is|was|would\s+be|should\s+be)\s*:?\s*$", re.IGNORECASE)
_PREV_WORD = re.compile(r"([\w'\u2019]+)[ \t]+$")
_NEXT_WORD = re.compile(r"[ \t]+([\w'\u2019]+)")
TAKES_ANSWER = frozenset(
    "than not vote voting voted choose chose chosen choosing pick picked picking select selected selecting support "
    "supports supporting supported defend defends defending defended favour favor favours favors favouring "
    "favoring prefer prefers preferring over against unlike versus vs either neither so thus hence therefore "
    "because but whereas while if whether why says claims argues backs back backing trust believe accept "
    "accepts reject rejects rejecting accepting endorse endorses is was be for".split())
"""A word before a capital letter that makes the letter an answer ("vote A", "than B")."""
VERBS_AFTER = frozenset(
    "is isn't was wasn't seems looks appears has hasn't had have wins won loses lost must should would could "
    "might may remains stands holds fails claims says argues relies cites quotes defends were will can cannot "
    "can't does doesn't did didn't won't shall also only alone itself alone's rests ignores misreads explains "
    "shows states suggests assumes insists admits concedes offers provides points contradicts confuses needs "
    "requires gets makes takes reads treats leaves omits skips overlooks misses ignored explained".split())
"""A word after a clause-initial capital letter that makes it an answer ("A is wrong", "B explains")."""
NAME_NOUNS = frozenset(
    "plan vitamin vitamins type types class grade group team exhibit appendix section part chapter page row "
    "column block building wing hall room floor gate platform track route line flight train bus car unit level "
    "batch sample subject patient variant model version size blood hepatitis category list string note key "
    "major minor channel plot point area zone sector squad company division ward cell file folder tape reel "
    "side door deck tower camp base station pier dock ramp lab laboratory cabin bay shaft hatch tank".split())
"""A word before a letter that makes the pair a name ("plan B", "blood type A")."""
_JOINERS = re.compile(r"^(?:['\u2019]s)?\s*(?:,|and|or|nor|&|/|vs\.?|versus|v\.)\s*$", re.IGNORECASE)
NOT_A_NOUN = frozenset(
    "vs versus and or nor but never not also too then alone itself instead still already even just merely simply only "
    "again always often seldom rarely thus therefore however yet".split())
"""A word after a clause-initial "A" that cannot follow the article: the "A" may be an answer."""
_TWO_WORDS = re.compile(r"[ \t]+([\w'\u2019]+)\.?[ \t]+([\w'\u2019]+)")
_SNIPPET = 30


@dataclass
class Relabelled:
    """A speech as the swapped view shows it, and what could not be relabelled with confidence."""

    text: str
    relabelled: int = 0
    unresolved: list[str] = field(default_factory=list)
    """A short snippet around each letter left as it was because it may not name an answer."""


def _verb_like(word: str) -> bool:
    w = word.lower()
    return w in VERBS_AFTER or (w.endswith("s") and not w.endswith(("ss", "us", "is", "ous", "ics")) and len(w) > 3)


def _classify(text: str, m: re.Match[str]) -> str:
    """'swap' (names an answer), 'keep' (surely not an answer), or 'unsure'."""
    letter, start, end = m.group(1), m.start(), m.end()
    left, right = text[max(0, start - 40):start], text[end:end + 40]
    if re.match(r"\.[A-Za-z]", right) or re.search(r"[A-Za-z]\.\Z", left):
        return "keep"  # an abbreviation: "U.S.A.", "A.D.", "B.A."
    if re.search(r"(?:^|\W)[A-Z]\.[ \t]+\Z", left):
        return "unsure"  # after an initial: "J. A. Smith"
    if _LABELLED.search(left) or (left.rstrip(" ").endswith(("(", "[")) and right.lstrip(" ").startswith((")", "]"))):
        return "swap"
    line_start = re.search(r"(?:^|\n)[ \t]*$", left) is not None
    if line_start and re.match(r"\s*[).:]", right):
        if re.match(r"\.[ \t]+[A-Z][a-z]", right) and not re.search(
                rf"(?:^|\n)[ \t]*{_OTHER[letter]}\.", text):
            return "unsure"  # "B. Smith wrote it": an initial, unless it is one item of a list "A. ... B. ..."
        return "swap"
    if letter == "a":
        return "keep"
    if letter == "b":
        return "unsure"
    prev = _PREV_WORD.search(left)
    if prev:
        word = prev.group(1)
        sentence_start = re.search(r"(?:^|[.!?:;\n\"'\u201c\u2018(*#>\-])\s*[\w'\u2019]+[ \t]+$", left) is not None
        if word.lower() in NAME_NOUNS:
            return "keep"
        if word[0].isupper() and not sentence_start and word.lower() not in TAKES_ANSWER:
            return "unsure"  # "Marguerite A", or a sentence whose full stop is missing: "... tremble Only A"
    nxt = _NEXT_WORD.match(right)
    if nxt and nxt.group(1)[0].isupper():  # "A Pail of Air", "B Martha": a title or a name may follow
        return "unsure"
    if prev and prev.group(1).lower() in TAKES_ANSWER:
        return "swap"
    if right.startswith(("'s", "\u2019s")):  # "which A's defender": a name would have been kept above
        return "swap"
    if re.match(r"\.[ \t]+[A-Z][a-z]", right):
        return "unsure"  # "Then B. Smith wrote": may be an initial
    if not nxt or re.match(r"\s*[.!?,;:)]", right):
        return "swap" if not prev or re.search(r"[.!?:;,(]\s*$", left) or prev.group(1).lower() in TAKES_ANSWER \
            else "unsure"
    word = nxt.group(1)
    if _verb_like(word):
        return "swap"
    if word.lower() in NOT_A_NOUN or word.lower().endswith("ly"):  # "A clearly misreads", "A never quotes"
        two = _TWO_WORDS.match(right)
        return "swap" if two and _verb_like(two.group(2)) else "unsure"
    clause_start = not prev or re.search(r"[.!?:;\"(\u201c]\s*$", left) is not None
    if letter == "A" and clause_start and word[0].islower():
        return "keep"
    return "unsure"


def drop_forged_marks(text: str) -> str:
    """A speech's own `[as written]` (or a look-alike) removed: only the relabeller writes it."""
    spans = [m.span() for m in _FORGED_MARK.finditer(skeleton(text))]
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    return text


def swap_references(text: str, verified_tag: str = "v_quote") -> Relabelled:
    """Swap every sure reference to answer A or B for the swapped view. Story text inside the
    verified marker is never relabelled; the words of other tags (an unverified quote, `<b>`) are
    the speaker's and are, with the tags themselves masked while letters are read."""
    out = Relabelled(text)
    protected = re.compile(rf"<{re.escape(verified_tag)}>.*?(?:</{re.escape(verified_tag)}>|$)", re.DOTALL)
    pieces: list[str] = []
    last = 0

    def relabel(chunk: str) -> str:
        # Context is read on the case-keeping skeleton, so "Dеbater B" (a Cyrillic е) reads as
        # "Debater B"; letters are replaced in the text itself.
        skel = _WRAPPED.sub(lambda w: f" {w.group(2)} ", skeleton(chunk, keep_case=True))
        skel = _TAG.sub(lambda t: " " * len(t.group(0)), skel)
        matches = list(_LETTER.finditer(skel))
        kinds = [_classify(skel, m) for m in matches]
        for i in range(1, len(kinds)):  # "A and B", "A, B or C": a joined letter follows the first
            if _JOINERS.match(chunk[matches[i - 1].end():matches[i].start()]) and kinds[i - 1] != "unsure":
                kinds[i] = kinds[i - 1]
        for i in range(len(kinds) - 2, -1, -1):  # "Vitamins A and B": the first follows a sure name
            if _JOINERS.match(chunk[matches[i].end():matches[i + 1].start()]) and kinds[i + 1] == "keep" \
                    and kinds[i] == "unsure":
                kinds[i] = "keep"
        for i in range(len(kinds) - 2, -1, -1):  # "A vs. B" with B sure: A names the other answer
            if _JOINERS.match(chunk[matches[i].end():matches[i + 1].start()]) and kinds[i + 1] == "swap" \
                    and kinds[i] == "unsure":
                kinds[i] = "swap"
        parts, last_end = [], 0
        for m, kind in zip(matches, kinds):
            parts.append(chunk[last_end:m.start()])
            if kind == "swap":
                out.relabelled += 1
                parts.append(_OTHER[m.group(1)])
            elif kind == "unsure":
                snippet = chunk[max(0, m.start() - _SNIPPET):m.end() + _SNIPPET]
                out.unresolved.append(" ".join(snippet.split()))
                parts.append(m.group(1) + UNRESOLVED_MARK)
            else:
                parts.append(m.group(1))
            last_end = m.end()
        parts.append(chunk[last_end:])
        return "".join(parts)

    for q in protected.finditer(text):
        pieces.append(relabel(text[last:q.start()]))
        pieces.append(q.group(0))
        last = q.end()
    pieces.append(relabel(text[last:]))
    out.text = "".join(pieces)
    return out


def swap_labels(text: str, verified_tag: str = "v_quote") -> str:
    """The text with every sure answer reference swapped (see `swap_references`)."""
    return swap_references(text, verified_tag).text


__all__ = ["NAME_NOUNS", "NOT_A_NOUN", "Relabelled", "TAKES_ANSWER", "UNRESOLVED_MARK", "VERBS_AFTER",
           "drop_forged_marks", "swap_labels", "swap_references"]
