"""Reading flaw and critique lists out of model text, and matching flaws to each other.

Model text is messy: base models continue a numbered list without its first marker, wander
into a new "Question:" block, repeat themselves, or say "None" in ten ways. Everything here
is pure and deterministic so the tests can pin it down on real-looking output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from oversight.protocols.critique.lexical import LEXICAL_METHOD, content_words, lexical_match, lexical_score

# A list marker at the start of a line: "1.", "2)", "(3)", "4:", "Flaw 2:", "Critique #3 -", bullets.
_MARKER = re.compile(
    r"""^\s*(?:
        (?:flaw|critique|issue|problem|error|mistake|point|comment)\s*\#?\s*\d{1,2}\s*[:.)\-]
      | \(?\d{1,2}\s*[.)\]:](?!\d)
      | [-*•·–](?=\s)
    )\s*""",
    re.VERBOSE | re.IGNORECASE,
)
# A line where a base model starts a new prompt frame instead of continuing the list.
_FRAME = re.compile(
    r"^\s*(?:(?:passage|context|question|answer|text|story|title|reported flaw|known flaws?|"
    r"critiques?|flaws found|reviewer'?s? critiques?|example|critique of the answer|(?:reviewer'?s?\s+)?comment on the "
    r"(?:point above|last point)|match|real flaw)\s*(?:\d+\s*)?:|#{2,}|-{3,}|={3,}|<end_of_turn>|<eos>)",
    re.IGNORECASE,
)
# A cue label a model may echo before its content ("Flaws found:", "Answer: ..."): stripped, not a stop.
_ECHO = re.compile(
    r"^\s*(?:flaws?\s+found|(?:the\s+)?(?:reviewer'?s?\s+)?(?:critiques?|comment)"
    r"(?:\s+on\s+the\s+(?:last\s+point|point\s+above))?"
    r"|answer(?:\s+to\s+check)?|assessment|reply)\s*:\s*",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^(?:flaw|critique|issue|problem|error|mistake)\s*:\s*", re.IGNORECASE)
_NONE = re.compile(
    r"^\W*(?:(?:none|nothing|n/?a)(?:\s+(?:found|identified|detected|to\s+report))?(?:[.!,;:]|\s*$)"
    r"|no\s+(?:\w+\s+)?(?:flaws?|issues?|errors?|mistakes?|problems?|critiques?)\b"
    r"|(?:there\s+are|i\s+found|i\s+see)\s+no\b"
    r"|the\s+answer\s+(?:is|looks|seems)\s+(?:correct|fine|good|accurate)\b)",
    re.IGNORECASE,
)
_INLINE_NUMBER = re.compile(r"(?<=[.!?;])\s+(?=\d{1,2}[.)]\s)")
_SPECIAL_TOKENS = re.compile(r"<(?:end_of_turn|start_of_turn|eos|bos|/s|\|im_end\|)>.*", re.DOTALL)


def is_none_reply(text: str) -> bool:
    """True for the many ways of saying "no flaws" ("None.", "No issues found", "N/A")."""
    return bool(_NONE.match(text.strip()))


def free_text(text: str, max_chars: int = 800) -> str:
    """Prose up to where a base model starts a new frame ("Question: ..."), whitespace collapsed."""
    lines: list[str] = []
    for line in _SPECIAL_TOKENS.sub("", text.replace("**", "")).split("\n"):
        if not any(x.strip() for x in lines):
            line = _ECHO.sub("", line, count=1)
        if _FRAME.match(line):
            break
        lines.append(line)
    return " ".join(" ".join(lines).split())[:max_chars].strip()


def normalize(text: str) -> str:
    """Lowercase alphanumeric words: the key for exact-duplicate checks."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _clean(item: str, max_chars: int) -> str:
    item = " ".join(item.split())
    item = _LABEL.sub("", item).strip().strip('"“”').strip()
    sentences, seen = [], set()
    for sentence in re.split(r"(?<=[.!?])\s+", item):  # base models loop on one sentence
        key = normalize(sentence)
        if key and key not in seen:
            seen.add(key)
            sentences.append(sentence)
    item = " ".join(sentences)
    if len(item) > max_chars:
        cut = item[:max_chars].rsplit(" ", 1)[0]
        item = cut.rstrip(",;:") + " …"
    return item


