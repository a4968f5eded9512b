"""The pieces `parse_verdict` reads a judge's text with: cleaning, masking, mentions, probabilities.

Kept apart from `verdicts` so each rule is small enough to read and test. Every function works
on a *masked* copy of the text of the same length, so offsets stay comparable between steps.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_I = re.IGNORECASE
# A clause ends at ; ! ? a line break, or a full stop that is not a decimal point.
_BOUNDARY = re.compile(r"[;!?\n]|\.(?!\d)")
_REF = r"(?:(?:the\s+)?(?:debater|answer|option|choice|consultant)\s*)?[\(\[\"']?\s*"
_NEG = r"(?P<neg>(?:not|n't|never)\s+)?"
# Words that may follow the letter A without it being the article ("A is wrong", "A because").
# Also used by the debate judge's swapped view to tell option A from the article.
LETTER_FOLLOWERS = frozenset(
    "is isn't was wasn't seems looks appears has had have wins won loses lost because since as and or nor "
    "over for with at being by instead rather than must should would could might may remains stands holds "
    "fails claims says argues relies cites quotes defends vs versus were will can cannot can't does doesn't did "
    "didn't won't shall also only alone itself here there too then so if but though yet clearly correctly "
    "actually really still never always".split()
)


@dataclass
class Mention:
    """One decisive-looking mention of an option letter in the judge's own words."""

    letter: str
    start: int
    end: int
    tier: int
    """3 final answer, 2 labelled answer, 1 statement (incl. negations), 0 bare letter."""
    negated: bool = False
    hedge: bool = False


def clean_text(text: str, letters: str) -> str:
    """Fold curly quotes, drop markdown emphasis and headers, turn "the second option" into B."""
    out = text.translate(_CURLY).replace("**", "").replace("__", "").replace("`", "")
    out = re.sub(r"(?m)^[ \t]*#{1,6}[ \t]*", "", out)
    out = re.sub(r"(?<![\w*])\*([^*\n]{1,40})\*(?![\w*])", r"\1", out)

    def ordinal(m: re.Match[str]) -> str:
        index = _ORDINALS.index(m.group(1).lower())
        return letters[index] if index < len(letters) else m.group(0)

    return re.sub(rf"\b(?:the\s+)?({'|'.join(_ORDINALS)})\s+(?:option|answer|choice|one)\b", ordinal, out, flags=_I)


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _clause_end(text: str, at: int) -> int:
    m = re.compile(r"[;!?\n]|\.(?!\d)|,?\s+(?:but|however|yet|whereas|while|although)\b", _I).search(text, at)
    return m.start() if m else len(text)


_REPORTED = re.compile(
    r"\b(?:(?:debater(?:\s+[A-J])?|consultant|(?:my|the|his|her|their)\s+opponent|the\s+other\s+(?:side|debater))"
    r"\s+(?:also\s+|even\s+|repeatedly\s+)?(?:claims?|claimed|argues?|argued|says|said|states?|stated|insists?|"
    r"insisted|contends?|contended|asserts?|asserted|suggests?|suggested|maintains?|maintained|writes|wrote|"
    r"thinks|thought|believes|believed|points?\s+out|pointed\s+out|admits?|admitted|concedes?|conceded)"
    r"|(?:claims?|argument|assertion|contention|suggestion)\s+that"
    r"|according\s+to\s+(?:debater(?:\s+[A-J])?|the\s+consultant|the\s+other\s+side))\b",
    _I,
)
_ECHO_LINE = re.compile(
    r"(?im)^.*(?:which answer is correct|reply with the letter|your probability that it is correct|"
    r"pick the answer that|decide which answer|for example \"?[A-J],).*$"
)
_ANSWER_LIST = re.compile(
    r"(?im)^[ \t]*(?:answer\s+)?A[ \t]*[:)][ \t]*(?![\d.])\S.*\n[ \t]*(?:answer\s+)?B[ \t]*[:)][ \t]*(?![\d.])\S.*$"
)
_SPEAKER_LINE = re.compile(r"(?im)^[ \t]*(?:debater\s+[A-J]|consultant)\s*\(round\s*\d+\)\s*:")
_QUESTION_LINE = re.compile(r"(?im)^[ \t]*question\s*:")


