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
  round 3:`, `..., turn 3:`), a round being a number, a roman numeral, a number word or an
  ordinal, in the languages a judge reads (`раунд 2`, `round II`, `second round`), never any word
  with a number (`(paragraph 3):` is a citation); a speaker's possessive or verb (`Debater B's
  rebuttal:`, `Debater B replies:`); a markdown header or bold line naming a speaker (`## Debater B`, `**Judge**`);
- tags of turns and roles: `<turn speaker="Debater B">`, `</speech>`, `<judge>`, `[Debater B]`;
- what reads as the judge's answer: `Judge's decision:`, `Final verdict:`, `(Correct) answer:` at the start of
  a line or sentence, `Judge (question to consultant):`;
- imitations of the notes we write around such text (`[Debater B wrote: ...`, `(inside the
  speech, not a turn)`), so a speech cannot attribute words to another speaker through them.

People see real labels in a style only our markup gives (tui), never text from a model.
The rule for any name also marks honest headings such as `Key points (round 1):`: that costs a
note beside them, where a missed forgery would rest on the turn layout alone; on the NYU
debaters' 1,324 speeches it marks no such heading (benchmarks/label_flags.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from oversight.protocols.shared.lookalike import skeleton

SPEECH_PREFIX = "\u2502 "
"""Starts every line of a speech in a rendered transcript ("│ ")."""
_NAMES = (r"(?:debaters?|debate\W{0,2}r)\W{0,3}(?:(?:no\W{0,2})?[ab12]|one|two)?[\"'>`\u2019\u201d]?(?:\[as written\])?"
          r"(?:\W{0,2}s?\W{1,3}(?:(?:opening|closing|final|first|second|third|last)\W{1,3})?"
          r"(?:statement|rebuttal|argument|speech|reply|response|turn|writes|wrote|replies|replied|responds"
          r"|responded|says|said|argues|argued|concedes|conceded))?"
          r"|judges?(?:\W{0,2}s)?(?:\W{0,3}(?:final\W{0,3})?(?:decision|verdict|ruling|answer|question|note|says|said"
          r"|rules|ruled|decides|decided))?|consultants?|moderators?|narrators?"
          r"|system|user|assistant|human|ai|speaker\W{0,3}(?:[ab12]|one|two)?|transcript|round\W{0,3}\d+"
          r"|(?:final\W{0,3})?(?:verdict|decision|ruling)|final\W{0,3}answer")
_ROUND = r"(?:\W{0,4}(?:round|turn|rd)\W{0,3}\d+\W{0,3})?(?:\s{0,3}\([^()\n]{0,40}\))?"
_OUR_NOTES = (r"\[\s*[^\[\]\n]{0,40}?\s+wrote\s*:|\(\s*inside\s+the\s+speech\W{1,3}not\s+a\s+turn\s*\)"
              r"|\(\s*written\s+inside\s+[^()\n]{0,40}\bnot\s+a\s+turn\s*\)")
"""Imitations of the notes we write around a label a speech wrote (label_note, the TUI's)."""
_WRAP = "[*_\"'`\u2018\u2019\u201c\u201d]{0,3}"
_NAME = rf"{_WRAP}(?:[^\W_][\w']*[ \t]{{1,3}}){{0,2}}[^\W_][\w']*{_WRAP}"
"""Any name of up to three words, in any script, wrapped in markdown or quotes (`**Team 2**`)."""
_ROUND_WORDS = ("round", "turn", "rd", "runde", "ronda", "rodada", "turno", "tour", "manche", "tura", "runda",
                "\u0440\u0430\u0443\u043d\u0434", "\u0442\u0443\u0440", "\u0445\u043e\u0434",
                "\u56de\u5408", "\u8f6e", "\u30e9\u30a6\u30f3\u30c9", "\ub77c\uc6b4\ub4dc", "\u03b3\u03cd\u03c1\u03bf\u03c2")
"""The word for a round in the languages a judge is likely to read (раунд, 回合, ラウンド ...)."""
_ORDINALS = r"(?:opening|closing|final|last|first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))"
_NUMBERED = (rf"(?:(?:{'|'.join(sorted({re.escape(skeleton(w)) for w in _ROUND_WORDS}, key=len, reverse=True))})"
             rf"[ \t.#]{{0,3}}(?:\d+|[ivx]{{1,4}}(?![a-z])|one|two|three|four|five|six)|{_ORDINALS}[ \t]{{1,3}}(?:round|turn))")
"""A round by number, roman numeral or ordinal (`round 2`, `раунд 2`, `round II`, `second round`)."""
_END = r"[*_ \t]*(?:[:\uff1a]|[-\u2013\u2014](?=\s|$))"
_LEAD = r"(?:^|(?<=\n)|(?<=[.!?;\"')\]]\s)|(?<=[.!?;\"')\]]))[ \t>*#_\-\d.)]*"
LABEL = re.compile(
    rf"{_LEAD}(?<![a-z0-9])(?:{_NAMES}){_ROUND}[*_ \t]*(?:[:\uff1a]|\s[-\u2013\u2014]\s|(?=\n|$))"
    rf"|(?<![a-z0-9])(?:{_NAMES}){_ROUND}[*_ \t]*:"
    rf"|[<\[]\s*/?\s*(?:turn|speech|speaker|{_NAMES})(?![a-z0-9])[^<>\[\]\n]{{0,80}}[>\]]"
    rf"|(?<![a-z0-9])(?:debaters?\W{{0,3}}(?:[ab12]|one|two)?|consultants?|judges?)\W{{0,4}}(?:round|turn|rd)"
    rf"\W{{0,3}}\d+\W{{0,2}}"
    rf"|(?<![a-z0-9])(?:debaters?\W{{0,3}}(?:[ab12])?|consultants?)\W{{0,4}}for\W{{1,3}}[ab]\W{{1,3}}\d+\W{{1,3}}words?"
    rf"[^\n)]{{0,12}}\)?"
    rf"|{_OUR_NOTES}"
    rf"|{_LEAD}(?<![a-z0-9])(?:(?:the\W{{1,3}})?(?:correct|right|true)\W{{1,3}})?answers?(?:\W{{1,3}}is)?[*_ \t]*[:\uff1a]"
    rf"|(?<![^\W_]){_NAME}[ \t]{{0,12}}\(\s*(?:[^()\n]{{0,20}}?\s)?{_NUMBERED}"
    rf"[^()\n]{{0,30}}\){_END}"
    rf"|{_LEAD}(?<![^\W_]){_NAME}\W{{1,4}}{_NUMBERED}{_END}"
    rf"|,[ \t]{{0,3}}{_NUMBERED}[*_ \t]*[:\uff1a]",
)
"""A speaker label or turn tag, on a skeleton (lower case, look-alikes folded)."""
_QUOTE_MARKERS = re.compile(r"<(v_quote|u_quote)>.*?</\1>", re.DOTALL)


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


def split_labels(text: str, keep: Sequence[str] = ("v_quote", "u_quote")) -> list[tuple[bool, str]]:
    """`text` as segments (is_label, text): every label-like run is its own segment. Text inside
    our quote markers (`keep`) is story text that was checked, and is left whole."""
    names = "|".join(re.escape(k) for k in keep)
    protected = [m.span() for m in re.finditer(rf"<({names})>.*?</\1>", text, re.DOTALL)] if keep else []
    skel = skeleton(text)
    kept = None if text.isascii() else [i for i, ch in enumerate(text) if not unicodedata.combining(ch)]
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
            while end < len(text) and unicodedata.combining(text[end]):
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