def parse_list(
    text: str,
    *,
    max_items: int | None = None,
    exclude: tuple[str, ...] = (),
    max_chars: int = 400,
    min_words: int = 2,
    truncated: bool = False,
) -> list[str]:
    """Items of a numbered or bulleted list in model text, cleaned and de-duplicated.

    Lines before the first marker form the first item (a base model prompted with "1." just
    continues it), unless they read like a preamble ending in ":". Parsing stops where the model
    starts a new frame ("Question: ..."). Items saying "none" are dropped, and so are items that
    merely repeat one of `exclude` (e.g. the answer being critiqued). With `truncated` (the
    model hit its token limit) the last item is cut off mid-way and is dropped if others exist.
    """
    text = _SPECIAL_TOKENS.sub("", text.replace("**", "").replace("\r", ""))
    text = _INLINE_NUMBER.sub("\n", text)
    items: list[str] = []
    current: list[str] | None = None
    preamble: list[str] = []
    for line in text.split("\n"):
        if current is None and not preamble:
            line = _ECHO.sub("", line, count=1)
        marker = _MARKER.match(line)
        if marker:
            if current is not None:
                items.append(" ".join(current))
            elif preamble:
                joined = " ".join(preamble).strip()
                if joined and not joined.endswith(":"):
                    items.append(joined)
                preamble = []
            current = [line[marker.end():]]
            continue
        if _FRAME.match(line):
            break
        if current is not None:
            if line.strip():
                current.append(line.strip())
        elif line.strip():
            preamble.append(line.strip())
    if current is not None:
        items.append(" ".join(current))
    elif preamble:
        items.append(" ".join(preamble))
    if truncated and len(items) > 1:
        items.pop()
    return dedupe(
        [_clean(i, max_chars) for i in items], max_items=max_items, exclude=exclude, min_words=min_words
    )


def dedupe(
    items: list[str], *, max_items: int | None = None, exclude: tuple[str, ...] = (), min_words: int = 2
) -> list[str]:
    """Drop empty, "none", too-short, repeated, near-repeated and cut-short repeated items
    (a prefix of an earlier one); keep order; cap the count."""
    kept: list[str] = []
    keys: list[str] = []
    banned = [normalize(e) for e in exclude if e.strip()]
    for item in items:
        key = normalize(item)
        if len(key.split()) < min_words or is_none_reply(item):
            continue
        numbers = re.findall(r"\d+", key)
        if any(key == k or k.startswith(key) or (fuzz.ratio(key, k) >= 90 and numbers == re.findall(r"\d+", k))
               for k in keys):
            continue
        if any(fuzz.ratio(key, b) >= 90 for b in banned):
            continue
        kept.append(item)
        keys.append(key)
        if max_items is not None and len(kept) >= max_items:
            break
    return kept


@dataclass(frozen=True)
class GraderReply:
    """A grader's decision read from its text: which known flaw matched (0-based) and why."""

    index: int | None
    reason: str
    parsed: bool
    """False when the text gave no usable answer; the report then counts as unmatched."""


