"""The pieces `parse_verdict` reads a judge's free text with: cleaning, masking, statements.

Every function works on a *masked* copy of the text of the same length (what is not the
judge's own claim blanked out), so offsets stay comparable between steps. Only explicit
statements count: a label ("Final answer: B", "Verdict: A"), a choosing verb ("I side with
B"), a copula ("B is correct", "Debater A wins"), or the letter opening a line or sentence
("B, 70%"). A letter merely mentioned ("B's quote is verified") is not a statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def clean_text(text: str, letters: str) -> str:
    """Fold curly quotes, drop markdown emphasis and headers, turn "the second option" into B."""
    out = text.translate(_CURLY).replace("**", "").replace("__", "").replace("`", "")
    out = re.sub(r"(?m)^[ \t]*#{1,6}[ \t]*", "", out)
    # A markdown table row per option ("| A | 0.6 |") reads as "A: 0.6"; rules and headers go.
    out = re.sub(r"(?m)^[ \t]*\|[ \t]*((?:(?:debater|option|answer)\s+)?[A-J])[ \t]*\|[ \t]*([^|\n]*?)[ \t]*\|[ \t]*$",
                 lambda m: f"{m.group(1)}: {m.group(2)}", out, flags=_I)
    out = re.sub(r"(?m)^[ \t]*\|(?:[ \t:-]*\|)+[ \t]*$|^[ \t]*\|[ \t]*(?:option|answer|choice|debater)[ \t]*\|[^\n]*\|[ \t]*$",
                 "", out, flags=_I)
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
    r"\s+(?:also\s+|even\s+|repeatedly\s+|keeps\s+|kept\s+|then\s+|finally\s+)?(?:claims?|claimed|argues?|argued|says|said|saying|states?|stated|insists?|"
    r"insisted|insisting|contends?|contended|asserts?|asserted|suggests?|suggested|maintains?|maintained|writes|wrote|"
    r"thinks|thought|believes|believed|points?\s+out|pointed\s+out|admits?|admitted|concedes?|conceded|concludes?|"
    r"concluded|ends|ended|closes|closed|answers|answered|replies|replied|responds|responded|declares?|declared|puts?\s+it)"
    r"|(?:debater(?:\s+[A-J])?|consultant|opponent)'s\s+(?:speech|closing|conclusion|final\s+(?:line|words|statement)|"
    r"last\s+(?:line|words)|words|claim|position|opening|rebuttal)\b[^:\n]{0,30}(?=:)"
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
# A blockquote introduced as someone's words ("Debater B's closing:\n> Answer: B") quotes them,
# not the judge ("My verdict:\n> B" stays the judge's).
_QUOTED_BLOCK = re.compile(r"(?im)^.*\b(?:debater|consultant|opponent|speech|closing|opening|rebuttal|wrote|writes|said|says|"
                           r"argued|argues|concluded|concludes|claimed|claims|put\s+it)\b.*:[ \t]*\n(?:[ \t]*\n)*"
                           r"(?P<quote>(?:[ \t]*>.*(?:\n|$))+)")
_SPEAKER_LINE = re.compile(r"(?im)^[ \t>]*(?:debater\s+[A-J]|consultant)\s*\(round\s*\d+\)\s*:")
# A line where the judge speaks again after echoing speeches ("Judge: I pick B.").
_OWN_LINE = re.compile(r"(?im)^[ \t]*judge\s*:")
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
        end = para.start() if para else len(text)
        own = _OWN_LINE.search(text, m.end(), end)
        _blank(chars, m.start(), own.start() if own else end)
    for m in _QUESTION_LINE.finditer(text):
        # A new "Question:" after the reply began is a base model writing the next exercise.
        end = len(text) if text[: m.start()].strip() else text.find("\n", m.end()) % (len(text) + 1)
        _blank(chars, m.start(), end if end > m.start() else len(text))
    for m in re.finditer(r"(?<![\w'])[A-J]\s*(?:,\s*[A-J]\s*,?)*\s*or\s+[A-J]\s*\?", text):
        _blank(chars, m.start(), m.end())  # the question restated ("A or B?")
    for m in _QUOTED_BLOCK.finditer(text):
        _blank(chars, m.start("quote"), m.end("quote"))
    masked = "".join(chars)
    for m in _REPORTED.finditer(masked):
        _blank(chars, m.end(), _clause_end(masked, m.end()))
    return "".join(chars)


_PAST = re.compile(
    r"\b(?:initially|(?:my\s+)?initial\s+(?:answer|choice|guess|reading|thought|impression)|at\s+first(?:\s+glance)?|(?:my\s+)?first\s+instinct|i\s+was\s+(?:going\s+to\s+(?:say|pick|choose)|"
    r"(?:initially\s+)?leaning)|i\s+first\s+thought|originally|i\s+(?:had\s+)?(?:almost|nearly)\s+(?:said|picked|chose))\b", _I)


def mask_past(text: str) -> str:
    """Blank what the judge says it *used to* think ("Initially I leaned towards A, but ..."):
    a stated change of mind is not a second answer."""
    chars = list(text)
    for m in _PAST.finditer(text):
        _blank(chars, m.start(), _clause_end(text, m.end()))
    return "".join(chars)


_REF = r"(?:(?:the\s+)?(?:debater|answer|option|choice|consultant)\s+)?[\(\[]?\s*"
_LET = r"(?P<l>[A-Ja-j])[\)\]]?(?![\w'])"
_UPPER = r"(?P<l>[A-J])[\)\]]?(?![\w'])"
_NOT = r"(?P<neg>not\s+)?"
_POSITIVE = (r"correct|right|true|accurate|the\s+(?:correct|right|better|best|true|stronger|winning)\s+(?:answer|one|choice)|"
             r"the\s+answer|my\s+(?:final\s+)?answer|more\s+convincing|more\s+persuasive|more\s+likely(?:\s+to\s+be\s+(?:correct|right))?|"
             r"better\s+supported|well\s+supported|stronger|the\s+winner|best|the\s+best\s+(?:answer|option|choice)")
_NEGATIVE = r"incorrect|wrong|false|inaccurate|less\s+likely|weaker|mistaken|unsupported"
# The letter as a subject, alone or as a possessive ("Debater A's argument is stronger").
_SUBJ = r"(?P<l>[A-J])(?:'s\s+(?:case|argument|position|answer|reasoning|account)\b|[\)\]]?(?![\w']))"
# (kind, pattern): "final" and "label" name the answer; "verb" and "copula" state it; "weak" says an
# option may be right (never decides, but contradicts another answer); "neg" rules one out.
_STATEMENTS: list[tuple[str, re.Pattern[str]]] = [
    ("final", re.compile(rf"\bfinal(?:ly)?(?:\s+(?:answer|verdict|choice|decision|judge?ment|pick|call|ruling))?\s*"
                         rf"(?:is|:|-|=|would\s+be|will\s+be)\s*:?\s*(?:that\s+)?{_NOT}{_REF}{_LET}", _I)),
    ("label", re.compile(rf"\b(?:answer|verdict|choice|decision|winner|conclusion|pick|selection|ruling|judge?ment)\s*"
                         rf"(?:is|:|-|=|would\s+be|will\s+be|goes\s+to|must\s+be|should\s+be)\s*:?\s*(?:that\s+)?{_NOT}{_REF}{_LET}", _I)),
    ("verb", re.compile(rf"\b(?:I|we)(?:'d|\s+would|\s+will|'ll|'m\s+going\s+to|\s+am\s+going\s+to|\s+must|\s+have\s+to)?\s+"
                        rf"(?:also\s+|still\s+|therefore\s+|now\s+|then\s+)?(?:choose|chose|pick|picked|select|go\s+with|side\s+with|"
                        rf"vote\s+for|stick\s+with|say|favou?r|back)\s*:?\s+{_REF}{_LET}(?!\s+(?:is|was|seems|looks|appears|isn't|wasn't)\b)", _I)),
    ("verb", re.compile(rf"\b(?:I'm|I\s+am)\s+(?:going|siding|voting|sticking)\s+with\s+{_REF}{_UPPER}", _I)),
    ("verb", re.compile(rf"\blean(?:ing|s)?\s+(?:slightly\s+|strongly\s+)?(?:towards?|to)\s+{_REF}{_UPPER}", _I)),
    ("verb", re.compile(rf"\b(?:so|therefore|thus|hence)\s*,?\s+{_REF}{_UPPER}(?=\s*(?:[.!\n]|$))", _I)),
    ("copula", re.compile(rf"\b(?:it(?:'s|\s+is|\s+must\s+be|\s+has\s+to\s+be|\s+should\s+be|\s+would\s+be)|that(?:'s|\s+is))\s+"
                          rf"{_NOT}{_REF}{_UPPER}(?=\s*(?:[.,;!\n]|$))", _I)),
    ("weak", re.compile(rf"(?<![\w']){_REF}{_SUBJ}\s+(?:is\s+also|might|could|may)\s+(?:[\w']+\s+){{0,3}}?(?:be\s+)?"
                        rf"(?:quite\s+|very\s+)?(?:plausible|possible|right|correct|true|likely)", _I)),
    ("weak", re.compile(rf"\b(?:it|the\s+(?:correct\s+|right\s+)?answer)\s+(?:could|might|may)\s+(?:also\s+|well\s+|equally\s+|"
                        rf"just\s+as\s+well\s+|still\s+)?be\s+{_REF}{_UPPER}(?![\w'])", _I)),
    ("weak", re.compile(rf"(?<![\w']){_REF}{_UPPER}\s+(?:also\s+)?(?:has|makes)\s+a\s+(?:good\s+|fair\s+|valid\s+|strong\s+)?point", _I)),
    ("copula", re.compile(rf"(?<![\w']){_REF}{_SUBJ}\s+(?:is|are|seems|looks|appears|was|were|must\s+be)\s+(?:to\s+be\s+)?"
                          rf"(?P<gap>(?:[\w']+\s+){{0,5}}?)(?P<pol>{_POSITIVE}|{_NEGATIVE})\b", _I)),
    ("copula", re.compile(rf"(?<![\w']){_REF}{_SUBJ}\s+(?P<pol>wins|won|prevails|loses|lost)\b", _I)),
]
_NEG_LEFT = re.compile(r"(?:\bnot|n't|\bnever|\brather\s+than|\binstead\s+of|\bover|\brule\s+out|\breject)\s*(?:think\s+)?"
                       r"(?:(?:it's|it\s+is|that\s+it's)\s+)?(?:the\s+)?(?:debater|answer|option|choice)?\s*$", _I)
_LEAD_WORDS = r"(?:(?:probably|likely|most\s+likely|more\s+likely|tentatively|definitely|certainly|clearly|judge\s*:)\s*,?\s*)?"
_LEAD = re.compile(rf"(?:(?m:^)|(?<=[.!?:]\s))[ \t>]*{_LEAD_WORDS}{_REF}{_UPPER}"
                   rf"(?=[ \t]*(?:$|\n|[,.;!)\-–/(]|:\s*(?:\d|\.\d|$)|[ \t]+(?:with|at|or|and|but|because|since|I\b|\d)))", _I)


# What may stand before a copula statement in its clause and leave it the judge's own claim:
# list markers, linking words, a comma-closed opener ("After weighing both speeches, "), and
# the judge's own framing ("I think", "I'm confident that", "I'd say"), or a clause closed by a
# comma that is no condition ("A is wrong, "); a stated probability is blanked before this is
# read, so "I'm 85% sure it is B" arrives as "I'm     it is B". Anything else frames
# it as someone else's view, a supposition or a doubt ("I doubt", "Few would say", "If",
# "The idea that"), and it is then no statement of the judge's at all (kind "mention").
_OPENER = re.compile(
    r"(?:[\s\-*>•()\"']+|\d+[.)]\s+|(?:so|but|yet|and|therefore|thus|hence|overall|still|then|ultimately|clearly|"
    r"in\s+(?:the\s+end|conclusion|sum|short|my\s+(?:view|opinion|judg(?:e)?ment))|on\s+balance|to\s+me|for\s+me)\b\s*,?|"
    r"(?:I|we)\s+(?:(?:still|now|also|really|honestly|strongly|do|therefore|ultimately|firmly)\s+)*"
    r"(?:think|believe|conclude|agree|find|judge|feel|reckon)\s+(?:that\s+)?|"
    r"(?:I|we)(?:'d|\s+would|\s+will|'ll)\s+(?:say|conclude|argue)\s+(?:that\s+)?|"
    r"(?:I'm|I\s+am|we're|we\s+are)\s+(?:(?:fairly|quite|very|pretty|reasonably|now|still|fully|about|around|roughly|~)\s+)*"
    r"(?:[\d.]+\s*(?:%|percent|per\s*cent)\s+)?(?:(?:confident|sure|convinced|certain|satisfied)\s+(?:that\s+)?)?|"
    r"(?:(?!\b(?:if|unless|suppos\w*|assum\w*|whether|were|would|could|might|should)\b)[^,;:.!?\n]){0,80}?,)*",
    _I)
_DIMINISHED = re.compile(r"\b(?:hardly|scarcely|barely|far\s+from|anything\s+but|no\s+longer|nowhere\s+near|never|"
                         r"partly|partially|only\s+partly|technically|supposedly|allegedly|seemingly)\b", _I)
_NEGATED_GAP = re.compile(r"\b(?:hardly|scarcely|far\s+from|anything\s+but|no\s+longer|nowhere\s+near|never)\b", _I)
# After the predicate: a question ("A is correct? Hardly."), a condition ("if we trust the
# diary"), a concession on one point ("right
# about the date", "right that ...", "correct only in a narrow sense"), or a retraction in the
# same sentence ("seems right, but it isn't").
_QUALIFIED = re.compile(
    r"\s*\?|,?\s+(?:only\s+)?(?:if|unless|provided|assuming|supposing|as\s+long\s+as)\b|\s+(?:about|that|regarding|as\s+to|insofar|so\s+far|up\s+to|only|on\s+(?!balance|the\s+whole)|"
    r"in\s+(?!my\b|the\s+end\b|this\s+case\b|the\s+(?:debate|end)\b)\w+|to\s+(?:say|note|point|claim|question|doubt|argue)|"
    r"for\s+(?:the|a)\s+(?!reasons?\b))|"
    r"[^.!?;\n]*\b(?:but|though|although|however|yet)\b[^.!?;\n]*\b(?:isn't|is\s+not|wasn't|not|wrong|incorrect|false|mistaken)\b", _I)
_OTHERS_LABEL = re.compile(r"(?:\b(?:whose|his|her|their|its)|'s|\b(?:if|whether|suppose|unless|assuming)\s+(?:the|my))\s*$", _I)
_LIST_NEXT = re.compile(r"\s*(?:,|&|\band\b|\bor\b)\s*(?:(?:debater|answer|option|choice)\s+)?(?-i:[A-HJ])(?![\w'])", _I)
_NEG_AFTER = re.compile(r"\s*[\(\-:]\s*(?:{_NEGATIVE}|no|rejected|unlikely)\b".replace("{_NEGATIVE}", _NEGATIVE), _I)
_RELATIVE = re.compile(r"\s*,\s*(?:who|which|whose|whom|the\s+one\s+(?:who|that))\b", _I)


def _framed(text: str, m: re.Match[str], kind: str) -> str:
    """A copula statement's kind once its clause is read: "neg" for "A is hardly correct",
    "mention" (not a statement at all) when framed as a doubt, supposition or someone else's view, when qualified or
    retracted after the predicate."""
    gap = m.groupdict().get("gap") or ""
    if re.search(r"\b(?:but|and|or|yet|while|whereas|though|although|however)\b", gap, _I) or re.search(r"(?<![\w'])[A-J](?![\w'])", gap):
        return "mention"  # "A seems plausible but option B is correct": the predicate belongs to another clause
    if _NEGATED_GAP.search(gap):
        return "mention" if kind == "neg" else "neg"
    if _DIMINISHED.search(gap):
        return "mention"
    start = max((b.end() for b in re.finditer(r"[;:!?\n]|\.(?!\d)|\b(?:but|yet|whereas|however|though|although)\b",
                                              text[:m.start()], _I)), default=0)
    prefix = text[start:m.start()]
    opener = _OPENER.match(prefix)
    rest = prefix[opener.end() if opener else 0:]
    if re.search(r"\w", rest):
        doubted = re.search(r"\b(?:doubt\w*|unlikely|no\s+way|nobody|no\s+one|implausible)\b", rest, _I)
        return "neg" if doubted and kind != "neg" else "mention"
    after = m.end("pol") if m.groupdict().get("pol") else m.end()
    if kind == "neg" and re.match(r"[^.!?;\n]*\bbut\b[^.!?;\n]*\b(?:correct|right|true)\b", text[after:], _I):
        return "mention"  # "weaker rhetorically but correct"
    if _QUALIFIED.match(text, after):
        return "mention"
    return kind


@dataclass
class Statement:
    """One place where the judge states (or rules out, or allows) an option."""

    letter: str
    start: int
    end: int
    kind: str
    """final, label, verb, copula, lead (the letter opening a line or sentence), weak, neg."""


def _overlapping(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, each search resuming just after the previous letter: a match that spans a
    clause ("A seems plausible but option B is correct") must not hide the one inside it."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        yield m
        pos = m.start("l") + 1


def find_statements(text: str) -> list[Statement]:
    """Every explicit statement of an option in the judge's own (masked) text, in text order."""
    found: dict[int, Statement] = {}
    mentioned: set[int] = set()
    for kind, pattern in _STATEMENTS:
        for m in _overlapping(pattern, text):
            letter = m.group("l")
            word = re.match(r"[ \t]+([a-z][\w'-]*)", text[m.end():])
            if letter.islower() and word and word.group(1) not in LETTER_FOLLOWERS:
                continue  # "the answer is a good one": the article
            left_neg = bool(m.groupdict().get("neg")) or bool(
                _NEG_LEFT.search(text[max(0, m.start("l") - 40):m.start("l")]))
            pol = m.groupdict().get("pol")
            pol_neg = bool(pol and re.fullmatch(rf"{_NEGATIVE}|loses|lost", pol, _I))
            gap_neg = bool(m.groupdict().get("gap") and re.search(r"\bnot\b", m.group("gap"), _I))
            negated = left_neg ^ pol_neg ^ gap_neg
            k = "neg" if negated and kind != "weak" else kind
            if kind == "copula" and not left_neg:
                k = _framed(text, m, k)
            elif kind == "label" and _OTHERS_LABEL.search(text[max(0, m.start() - 30):m.start()]):
                k = "mention"  # "Debater B, whose answer is A, ...", "if the answer is A": not the judge's answer
            if k == "mention":
                mentioned.add(m.start("l"))
                continue
            if m.start("l") in mentioned:
                continue
            found.setdefault(m.start("l"), Statement(letter.upper(), m.start("l"), m.end("l"), k))
    start = re.match(rf"\s*{_REF}{_UPPER}:[ \t]+(?=[A-Za-z])", text)
    if start:
        found.setdefault(start.start("l"), Statement(start.group("l"), start.start("l"), start.end("l"), "lead"))
    for m in _LEAD.finditer(text):
        if m.start("l") in mentioned:
            continue
        if _RELATIVE.match(text, m.end()) or _LIST_NEXT.match(text, m.end()):
            continue  # "Debater A, who argued for B, ...": the letter is the subject of a longer clause
        if not _NEG_LEFT.search(text[max(0, m.start("l") - 40):m.start("l")]):
            kind = "neg" if _NEG_AFTER.match(text, m.end()) else "lead"  # "A (wrong) vs B (right)"
            found.setdefault(m.start("l"), Statement(m.group("l").upper(), m.start("l"), m.end("l"), kind))
    return sorted(found.values(), key=lambda s: s.start)