def mask_not_judge(text: str, letters: str) -> str:
    """Blank out (same length) what is not the judge's own claim: quotes, reported speech, echoes."""
    chars = list(text)
    for m in re.finditer(r"<(\w+)[^>\n]*>.*?(?:</\1\s*>|$)", text, re.DOTALL):
        _blank(chars, m.start(), m.end())
    for m in re.finditer(r"\"[^\"\n]*\s[^\"\n]*\"|(?<![\w'])'[^'\n]*\s[^'\n]*'(?![\w])", text):
        _blank(chars, m.start(), m.end())
    for pat in (_ECHO_LINE, _ANSWER_LIST):
        for m in pat.finditer(text):
            _blank(chars, m.start(), m.end())
    for m in _SPEAKER_LINE.finditer(text):
        para = re.compile(r"\n[ \t]*\n").search(text, m.end())
        _blank(chars, m.start(), para.start() if para else len(text))
    for m in _QUESTION_LINE.finditer(text):
        # A new "Question:" after the reply began is a base model writing the next exercise.
        end = len(text) if text[: m.start()].strip() else text.find("\n", m.end()) % (len(text) + 1)
        _blank(chars, m.start(), end if end > m.start() else len(text))
    masked = "".join(chars)
    for m in _REPORTED.finditer(masked):
        _blank(chars, m.end(), _clause_end(masked, m.end()))
    return "".join(chars)


_CHOOSE = (r"choose|chose|pick|picked|select|go\s+with|going\s+with|vote(?:\s+for)?|side\s+with|siding\s+with|"
           r"favou?r|support|agree\s+with|trust|prefer|back|lean(?:ing|s)?\s+towards?|in\s+favou?r\s+of|"
           r"confident\s+(?:in|that|of|about)|sure\s+(?:that|of|about)|convinced\s+(?:that|by)")
_OPINE = r"say|think|believe|conclude|find|judge|rule"
_FINAL_L = re.compile(
    rf"\bfinal(?:ly)?\s*(?:answer|verdict|choice|decision|judge?ment|pick|call)?\s*(?:is|:|-|=|would\s+be|will\s+be)?"
    rf"\s*:?\s*(?:that\s+)?{_NEG}{_REF}$", _I)
_LABEL_L = re.compile(
    rf"(?:\b(?:answer|verdict|choice|decision|winner|conclusion|judge?ment|pick|judge|ruling|selection)\s*"
    rf"(?:is|:|-|=|would\s+be|will\s+be|goes\s+to|must\s+be|should\s+be)|^\s*(?:answer|verdict))"
    rf"\s*:?\s*(?:that\s+)?{_NEG}{_REF}$", _I)
_VERB_L = re.compile(
    rf"\b(?:i\s+(?:would\s+|'d\s+|will\s+|'ll\s+|must\s+|am\s+going\s+to\s+)?(?:also\s+|still\s+)?)?"
    rf"(?P<verb>{_CHOOSE}|{_OPINE})\s*[:\-]?\s*(?:that\s+)?{_NEG}{_REF}$", _I)
_NEG_VERB_L = re.compile(
    rf"\b(?:don't|do\s+not|doesn't|wouldn't|would\s+not|can't|cannot|won't|will\s+not)\s+(?:{_CHOOSE}|{_OPINE})"
    rf"\s*(?:that\s+)?{_REF}$", _I)
_CONCL_L = re.compile(
    rf"\b(?:so|therefore|thus|hence|overall|ultimately|in\s+conclusion|in\s+summary|to\s+conclude|in\s+the\s+end|"
    rf"that\s+means|which\s+means|meaning|consequently)\s*,?\s*(?:it(?:'s|\s+is|\s+must\s+be)\s+)?"
    rf"(?:i\s+(?:choose|pick|say|go\s+with)\s+)?{_NEG}{_REF}$", _I)
