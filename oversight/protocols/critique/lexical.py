"""The lexical grader: does a reported flaw name one of the gold flaws, judged from words alone?

Shared words are weak evidence: a report that merely restates the answer shares most words of
any flaw about it ("thinned by 83 metres"), and numbers are easy to echo in the wrong place.
So a report matches a gold flaw (method `LEXICAL_METHOD`) only when all of these hold:

1. overlap: the overlap coefficient of content words is at least the threshold (one shared
   word is never enough when both sides have two or more);
2. correction: it shares at least one word of the flaw that the answer does not contain (the
   flaw's correction: "38" where the answer says 83, "nerves" where it says hormones), when
   the flaw has any;
3. numbers in place: a shared number counts only where its unit and neighbouring words agree
   with the flaw's (the flaw's "1867 fire" is not the report's "founded in 1867"; "38 metres" is not
   "38 kilometres");
4. no misquote: a number or a word of measure the report attributes to the answer ("the answer
   says 1938", "... takes several seconds", or the part before "but the passage says") must be in
   the answer, what it quotes must be what the
   flaw is about, and a value it gives as the passage's must not contradict the flaw's
   correction ("the passage says 30 plots" for 64);
5. no endorsement: a report that calls the claim right ("as the answer correctly says",
   "which matches the passage", "...; fine") names no flaw;
6. the same kind: a report that something is missing ("is not mentioned", "should mention")
   names only a flaw that is an omission ("Omits ...", "Does not say ..."): that the thinning
   figure is missing is not that the answer gives it wrong.

Without the answer's text, only rules 1, 3, 5 and 6 apply.
"""

from __future__ import annotations

import re

LEXICAL_METHOD = ("lexical: content-word overlap >= threshold, sharing a word of the flaw's correction "
                  "(absent from the answer), numbers in matching context, no misquote of the answer, no endorsement")
"""How the lexical grader decides, as written into metrics.json and the table's legend."""

# Words that appear in almost every flaw description and so say nothing about which flaw it is.
_STOPWORDS = frozenset(
    """a an the and or but of to in on at by for with from as is are was were be been being it its
    this that these those there their they them he she his her him we our you your i not no nor do does
    did has have had can could should would will may might must than then so such also only just very
    about into over under more most less which who whom what when where why how all any each some other
    after before during until since came went got make made gives give given
    answer answers passage question text says say said states stated claims claim mentions mention
    flaw flaws critique incorrect wrong error mistake correct actually instead should but while
    """.split()
)
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ed", "es", "ly", "s")
_UNITS = {"m": "metre", "meter": "metre", "meters": "metre", "km": "kilometre", "kilometer": "kilometre",
          "kilometers": "kilometre", "%": "percent", "per": "percent", "yrs": "year", "kg": "kilogram",
          "min": "minute", "mins": "minute", "hrs": "hour"}
"""Abbreviations and spellings of a unit, to the word that stems like the others."""
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+|%|[;:,.()]")
_BARRIER = frozenset(";:,.()")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_SPLIT = re.compile(r";|[()]|\s[—–-]\s|—|(?<=[a-z0-9%])[.!?](?=\s|$)|,?\s+\b(?:but|whereas|while|however|although)\b",
                    re.IGNORECASE)
_NOT = re.compile(r",\s*(?:not|rather than|instead of)\b|\s+\b(?:rather than|instead of)\b", re.IGNORECASE)
_BY_ANSWER = re.compile(
    r"\b(?:the\s+(?:answer|response|summary)(?:'s)?\s+(?:says|said|states|claims|gives|puts|reports|has|writes|asserts"
    r"|figure|number|date|year)|according to the (?:answer|response))\b|^\W*(?:says|gives|claims|states|puts)\b"
    r"|\b(?:is|are)\s+(?:mentioned|given|stated|quoted)\b",
    re.IGNORECASE)
_BY_PASSAGE = re.compile(
    r"^\W*(?:(?:the\s+)?(?:passage|text|story|source|article|original|report|study)\s+(?:actually\s+)?"
    r"(?:says|said|states|gives|reports|puts|has|shows|notes|mentions|explains|expects|makes|records)"
    r"|according to the (?:passage|text|story|source))\b", re.IGNORECASE)