_HEDGE_AFTER = re.compile(rf"^[ \t]*[\)\]]?[\s.,…]*(?:or|/|and|nor|vs\.?|versus|\()\s*(?:maybe\s+|possibly\s+|perhaps\s+|even\s+)?"
                          rf"{_REF}(?P<l>[A-J])(?![\w'])", _I)


_OR_LATER = re.compile(rf"\bor\s+(?:else\s+|maybe\s+|possibly\s+|perhaps\s+)?{_REF}(?P<l>[A-J])(?![\w'])", _I)
_LISTED = re.compile(rf"^\s*,\s*{_REF}(?P<l>[A-J])(?![\w'])\s*(?:,|$)")


def hedged(text: str, st: Statement) -> str | None:
    """The other option a statement is hedged with ("B... or maybe A", "A/B", "A (B)", "A with
    60%, or B with 40%", "A, B, A"), if any."""
    for m in (_HEDGE_AFTER.match(text[st.end:st.end + 40]), _LISTED.match(text[st.end:st.end + 40])):
        if m and m.group("l").upper() != st.letter:
            return m.group("l").upper()
    stop = re.compile(r"[.!?\n]").search(text, st.end)
    for m in _OR_LATER.finditer(text, st.end, stop.start() if stop else len(text)):
        if m.group("l").upper() != st.letter:
            return m.group("l").upper()
    left = re.search(rf"(?<![\w'])(?P<l>[A-J])[\)\]]?\s*(?:or|/|and|nor|vs\.?|versus)\s*{_REF}$", text[max(0, st.start - 30):st.start])
    if left and left.group("l") != st.letter:
        return left.group("l")
    return None