_IT_L = re.compile(
    rf"\b(?:it(?:'s|\s+is|\s+must\s+be|\s+has\s+to\s+be|\s+should\s+be|\s+would\s+be|\s+was)|that(?:'s|\s+is)|"
    rf"this\s+is)\s+{_NEG}{_REF}$", _I)
_LEFT_NEG = re.compile(
    rf"\b(?:not|n't|never|rather\s+than|instead\s+of|against|over|than|reject(?:ing)?|rul(?:e|ing)\s+out|"
    rf"disagree\s+with|distrust|eliminat(?:e|ing))\s+{_REF}$", _I)
_POSS = r"(?:'s\s+(?:answer|claim|argument|position|case|side|reasoning|account)\s+)?"
_ADV = (r"(?:(?:clearly|definitely|probably|likely|most\s+likely|more\s+likely|certainly|indeed|actually|also|"
        r"still|simply|obviously)\s+)?")
_COPULA = r"(?:is|seems|looks|appears|was|must\s+be|should\s+be|has\s+to\s+be)\s+(?:to\s+be\s+)?"
_RIGHT_POS = re.compile(
    rf"^\s*[\)\]\"']?\s*{_POSS}(?:{_COPULA}{_ADV}(?:correct|right|true|accurate|valid|the\s+(?:correct|right|"
    rf"better|best|stronger|true|more\s+likely|winning|winner|answer)\b|more\s+(?:likely|convincing|persuasive|"
    rf"plausible|credible|accurate)|better\s+supported|well\s+supported|supported|stronger)"
    rf"(?!\s+(?:that|about|on|in\s+(?:saying|that)|to\s+(?:say|point|note)))"
    rf"|(?:wins|won|prevails?|has\s+(?:the\s+)?(?:better|stronger|more\s+convincing)))", _I)
_RIGHT_NEG = re.compile(
    rf"^\s*[\)\]\"']?\s*{_POSS}(?:{_COPULA}{_ADV}(?:not\b|incorrect|wrong|false|inaccurate|unsupported|"
    rf"implausible|unlikely|mistaken|misleading|lying|a\s+lie|fabricated|invalid|weaker|less\s+likely)"
    rf"|(?:lies|lied|fabricates?|fabricated|misquotes?|misquoted|loses|lost|fails|failed)\b)", _I)
_STANDALONE_RIGHT = re.compile(
    r"^(?!\s*[:=]\s*[\d.])[\s)\].!,:;-]*(?:(?:with\s+|at\s+|\()?(?:\d{1,3}(?:\.\d+)?\s*%|0?\.\d+|1\.0+)\s*\)?\s*"
    r"(?:confidence|confident|sure|certain)?[\s.!)]*)?$", _I)
_LEADING = re.compile(r"^\s*(?:judge\s*:\s*)?" + _REF + r"$", _I)
_LEADING_RIGHT = re.compile(r"^(?!\s*[:=]\s*[\d.])\s*[\)\]\"']?\s*(?:$|[\n.,;:!\-]|\s+(?:with|at|because|since|as|-)\b)", _I)


def _hedged(text: str, start: int, end: int, letter: str, letters: str) -> bool:
    others = "".join(ch for ch in letters if ch != letter)
    if not others:
        return False
    after, before = _hedge_patterns(others)
    return bool(after.match(text[end:end + 40]) or before.search(text[max(0, start - 40):start]))