_FAULTED = re.compile(r"([^;:,.()]+?)\s+(?:is|are|was|were)\s+(?:also\s+)?(?:wrong|inaccurate|incorrect|false|mistaken|"
                      r"overstated|understated|off)\b", re.IGNORECASE)
""""<what> is wrong": the report's own statement of what it finds at fault."""
_ENDORSE = re.compile(
    r"\b(?:correctly|accurately|rightly|(?:is|are|was|were)\s+(?:indeed\s+)?(?:right|correct|accurate|true)\b"
    r"|matches\s+(?:the|what)|consistent\s+with|agrees\s+with"
    r"|as\s+the\s+(?:passage|text|answer|response)\s+(?:says|states|puts\s+it|gives)"
    r"|[;:,]\s*(?:(?:that's|that\s+is|this\s+is|which\s+is)\s+)?(?:fine|ok|okay|no\s+(?:problem|issue))\W*$)",
    re.IGNORECASE)
_OMISSION_REPORT = re.compile(
    r"\b(?:is|are|was|were)\s+(?:missing|left\s+out|omitted|not\s+(?:mentioned|named|given|stated|included))\b"
    r"|\b(?:should|could|ought\s+to|needs?\s+to)\s+(?:also\s+)?(?:mention|include|say|note|name|explain)\b"
    r"|\bno\s+mention\b", re.IGNORECASE)
"""A report that says something is absent rather than wrong."""
_OMISSION_FLAW = re.compile(r"^\W*(?:omits|leaves\s+out|does\s+not\s+(?:say|mention|give|explain|include)|"
                            r"doesn't\s+(?:say|mention|give|explain|include)|fails\s+to|never\s+(?:says|mentions))\b",
                            re.IGNORECASE)
"""A gold flaw that is an omission (how the flaw descriptions begin)."""
_NEGATED = re.compile(r"\b(?:not|n't|never|no)\s+(?:\w+\s+)?$", re.IGNORECASE)


_MEASURES = ("second", "minute", "hour", "day", "week", "month", "year", "decade", "century", "centuries",
             "metre", "meter", "kilometre", "kilometer", "mile", "percent", "gram", "kilogram", "tonne", "litre",
             "liter", "degree", "foot", "feet", "inch")
"""Words of measure a report may misquote as surely as a number ("several seconds" for minutes)."""
_QUANTITY = re.compile(r"(?:\d[\d,.]*|\b(?:several|few|many|some|a|an|one|two|three|four|five|six|seven|eight|nine|"
                       r"ten|twelve|twenty|fifty|hundreds?\s+of|thousands?\s+of|dozens?\s+of))\s*([a-z]+)(?:\s+([a-z]+))?")
"""A word after a number or a quantity ("several seconds", "34 more minutes", "a year"): a measure
only there, never "the year she became keeper"."""
_TURN = re.compile(r"\b(?:when|though|yet|in\s+fact|actually|whereas|while)\b", re.IGNORECASE)
"""Where a sentence that began with the answer's claim turns to what is true."""


def _stem(word: str) -> str:
    """A crude stemmer: drop one common suffix, keep five letters ("automated", "automation"
    and "automate" all become "autom"; "started" and "start" meet at "start")."""
    if word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:  # "vote" and "voted" meet at "vot"
        word = word[:-1]
    return word[:5]


def content_words(text: str) -> set[str]:
    """Words that identify a flaw: no stopwords, numbers kept whole, the rest stemmed."""
    return {
        _stem(word)
        for word in re.findall(r"[a-z0-9]+", text.lower())
        if word not in _STOPWORDS and (len(word) >= 3 or word.isdigit())
    }


_MEASURE_STEMS = frozenset(map(_stem, _MEASURES))


def lexical_score(a: str, b: str) -> tuple[float, set[str]]:
    """Overlap coefficient of content words, |A∩B| / min(|A|, |B|), and the shared words.

    One shared word is not enough when both sides have two or more content words.
    """
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0, set()
    shared = wa & wb
    if len(shared) < min(2, len(wa), len(wb)):
        return 0.0, shared
    return len(shared) / min(len(wa), len(wb)), shared


def _number(token: str) -> str | None:
    if not token[:1].isdigit():
        return None
    return token.replace(",", "") if _THOUSANDS.match(token) else token