_REVERSAL = re.compile(r"\b(?:wait|actually|on\s+second\s+thought|on\s+reflection|re-?reading|reconsider\w*|h+m+|"
                       r"scratch\s+that|make\s+that|take\s+(?:that|it)\s+back|no,|no\s+wait|after\s+all|changed?\s+my\s+mind|"
                       r"just\s+kidding|(?:I'm\s+)?kidding|or\s+rather|correction|strike\s+that)\b", _I)
_DOUBT = re.compile(r"\b(?:i'?m\s+not\s+sure(?!\s+(?:that|whether|if|about|how|why|what))|not\s+sure\s+any\s*more|"
                    r"can'?t\s+(?:tell|decide|choose)|cannot\s+(?:tell|decide|choose|determine)|torn\s+between|coin\s+flip|"
                    r"50\s*/\s*50|(?:don'?t|do\s+not)\s+know|unable\s+to\s+(?:decide|determine|choose|tell)|i'?d\s+rather\s+not|"
                    r"abstain|hard\s+to\s+(?:say|tell)|difficult\s+to\s+(?:say|tell)|either\s+(?:could|one\s+could|answer\s+could)|both\s+(?:are|answers\s+are|seem|could\s+be)\s+"
                    r"(?:equally\s+)?(?:correct|right|plausible|possible))\b", _I)