def gold_label(index: int) -> str:
    """Known flaws are lettered (A, B, ... Z, AA, AB ...): base models continue "1." lists on
    their own, so a number in a reply says little; a letter label does not arise by accident."""
    return chr(65 + index) if index < 26 else chr(64 + index // 26) + chr(65 + index % 26)


def _label_index(label: str) -> int:
    if len(label) == 1:
        return ord(label) - 65
    return (ord(label[0]) - 64) * 26 + ord(label[1]) - 65


_NONE_FIRST = re.compile(r"^\W*(?:none|no\s+match|no|neither|nothing|n/?a|0)\b(.*)", re.IGNORECASE | re.DOTALL)
_LABEL_FIRST = re.compile(
    r"^[\W_]*(?:(?:known\s+)?flaw\s+|option\s+)?\(?([A-Z]{1,2})(?=\)|\.|:|,|;|\s*[-–—(]|\s+because\b|\s*$)(.*)",
    re.IGNORECASE | re.DOTALL,
)
_LABEL_NAMED = re.compile(r"\b(?:known\s+flaw|flaw|option)\s+\(?([A-Z]{1,2})\b")


def _reason(rest: str) -> str:
    rest = _SPECIAL_TOKENS.sub("", rest)
    lines = [line.strip() for line in rest.strip().lstrip("-–—:.,;)").split("\n")]
    first = " ".join(line for line in lines[:2] if line and not _FRAME.match(line))
    first = re.sub(r"^(?:reason|because)\s*:?\s*", "", first.strip(" -–—:.,;()"), flags=re.IGNORECASE)
    return first[:300]


def _first_line(text: str) -> tuple[str, str]:
    """The first non-empty line and the rest: a grader's decision has to come first."""
    text = _SPECIAL_TOKENS.sub("", text.replace("**", "")).strip()
    head, _, rest = text.partition("\n")
    return head.strip(), rest


def parse_grader_match(text: str, n_gold: int) -> GraderReply:
    """Read "B - same wrong year" / "None: different issue" / "Known flaw A, because ..." replies.

    Only the first non-empty line decides. "None" (or 0) means no match; a label past the
    list, or a first line with no label (e.g. a base model starting its own numbered list),
    is unmatched with parsed=False, so auditors can find the grader's unreadable answers.
    """
    head, rest = _first_line(text)
    m = _NONE_FIRST.match(head)
    if m:
        return GraderReply(None, _reason(m.group(1) + "\n" + rest), True)
    m = _LABEL_FIRST.match(head)
    label, tail = None, ""
    if m and (len(m.group(1)) == 1 or m.group(1).isupper()):  # "b" is a label, "ok" is not
        label, tail = m.group(1).upper(), m.group(2)
    if label is None:
        named = _LABEL_NAMED.search(head)
        label, tail = (named.group(1), head[named.end():]) if named else (None, "")
    if label is None:
        return GraderReply(None, f"unreadable grader reply: {text.strip()[:80]!r}", False)
    index = _label_index(label)
    if not 0 <= index < n_gold:
        return GraderReply(None, f"grader answered {label!r}, but the known flaws are A-{gold_label(n_gold - 1)}"
                           if n_gold else f"grader answered {label!r}, but there are no known flaws", False)
    return GraderReply(index, _reason(tail + "\n" + rest), True)


_YES = re.compile(r"^\W*(yes|true|valid|real|correct|confirmed)\b(.*)", re.IGNORECASE | re.DOTALL)
_NO = re.compile(r"^\W*(no|false|invalid|not\b|incorrect|wrong|unconfirmed)\b(.*)", re.IGNORECASE | re.DOTALL)


def parse_yes_no(text: str) -> tuple[bool | None, str]:
    """A confirm-mode grader's "Yes - ..." / "No, ..." reply (first non-empty line); None if neither."""
    head, rest = _first_line(text)
    m = _YES.match(head)
    if m:
        return True, _reason(m.group(2) + "\n" + rest)
    m = _NO.match(head)
    if m:
        return False, _reason(m.group(2) + "\n" + rest)
    return None, f"unreadable grader reply: {text.strip()[:80]!r}"


__all__ = ["LEXICAL_METHOD", "GraderReply", "content_words", "dedupe", "free_text", "gold_label", "is_none_reply",
           "lexical_match", "lexical_score", "normalize", "parse_grader_match", "parse_list", "parse_yes_no"]