def numbers(text: str) -> set[str]:
    """Numbers as written, thousands separators dropped ("1,900" is "1900"; "1.5" stays)."""
    return {n for n in (_number(t) for t in _TOKEN.findall(text.lower())) if n is not None}


def _unit(token: str | None) -> str | None:
    if token is None or token[:1].isdigit() or token in _BARRIER:
        return None
    if token in _UNITS:
        return _stem(_UNITS[token])
    return None if token in _STOPWORDS or len(token) < 3 else _stem(token)


def _contexts(text: str) -> dict[str, list[tuple[str | None, set[str]]]]:
    """Each number's unit (the word right after it, normalised: "m" is "metre") and its
    neighbouring content words (two tokens either side, not across punctuation)."""
    tokens = _TOKEN.findall(text.lower())
    out: dict[str, list[tuple[str | None, set[str]]]] = {}
    for i, token in enumerate(tokens):
        n = _number(token)
        if n is None:
            continue
        before, after = tokens[max(0, i - 2):i], tokens[i + 1:i + 3]
        before = before[max((k + 1 for k, t in enumerate(before) if t in _BARRIER), default=0):]
        after = after[:next((k for k, t in enumerate(after) if t in _BARRIER), len(after))]
        near = {u for u in map(_unit, before + after) if u is not None}
        out.setdefault(n, []).append((_unit(tokens[i + 1]) if i + 1 < len(tokens) else None, near))
    return out


def _agree(a: tuple[str | None, set[str]], b: tuple[str | None, set[str]]) -> bool:
    """Two mentions of a number are of the same thing unless their units differ, or both have
    neighbouring words and none is shared."""
    if a[0] is not None and b[0] is not None:
        return a[0] == b[0]
    return not a[1] or not b[1] or bool(a[1] & b[1])


def _numbers_in_place(report: str, flaw: str) -> set[str]:
    """Numbers the two share about the same thing (some pair of mentions agrees)."""
    a, b = _contexts(report), _contexts(flaw)
    return {n for n in set(a) & set(b) if any(_agree(x, y) for x in a[n] for y in b[n])}


def _wrong_value(statements: list[str], flaw: str, answer: str) -> str | None:
    """A number the report gives as the truth for a quantity whose true value, by the flaw, is
    another one the report never gives for it ("the passage says 30 plots" for 64 plots)."""
    given = [(n, unit) for part in statements for n, ctx in _contexts(part).items() for unit, _ in ctx]
    stated = set(given)
    right_for = {unit: n for n, ctx in _contexts(flaw).items() if n not in numbers(answer)
                 for unit, _ in ctx if unit is not None}
    for n, unit in given:
        right = right_for.get(unit) if unit is not None else None
        if right is not None and right != n and (right, unit) not in stated and (right, None) not in stated:
            return f"{n} {unit}"
    return None


def _parts(report: str) -> tuple[list[str], list[str], list[str]]:
    """(said, implied, corrections): the parts of a report that say what the answer claims in so
    many words (attributed to it, after ", not": "38 metres, not 83", or called wrong: "the
    retreat figure is wrong"), the parts that imply it (put before "but the passage says"), and
    the parts that say what is right (attributed to the passage, or before ", not")."""
    parts = [p for p in _SPLIT.split(report) if p and p.strip()]
    said: list[str] = []
    implied: list[str] = []
    corrections: list[str] = []
    for i, part in enumerate(parts):
        head, *after_not = _NOT.split(part, maxsplit=1)
        said += after_not
        if _BY_PASSAGE.search(head):
            corrections.append(head)
        elif _BY_ANSWER.search(head):
            said.append(head)
        elif i + 1 < len(parts) and _BY_PASSAGE.search(parts[i + 1]):
            implied.append(head)
        elif after_not:
            corrections.append(head)
    said += [m.group(1) for m in _FAULTED.finditer(report)]
    return said, implied, corrections