@lru_cache(maxsize=64)
def _hedge_patterns(others: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """'A or B' after a letter, 'B or A' before it: compiled once per set of other letters."""
    o = f"[{others}{others.lower()}]"
    conj = r"(?:or|/|and|nor|vs\.?|versus)"
    return (re.compile(rf"\s*[\)\]]?\s*{conj}\s*{_REF}{o}(?![\w])", _I),
            re.compile(rf"(?<![\w]){o}\s*[\)\]]?\s*{conj}\s*{_REF}$", _I))


def _is_article(text: str, m: re.Match[str]) -> bool:
    """'A man walked', 'a good case': the English article, not option A."""
    if m.group(2).upper() != "A" or m.group(1) or m.group(3):
        return False
    nxt = re.match(r"[ \t]+([A-Za-z][\w'-]*)", text[m.end():])
    return bool(nxt and nxt.group(1)[0].islower() and nxt.group(1).lower() not in LETTER_FOLLOWERS)


@lru_cache(maxsize=64)
def _mention_pattern(letters: str) -> re.Pattern[str]:
    cls = f"[{letters}{letters.lower()}]"
    return re.compile(rf"(?<![\w'])([\(\[]\s*)?({cls})(\s*[\)\]])?(?![\w])")


def find_mentions(text: str, letters: str) -> list[Mention]:
    """Every mention of an option letter that states, negates or hedges a choice, in text order."""
    found: list[Mention] = []
    for m in _mention_pattern(letters).finditer(text):
        if _is_article(text, m) or re.search(r"\bp\s*\(\s*$", text[max(0, m.start() - 6):m.start()], _I):
            continue
        start, end, letter = m.start(), m.end(), m.group(2).upper()
        cut = [b.end() for b in _BOUNDARY.finditer(text, max(0, start - 120), start)]
        left = text[cut[-1] if cut else max(0, start - 120):start]
        stop = _BOUNDARY.search(text, end)
        right = text[end:stop.start() if stop else len(text)]
        possessive = right.startswith("'s")
        final, label = _FINAL_L.search(left), _LABEL_L.search(left)
        verb = _VERB_L.search(left)
        if verb and possessive and re.fullmatch(_OPINE, verb.group("verb"), _I):
            verb = None
        concl, it = _CONCL_L.search(left), _IT_L.search(left)
        right_pos, right_neg = _RIGHT_POS.match(right), _RIGHT_NEG.match(right)
        left_neg = _LEFT_NEG.search(left) or _NEG_VERB_L.search(left)
        negated = bool(right_neg) != bool(left_neg or any(x and x.group("neg") for x in (final, label, verb, concl, it)))
        if final:
            tier = 3
        elif label:
            tier = 2
        elif verb or concl or it or right_pos or right_neg or left_neg:
            tier = 1
        elif (not left.strip() and _STANDALONE_RIGHT.match(right)) or (
                _LEADING.match(text[:start]) and _LEADING_RIGHT.match(text[end:])):
            tier = 0
        else:
            continue
        hedge = _hedged(text, start, end, letter, letters)
        found.append(Mention(letter, start, end, tier, negated=negated and not hedge, hedge=hedge))
    return found


_PCT = r"(?P<pct>\d{1,4}(?:\.\d+)?|\.\d+)\s*(?i:%|percent\b|per\s*cent\b)"
_DEC = r"(?P<dec>0?\.\d+|1\.0+)(?![\d%/])"
_FRAC = r"(?P<fn>\d+(?:\.\d+)?)\s*(?i:/|out\s+of)\s*(?P<fd>\d+)"
_INT = r"(?P<int>\d{1,3})(?![\d.%/])"
_VAL = rf"(?:{_PCT}|{_DEC})"
_KW = r"(?i:confidence|probability|prob|certainty|likelihood|credence|chance|p)"
_VALKW = rf"(?i:about\s+|around\s+|roughly\s+|approximately\s+|~\s*)?(?:{_PCT}|{_FRAC}|{_DEC}|{_INT})"
_OPT = r"(?i:(?:the\s+)?(?:debater|answer|option|choice)\s+)?"


@lru_cache(maxsize=64)
def _attached(letters: str) -> tuple[re.Pattern[str], ...]:
    """Compiled once per set of option letters (re's own cache is shared and small)."""
    any_l = f"(?P<l>[{letters}{letters.lower()}])"
    not_a = f"(?P<l>[{letters}{letters.lower().replace('a', '')}])"
    return (
        re.compile(rf"\bp\s*\(\s*{any_l}\s*\)\s*(?:=|:|is|~)?\s*{_VALKW}", _I),
        re.compile(rf"(?<![\w']){_OPT}{any_l}(?![\w'])[ \t]*\)?[ \t]*(?:[:=,\-]|at|with|gets|has|is\s+at)?[ \t]*"
                   rf"\([ \t]*{_KW}[ \t]*(?:level|score|of)?[ \t]*[:=]?[ \t]*{_VALKW}"),
        re.compile(rf"(?<![\w']){_OPT}{any_l}(?![\w'])[ \t]*\)?[ \t]*[:=,][ \t]*(?:\([ \t]*)?{_VAL}"),
        re.compile(rf"(?<![\w']){_OPT}{not_a}(?![\w'])[ \t]*\)?[ \t]*(?:-|at|with|gets|has|is\s+at)?[ \t]*"
                   rf"(?:a[ \t]+)?(?:\([ \t]*)?{_VAL}"),
        re.compile(rf"{_VAL}\s*(?:confidence\s+|probability\s+|chance\s+|confident\s+|sure\s+|certain\s+|likely\s+)?"
                   rf"(?:for|on|to|that|in|of|about)\s+{_OPT}{any_l}(?![\w'])", _I),
        re.compile(rf"\b(?:probability|chance|likelihood|confidence|credence)\s+(?:of|for|that|in|on)\s+{_OPT}{any_l}"
                   rf"(?![\w'])\s*(?:is\s+(?:correct|right|true))?\s*(?:is|:|=|of|at|about|around)?\s*{_VALKW}", _I),
    )


_UNATTACHED = [
    re.compile(rf"\b(?:confidence|probability|prob|certainty|likelihood|credence|chance)\s*(?:level|score|rating)?"
               rf"\s*(?:of|is|:|=|~|at|around|about|would\s+be)?\s*:?\s*{_VALKW}", _I),
    re.compile(rf"{_VAL}\s*(?:confident|sure|certain|confidence|probability|chance|likely|likelihood)\b", _I),
]


def _value(m: re.Match[str], notes: list[str]) -> float | None:
    """The probability a match states, or None (with a note) when it cannot be one."""
    g = m.groupdict()
    if g.get("pct") is not None:
        value, shown = float(g["pct"]) / 100.0, f"{g['pct']}%"
    elif g.get("fn") is not None:
        if float(g["fd"]) == 0:
            notes.append(f"probability {g['fn']}/{g['fd']} has a zero denominator; ignored")
            return None
        value, shown = float(g["fn"]) / float(g["fd"]), f"{g['fn']}/{g['fd']}"
    elif g.get("dec") is not None:
        value, shown = float(g["dec"]), g["dec"]
    else:
        n = int(g["int"])
        if not 10 < n <= 100:
            notes.append(f"confidence {n} has no scale; ignored")
            return None
        value, shown = n / 100.0, f"{n}"
    if not 0.0 <= value <= 1.0:
        notes.append(f"probability {shown} is over 100%; ignored")
        return None
    return value


def read_probabilities(text: str, letters: str) -> tuple[dict[str, float], list[tuple[int, float]], list[str]]:
    """Per-option probabilities (last statement per option wins), unattached ones with their
    positions, and notes on values that were seen but could not be used."""
    notes: list[str] = []
    hits: list[tuple[int, int, str | None, float | None]] = []
    taken: list[tuple[int, int]] = []
    for pat in _attached(letters):
        for m in pat.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            hits.append((m.start(), m.end(), m.group("l").upper(), _value(m, notes)))
    for pat in _UNATTACHED:
        for m in pat.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            hits.append((m.start(), m.end(), None, _value(m, notes)))
    per_option: dict[str, float] = {}
    unattached: list[tuple[int, float]] = []
    for start, _end, letter, value in sorted(hits):
        if value is None:
            continue
        if letter is None:
            unattached.append((start, value))
        else:
            per_option[letter] = value
    return per_option, unattached, notes


__all__ = ["LETTER_FOLLOWERS", "Mention", "clean_text", "find_mentions", "mask_not_judge", "read_probabilities"]