_REFUSAL = re.compile(r"\b(?:neither|cannot\s+(?:determine|decide|tell|choose|answer|say)|can'?t\s+(?:determine|decide|tell|choose|say)|"
                      r"unable\s+to|not\s+enough\s+information|insufficient\s+information|don'?t\s+have\s+access|abstain|"
                      r"rather\s+not\s+guess|not\s+(?:able|possible)\s+to)\b", _I)
_OWN_QUESTION = re.compile(r"(?im)^[ \t]*question\s*:.*\n(?:.*\n)*?[ \t]*answer\s*:\s*\S")


def reversal_after(text: str, at: int) -> re.Match[str] | None:
    return _REVERSAL.search(text, at)


def doubt(text: str) -> re.Match[str] | None:
    return _DOUBT.search(text)


def refusal(text: str) -> re.Match[str] | None:
    return _REFUSAL.search(text)


def answers_own_question(text: str) -> bool:
    """A base model that writes a new "Question:" and then answers it: which answer is for ours is unclear."""
    m = _OWN_QUESTION.search(text)
    return bool(m and text[:m.start()].strip())


def bare_letters(text: str, start: int, letters: str) -> set[str]:
    """Option letters named after `start` (not the article 'A man ...')."""
    found = set()
    for m in re.finditer(rf"(?<![\w'])([{letters}])(?![\w-])", text[start:]):
        nxt = re.match(r"[ \t]+([A-Za-z][\w'-]*)", text[start + m.end():])
        if m.group(1) == "A" and nxt and nxt.group(1)[0].islower() and nxt.group(1).lower() not in LETTER_FOLLOWERS:
            continue
        found.add(m.group(1))
    return found


__all__ = ["LETTER_FOLLOWERS", "Statement", "answers_own_question", "bare_letters", "clean_text", "doubt",
           "find_statements", "hedged", "mask_not_judge", "mask_past", "refusal", "reversal_after"]