def _attributed_measures(report: str, answer: str) -> set[str]:
    """Words of measure the report puts in the answer's mouth ("the answer says it takes several
    seconds", or the part before "but the passage says") that the answer does not contain, or
    does not give to that number."""
    parts = [p for p in _SPLIT.split(report) if p and p.strip()]
    heads = [_TURN.split(_NOT.split(part, maxsplit=1)[0], maxsplit=1)[0] for part in parts]
    claimed = [h for i, h in enumerate(heads) if _BY_ANSWER.search(h) and not _BY_PASSAGE.search(h)
               or (i + 1 < len(parts) and _BY_PASSAGE.search(parts[i + 1]) and not _BY_PASSAGE.search(h))]
    found = {w for h in claimed for m in _QUANTITY.finditer(h.lower()) for w in m.groups()
             if w and _stem(w) in _MEASURE_STEMS}
    have = {_stem(w) for w in re.findall(r"[a-z]+", answer.lower())}
    units = {n: {u for u, _ in ctx} for n, ctx in _contexts(answer).items()}
    wrong_unit = {f"{n} {u}" for h in claimed for n, ctx in _contexts(h).items() for u, _ in ctx
                  if n in units and u is not None and u in _MEASURE_STEMS and None not in units[n]
                  and u not in units[n]}  # "83 kilometres" where the answer says 83 metres
    return {w for w in found if _stem(w) not in have} | wrong_unit


def _endorses(report: str) -> bool:
    return any(not _NEGATED.search(report[:m.start()]) for m in _ENDORSE.finditer(report))


def identifies(report: str, flaw: str, threshold: float, answer: str | None = None) -> tuple[float, str | None, set[str]]:
    """(overlap, reason it is not a match or None, words that count) for one report and one flaw."""
    score, shared = lexical_score(report, flaw)
    report_numbers, flaw_numbers = numbers(report), numbers(flaw)
    misplaced = (report_numbers & flaw_numbers) - _numbers_in_place(report, flaw)
    if misplaced:
        shared = shared - misplaced
        score, _ = lexical_score(" ".join(sorted(content_words(report) - misplaced)), flaw)
    if score < threshold:
        extra = f" ({', '.join(sorted(misplaced))} in another context)" if misplaced else ""
        return score, f"overlap {score:.2f} is below {threshold:g}{extra}", shared
    if _endorses(report):
        return score, "it calls the claim right, which names no flaw", shared
    if _OMISSION_REPORT.search(report) and not _OMISSION_FLAW.search(flaw):
        return score, "it says something is missing, and the flaw is not an omission", shared
    if answer is not None:
        correction = content_words(flaw) - content_words(answer)
        if correction and not (shared & correction):
            return score, (f"shares only words the answer itself contains; none of the flaw's correction "
                           f"({', '.join(sorted(correction))})"), shared
        said, implied, corrections = _parts(report)
        if said and not content_words(" ".join(said)) & (shared | correction):
            return score, "what it says the answer claims is not what the flaw is about", shared
        quoted = set().union(*(numbers(c) for c in said + implied)) - numbers(answer)
        if quoted:
            return score, f"attributes {', '.join(sorted(quoted))} to the answer, which does not contain it", shared
        measures = _attributed_measures(report, answer)
        if measures:
            return score, (f"attributes {', '.join(sorted(measures))} to the answer, which does not say it "
                           "(a misquote)"), shared
        wrong = _wrong_value(corrections if said or implied or corrections else [report], flaw, answer)
        if wrong is not None:
            return score, f"gives {wrong} as the right value, which the flaw does not", shared
    return score, None, shared


def lexical_match(report: str, gold: list[str], threshold: float, answer: str | None = None) -> tuple[int | None, str]:
    """The best gold flaw the report identifies under `LEXICAL_METHOD`, with the reason."""
    best: tuple[float, int, set[str]] | None = None
    refused: tuple[float, int, str] | None = None
    for index, description in enumerate(gold):
        score, why, shared = identifies(report, description, threshold, answer)
        if why is None:
            if best is None or score > best[0]:
                best = (score, index, shared)
        elif refused is None or (score, "another context" in why) > (refused[0], "another context" in refused[2]):
            refused = (score, index, why)
    if best is not None:
        score, index, shared = best
        return index, (f"shares {', '.join(sorted(shared))} with known flaw {index + 1} "
                       f"(overlap {score:.2f} >= {threshold:g})")
    if refused is None or (refused[0] == 0 and "another context" not in refused[2]):
        return None, "no known flaw shares enough content words"
    score, index, why = refused
    return None, f"known flaw {index + 1}: {why}"
