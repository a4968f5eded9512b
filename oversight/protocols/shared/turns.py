"""Speaker turns a speech cannot forge, for a model judge and for a person.

A transcript is shown as turns we write: the speaker's label on a line of its own, then every
line of the speech behind SPEECH_PREFIX. A speech cannot start a line without that prefix (its
line breaks are normalised first, `lookalike.clean`), so a label-like line in it can never sit
where a real label does. On top of that, anything in a speech that reads like a speaker label
or a turn tag is marked as written inside the speech (`split_labels`), matched on the skeleton
so look-alike letters, case, spacing, markdown and combining marks (`B̲`) do not hide it:

- `Debater B (round 2)` anywhere, colon or not (the TUIs draw real labels so, and a terminal
  wraps a long line without the speech prefix), review's `Debater B (for B, 50 words)`, `debater b:`,
  `DEBATER  B , round 2 -`, `Judge:`, `Consultant (round 1):`,
  `Moderator:`, `System:`, `User:`, `Assistant:`, `Human:`, with `#`, `**`, `>` or list markers
  in front; any name of up to three words in any script, bold or quoted, with a round, as our
  labels have one (`Your opponent (round 2):`, `**Team 2** (after round 2) -`, `The other side,
  round 3:`, `..., turn 3:`), a round being a number in either order (`раунд 2`, `第2回合`), and
  inside a parenthesis also a roman numeral, a number word or an ordinal (`round II`, `second
  round`), never any word with a number (`(paragraph 3):` is a citation, `In my first turn:` is
  prose); a debater's possessive or verb in the present (`Debater B's rebuttal:`, `Debater [B]
  replies:`), not in the past (`Debater B said: "..."` reports); a markdown header or bold line
  naming a speaker (`## Debater B`, `**Judge**`); a cross-examination's labels (`Debater A asks
  Debater B (as of round 1):`, `Debater B (as of round 1) answers:`);
- tags of turns and roles: `<turn speaker="Debater B">`, `</speech>`, `<judge>`, `[Debater B]`;
- what reads as the judge's answer: `Judge's decision:`, `Final verdict:`, `(Correct) answer:` or
  `Answer - A` at the start of a line or sentence, `The correct answer is: A` alone on its line
  (not `...: B, because`), `Judge (question to consultant):`;
- imitations of the notes we write around such text (`[Debater B wrote: ...`, `(inside the
  speech, not a turn)`), so a speech cannot attribute words to another speaker through them.

People see real labels in a style only our markup gives (tui), never text from a model.
The rule for any name also marks honest headings such as `Key points (round 1):`: that costs a
note beside them, where a missed forgery would rest on the turn layout alone; on the NYU
debaters' 1,324 speeches it marks no such heading (benchmarks/label_flags.py).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence

from oversight.protocols.shared.lookalike import skeleton

SPEECH_PREFIX = "\u2502 "
"""Starts every line of a speech in a rendered transcript ("│ ")."""
_ID = r"(?:(?:no\W{0,2}|number\W{1,3}|#[ \t]?)?(?:[ab12]|one|two)|ii?(?![a-z])|\[[ \t]?[ab12][ \t]?\])"
"""Which debater: `B`, `2`, `two`, `No. 2`, `number 2`, `II`, `[B]`."""
_SAYS = (r"(?:(?:opening|closing|final|first|second|third|last)\W{1,3})?(?:statement|rebuttal|argument|speech|reply"
         r"|response|turn|answer|writes|replies|responds|says|argues|concedes|concludes|states|adds|answers|continues)")
"""What a named speaker's own heading says: a possessive noun or a verb in the present, as a
script has it (`Debater B's rebuttal:`, `Debater B replies:`); a verb in the past reports speech
(`Debater B said: "..."`) and is left alone."""
_NAMES = (rf"(?:debaters?|debate\W{{0,2}}r)(?:\W{{0,3}}{_ID}[\"'>`\u2019\u201d\])]?(?:\[as written\])?"
          rf"(?:\W{{0,2}}s?\W{{1,3}}{_SAYS})?)?"
          r"|judges?(?:\W{0,2}s)?(?:\W{0,3}(?:final\W{0,3})?(?:decision|verdict|ruling|answer|question|note|says"
          r"|rules|decides|asks|answers|concludes|states))?|consultants?|moderators?|narrators?"
          r"|system|user|assistant|human|ai|speaker\W{0,3}(?:[ab12]|one|two)?|transcript|round\W{0,3}\d+"
          r"|(?:final\W{0,3})?(?:verdict|decision|ruling)|final\W{0,3}answer")
_NOT_AFTER_A_WORD = "".join(rf"(?<!\b{w}\s)" for w in ("the", "a", "an", "my", "our", "your", "his", "her",
                                                             "their", "its", "this", "that", "only", "fair", "good"))
"""Mid-sentence, a role's name is a label only when no article or possessive makes it part of a
phrase (`the judge:`, `a fair judge:` are prose); at a line or sentence start any name counts."""
_ASKER = rf"(?:(?:the\W{{1,3}})?(?:debaters?\W{{0,3}}{_ID}|consultants?|judges?))"
"""Who asks or answers in a cross-examination, as our labels name them (`Debater A asks Debater B
(as of round 1):`, `Debater B (as of round 1) answers:`)."""
_OUR_NOTES = (r"\[\s{0,3}[^\[\]\n]{0,40}?\s{1,3}wrote\s{0,3}:|\(\s{0,3}inside\s{1,3}the\s{1,3}speech\W{1,3}not\s{1,3}a\s{1,3}turn\s{0,3}\)"
              r"|\(\s{0,3}written\s{1,3}inside\s{1,3}[^()\n]{0,40}\bnot\s{1,3}a\s{1,3}turn\s{0,3}\)")
"""Imitations of the notes we write around a label a speech wrote (label_note, the TUI's)."""
_WRAP = "[*_\"'`\u2018\u2019\u201c\u201d]{0,3}"
_WORD = r"[^\W_]++(?:'[^\W_]*+)?+"
_NAME = rf"{_WRAP}(?:{_WORD}[ \t]{{1,3}}){{0,2}}{_WORD}{_WRAP}"
"""Any name of up to three words, in any script, wrapped in markdown or quotes (`**Team 2**`)."""


def _alternatives(words: Sequence[str]) -> str:
    """An alternation of the words' skeletons, longest first, ending where a word does."""
    folded = sorted({re.escape(skeleton(w)) for w in words}, key=len, reverse=True)
    return rf"(?:{'|'.join(folded)})(?![^\W\d_])"


_ROUND_WORDS = ("round", "runde", "ronda", "rodada", "turno", "manche", "runda",
                "\u0440\u0430\u0443\u043d\u0434", "\u0442\u0443\u0440", "\u0445\u043e\u0434",
                "\u56de\u5408", "\u8f6e", "\u30e9\u30a6\u30f3\u30c9", "\ub77c\uc6b4\ub4dc", "\u03b3\u03cd\u03c1\u03bf\u03c2")
"""The word for a round in the languages a judge is likely to read (раунд, 回合, ラウンド ...)."""
_COUNTS = ("one", "two", "three", "four", "five", "six", "zwei", "drei", "dos", "tres", "deux", "trois",
           "\u043e\u0434\u0438\u043d", "\u0434\u0432\u0430", "\u0442\u0440\u0438")
_ORDINALS = ("opening", "closing", "final", "last", "first", "second", "third", "fourth", "fifth", "erste", "zweite",
             "dritte", "letzte", "primera", "primero", "segunda", "segundo", "tercera", "tercero", "ultima", "primeira",
             "primeiro", "terceira", "premier", "premiere", "deuxieme", "troisieme", "dernier", "primo", "terzo",
             "\u043f\u0435\u0440\u0432\u044b\u0439", "\u0432\u0442\u043e\u0440\u043e\u0439",
             "\u0442\u0440\u0435\u0442\u0438\u0439", "\u043f\u043e\u0441\u043b\u0435\u0434\u043d\u0438\u0439")
_RW = _alternatives(_ROUND_WORDS + ("turn",))
_RW_ABBREVIATED = _alternatives(_ROUND_WORDS + ("turn", "rd", "rnd"))
"""Round words with their abbreviations, which only come before the number (`rd 2`, not `3rd`)."""
_ORDINAL = _alternatives(_ORDINALS)
_PLAIN = (rf"(?:{_RW_ABBREVIATED}[ \t.#]{{0,3}}(?:\d++|{_alternatives(_COUNTS)})"
          rf"|(?:\u7b2c[ \t]?)?\d{{1,2}}(?:-?[a-z\u0439\u0433\u043e]{{1,3}})?[ \t.]{{0,3}}{_RW})(?![^\W_])")
"""A round by number, in either order (`round 2`, `раунд 2`, `2ª rodada`, `第2回合`, `round two`)."""
_NUMBERED = (rf"(?:{_PLAIN}|{_RW_ABBREVIATED}[ \t.#]{{0,3}}"
             rf"(?:[ivx]{{1,4}}(?![a-z])|{_ORDINAL})|{_ORDINAL}[ \t]{{1,3}}{_RW}"
             rf"|\d+(?:st|nd|rd|th)[ \t]{{1,3}}{_RW}|r[ \t.]?\d{{1,2}}(?=\s{{0,3}}\)))")
"""A round by number, roman numeral or ordinal, as a label's parenthesis has it (`round II`,
`second round`, `Раунд второй`, `R2`). Outside a parenthesis only `_PLAIN` counts: `In my first
turn:` is prose."""
_STAGE = (rf"(?:{_NUMBERED}|(?:opening|closing|final|rebuttal|reply|response|statement|speech|argument|question"
          r"|answer|cross|against|to|for\W{1,3}[ab]|as\W{1,3}written|[ab12])(?![^\W_]))")
_ROUND = (rf"(?:\W{{0,4}}{_PLAIN}\W{{0,3}})?"
          rf"(?:\s{{0,3}}\(\s{{0,3}}(?:[^()\n]{{0,30}}?\W)??{_STAGE}[^()\n]{{0,40}}\))?")
"""What may follow a role's name: a round, and a parenthesis that reads as a label's (a round, a
stance, a stage: `(for B, 50 words)`, `(question to consultant)`), not `Narrator (age 40)`."""
_END = r"[*_ \t]*(?:[:\uff1a]|[-\u2013\u2014](?=\s|$))"
_LEAD = r"(?:^|(?<=\n)|(?<=[.!?;\"')\]]\s)|(?<=[.!?;\"')\]]))[ \t>*#_\-\d]*+"
"""Where a label can start: a line or a sentence, then list markers or markdown. The run holds no
`.` or `)` (each starts a lead of its own), so a run of dots is read once, not once per dot."""
LABEL = re.compile(
    rf"{_LEAD}(?<![a-z0-9])(?:{_NAMES}){_ROUND}[*_ \t]*(?:[:\uff1a]|\s[-\u2013\u2014]\s|(?=\n|$))"
    rf"|(?<![a-z0-9]){_NOT_AFTER_A_WORD}(?:debaters?\W{{0,3}}{_ID}|consultants?|judges?|moderators?){_ROUND}[*_ \t]*:"
    rf"|[<\[]\s{{0,3}}/?\s{{0,3}}(?:turn|speech|speaker|{_NAMES})(?![a-z0-9])[^<>\[\]\n]{{0,80}}[>\]]"
    rf"|(?<![a-z0-9])(?:debaters?\W{{0,3}}(?:[ab12]|one|two)?|consultants?|judges?)\W{{0,4}}{_PLAIN}"
    rf"\W{{0,2}}"
    rf"|(?<![a-z0-9])(?:debaters?\W{{0,3}}(?:[ab12])?|consultants?)\W{{0,4}}for\W{{1,3}}[ab]\W{{1,3}}\d+\W{{1,3}}words?"
    rf"[^\n)]{{0,12}}\)?"
    rf"|(?<![a-z0-9]){_ASKER}(?:\s{{0,3}}\([^()\n]{{0,40}}\))?\W{{1,3}}(?:asks|answers|replies|responds)"
    rf"(?:\W{{1,3}}{_ASKER})?(?:\s{{0,3}}\([^()\n]{{0,40}}\))?[*_ \t]*[:\uff1a]"
    rf"|{_OUR_NOTES}"
    rf"|{_LEAD}(?<![a-z0-9])(?:(?:correct|right|true|final)\W{{1,3}})?answer[*_ \t]*(?:[:\uff1a]|\s-\s)"
    rf"|{_LEAD}(?<![a-z0-9])(?:the\W{{1,3}})?(?:correct|right|true|final)\W{{1,3}}answer\W{{1,3}}is[*_ \t]*[:\uff1a]"
    rf"[ \t]*[^\s,;]{{1,12}}[ \t.]*(?=\n|$)"
    rf"|(?<![^\W_]){_NAME}[ \t]{{0,12}}\(\s{{0,3}}(?:[^()\n]{{0,20}}?\s)?{_NUMBERED}"
    rf"[^()\n]{{0,30}}\){_END}"
    rf"|{_LEAD}(?<![^\W_]){_NAME}\W{{1,4}}{_PLAIN}{_END}"
    rf"|,[ \t]{{0,3}}{_PLAIN}[*_ \t]*[:\uff1a]",
)
"""A speaker label or turn tag, on a skeleton (lower case, look-alikes folded)."""


_CONTROL = re.compile(
    r"<\|[^<>|\n]{1,40}\|>|<(/?)(start_of_turn|end_of_turn|bos|eos|s|pad|unk|sep|cls|mask|think|tool_call"
    r"|tool_response)>|<<(/?)SYS>>|\[(/?)(INST|SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]",
    re.IGNORECASE)
"""Chat-template control tokens (ChatML, Llama 3, Gemma, Llama 2/Mistral, DeepSeek after NFKC)."""


def defuse_control_tokens(text: str) -> str:
    """Control tokens written in a speech, with their brackets replaced by look-alikes a reader
    still recognises (`<|im_start|>` -> `‹|im_start|›`, `[INST]` -> `(INST)`): a server that
    reads such strings in a message as the template's own tokens (llama.cpp, vLLM) sees plain
    text, so a speech cannot open a real turn for the model."""
    def defuse(m: re.Match[str]) -> str:
        token = m.group(0)
        if token.startswith("["):
            return "(" + token[1:-1] + ")"
        if token.startswith("<<"):
            return "\u2039\u2039" + token[2:-2] + "\u203a\u203a"
        return "\u2039" + token[1:-1] + "\u203a"
    return _CONTROL.sub(defuse, text)


def _is_mark(ch: str) -> bool:
    """A mark drawn over or around the letter before it (`B̲`, `B⃝`), whatever its combining class."""
    return unicodedata.category(ch) in ("Mn", "Me")


def _quoted_spans(text: str, keep: Sequence[str]) -> list[tuple[int, int]]:
    """Each `<name>...</name>` of a kept marker, as a lazy regex pairs them (an opening with the
    nearest closing of its name after it, the next search after that closing), in one pass over
    the tags: a regex rescans the rest of the text from every opening that is never closed."""
    if not keep:
        return []
    names = "|".join(re.escape(k) for k in keep)
    closes: dict[str, list[int]] = {}
    opens: list[tuple[int, str]] = []
    for m in re.finditer(rf"<(/?)({names})>", text):
        if m.group(1):
            closes.setdefault(m.group(2), []).append(m.start())
        else:
            opens.append((m.start(), m.group(2)))
    spans: list[tuple[int, int]] = []
    after = 0
    for start, name in opens:
        if start < after:
            continue
        ends = closes.get(name, [])
        k = bisect.bisect_left(ends, start + len(name) + 2)
        if k < len(ends):
            after = ends[k] + len(name) + 3
            spans.append((start, after))
    return spans


def split_labels(text: str, keep: Sequence[str] = ("v_quote", "u_quote")) -> list[tuple[bool, str]]:
    """`text` as segments (is_label, text): every label-like run is its own segment. Text inside
    our quote markers (`keep`) is story text that was checked, and is left whole."""
    protected = _quoted_spans(text, keep)
    skel = skeleton(text)
    kept = None if text.isascii() else [i for i, ch in enumerate(text) if not _is_mark(ch)]
    if kept is not None and len(kept) < len(skel):  # marks over letters (`B̲`, `Judgẹ`): read past
        skel = "".join(skel[i] for i in kept)
    else:
        kept = None
    segments: list[tuple[bool, str]] = []
    last = 0
    for m in LABEL.finditer(skel):
        start, end = m.start(), m.end()
        while start < end and skel[start] in " \t\n":
            start += 1
        if start >= end or not re.search(r"[a-z]", skel[start:end]):
            continue
        if kept is not None:  # back to the text's offsets, with the marks over the last letter
            start, end = kept[start], kept[end - 1] + 1
            while end < len(text) and _is_mark(text[end]):
                end += 1
        if any(a < end and start < b for a, b in protected):
            continue
        if start > last:
            segments.append((False, text[last:start]))
        segments.append((True, text[start:end]))
        last = end
    if last < len(text):
        segments.append((False, text[last:]))
    return segments


def label_note(label: str, speaker: str) -> str:
    """How a label written inside a speech reads in a model judge's prompt."""
    return f"[{speaker} wrote: \u00ab{label.strip()}\u00bb (inside the speech, not a turn)]"


def mark_labels(text: str, speaker: str, verified_tag: str = "v_quote") -> tuple[str, int]:
    """The speech with every label-like run marked as written by `speaker`; and how many. Only
    verified quotes (story text) are left whole: an unverified one holds the speaker's words."""
    segments = split_labels(text, (verified_tag,))
    n = sum(is_label for is_label, _ in segments)
    return "".join(label_note(t, speaker) if is_label else t for is_label, t in segments), n


def render_turn(label: str, text: str) -> str:
    """One turn: our label on its own line, every line of the speech behind SPEECH_PREFIX."""
    lines = text.split("\n") or [""]
    return label + "\n" + "\n".join(SPEECH_PREFIX + line for line in lines)


__all__ = ["LABEL", "SPEECH_PREFIX", "defuse_control_tokens", "label_note", "mark_labels", "render_turn", "split_labels"]
