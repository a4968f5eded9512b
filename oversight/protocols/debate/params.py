"""The `params:` block of an experiment with `protocol: debate`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from oversight.protocol.contract import no_repeats

Condition = Literal["debate", "consultancy", "blind", "expert"]
CONDITIONS: tuple[str, ...] = ("debate", "consultancy", "blind", "expert")
_TAG = r"^[A-Za-z][A-Za-z0-9_-]*$"
Speaker = Literal["debater_a", "debater_b", "consultant"]
SPEAKERS: tuple[str, ...] = ("debater_a", "debater_b", "consultant")
MAX_BEST_OF_N = 64


def _level(value: object, where: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BEST_OF_N:
        raise ValueError(f"{where}must be a whole number from 1 to {MAX_BEST_OF_N} (got {value!r})")
    return value


def _levels_value(value: object) -> object:
    """A number for every speaker, or a mapping speaker -> number, with one message for both."""
    if isinstance(value, dict):
        for role, n in value.items():
            if role not in SPEAKERS:
                raise ValueError(f"{role!r} is not a speaker (use {', '.join(SPEAKERS)})")
            _level(n, f"{role}: ")
        return dict(value)
    return _level(value)


def _swap_value(value: object) -> object:
    """true / false / rerun, with a message that names all three."""
    if isinstance(value, str) and value.strip().lower() == "rerun":
        return "rerun"
    if isinstance(value, str) and value.strip().lower() not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
        raise ValueError(f"must be true, false or rerun (got {value!r})")
    return value


class DebateParams(BaseModel):
    """The experiment's `params:` block for `protocol: debate`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    conditions: Annotated[list[Condition], AfterValidator(no_repeats)] = Field(
        default_factory=lambda: list(CONDITIONS), min_length=1)
    """Which conditions to run on every item; each becomes one transcript per item."""
    rounds: int = Field(default=3, ge=1, le=20)
    """Speeches per debater (or consultant)."""
    turns: Literal["simultaneous", "sequential"] = "simultaneous"
    """Simultaneous: both debaters speak each round without seeing the other's current speech.
    Sequential: debater A speaks first and debater B sees A's speech of the same round."""
    word_limit: int = Field(default=150, ge=5, le=2000)
    """Words per speech; told to the speaker and enforced by cutting longer speeches."""
    max_speech_tokens: int | None = Field(default=None, ge=1)
    """Token cap per speech; default about 2 tokens per word of the limit plus 16. A smaller
    `max_tokens` in `generation:` still wins."""
    swap: Annotated[bool | Literal["rerun"], BeforeValidator(_swap_value)] = True
    """Also judge every transcript with the answer order reversed; both verdicts are recorded.
    `true`: the swapped view relabels answer letters in the speeches where that is certain and
    marks and counts the rest (`unresolved_references`). `rerun`: debate and consultancy are run a
    second time with the answers in the other order (twice the speech calls), and the swapped
    view shows that run as spoken: an exact swap. `false`: the original order only."""
    judge_kind: Literal["model", "logprob"] = "model"
    """`model`: parse the judge's text (answer + probability). `logprob`: read P(A) vs P(B) from
    the first token's top logprobs (needs a provider with logprobs: local, OpenAI-compatible)."""
    judge_format: Literal["structured", "text"] = "structured"
    """How a `model` judge answers: `structured` asks the provider for one JSON object (reasoning,
    then answer and probability) where it supports structured output (OpenAI-compatible,
    Anthropic, local) and falls back to free text, noted in the transcript, where it does not;
    `text` always reads free text. The logprob judge is unaffected."""
    top_logprobs: int = Field(default=10, ge=2, le=20)
    """How many alternatives the logprob judge asks for."""
    quote_tag: str = Field(default="quote", pattern=_TAG)
    """Debaters quote the story as <quote_tag>...</quote_tag>."""
    verified_tag: str = Field(default="v_quote", pattern=_TAG)
    """Tag that marks a verified quote in what the judge sees."""
    unverified_tag: str = Field(default="u_quote", pattern=_TAG)
    """Tag that marks an unverified quote in what the judge sees."""
    fuzzy_threshold: float | None = Field(default=None, ge=0, le=100)
    """If set, a quote whose fuzzy score (0-100) reaches this also counts as verified; by default
    only exact matches (after normalising case, punctuation, quotes and whitespace) do."""
    n_boot: int = Field(default=2000, ge=100, le=100_000)
    """Resamples for bootstrap intervals (written into metrics.json with the method)."""
    bootstrap_seed: int = 0
    """Seed of the bootstrap resampling, so a report is reproducible."""
    stop: list[str] = Field(default_factory=lambda: ["\nDebater A", "\nDebater B", "\nConsultant", "\nJudge"])
    """Stop sequences for speeches, used when `generation:` sets none for the role. Base models
    need them, or they write the other side's speech too."""
    passage: Literal["story", "none"] = "story"
    """`story`: debaters (and the consultant) read a hidden text and quote it, quotes are checked.
    `none`: closed questions (e.g. math word problems): no text anywhere, quotes are not checked
    and the judge is told so; the `expert` condition, which reads the text, is not allowed. Items
    without a story (formats solib-math, mmlu-pro) need `none`."""
    roles: Literal["assigned", "open"] = "assigned"
    """`assigned`: debater A defends the first answer, B the second, the consultant its assigned
    one. `open` (Kenton et al. 2024): each debater and the consultant first chooses the answer it
    defends (one recorded call; graph.py says how a bad or clashing choice is settled)."""
    judge_questions: int = Field(default=0, ge=0, le=10)
    """The interactive judge (Michael et al. 2023; questions.py): with N > 0, after every round
    but the last of debate and consultancy the judge reads the exchange so far and either asks
    up to N questions, each to one speaker or both, answered in their next speech, or ends the
    debate with its verdict. 0: the fixed-round protocol."""

    best_of_n: Annotated[int | dict[Speaker, int], BeforeValidator(_levels_value)] = 1
    """Candidate speeches per turn (Khan et al. 2024): each speech is generated this many times,
    every candidate is scored by the `bon_selector` role's model, and the best is spoken. 1: one
    speech, as without best-of-N. A mapping sets it per speaker (`{debater_a: 4, debater_b: 1}`,
    an unlisted speaker 1), so one run can pit best-of-N levels against each other."""
    bon_selector: Literal["judge", "selector", "debater_a", "debater_b", "consultant"] = "judge"
    """The role whose model scores candidates: by default the judge's model; `selector` scores
    with the model bound to a role `selector` under `models:` (its own row in `--dry-run`)."""
    bon_scoring: Literal["logprob", "text"] = "logprob"
    """`logprob`: the score is P(yes) from the first token's top logprobs (one token per call;
    providers without logprobs fall back to reading the text, noted). `text`: the selector
    writes "yes/no, RATING" and the 0-100 rating (else the yes or no) is read."""

    def level(self, role: str) -> int:
        """Candidates per turn for this speaker (1 for a role that does not speak)."""
        if isinstance(self.best_of_n, int):
            return self.best_of_n if role in SPEAKERS else 1
        return self.best_of_n.get(role, 1)  # type: ignore[call-overload]

    def levels(self) -> dict[str, int]:
        """Every speaker's level, when any is above 1 ({} otherwise: no best-of-N at all)."""
        levels = {role: self.level(role) for role in SPEAKERS}
        return levels if max(levels.values()) > 1 else {}

    cross_examination: bool = False
    """From round 2 on, before its speech, each debater may question its opponent as it was when
    it gave an earlier speech (Irving et al. 2018): the answer comes from the opponent's context
    of that speech, forked there, so it cannot adapt to later speeches (crossexam.py). Debate
    only: consultancy has no opponent and is run as without it."""
    cross_questions: int = Field(default=1, ge=1, le=5)
    """With `cross_examination`: questions each debater may ask per round."""

    @model_validator(mode="after")
    def _cross_examination_needs_a_debate(self) -> DebateParams:
        if self.cross_examination and "debate" not in self.conditions:
            raise ValueError("@cross_examination@needs the debate condition (a consultant has no opponent to "
                             "question); add debate to conditions or set cross_examination: false")
        if self.cross_examination and self.rounds < 2:
            raise ValueError("@cross_examination@questions an earlier speech, so it needs rounds of 2 or more "
                             f"(rounds is {self.rounds})")
        return self

    @model_validator(mode="after")
    def _designs_need_a_speaker(self) -> DebateParams:
        """A design that changes only speeches is refused when no chosen condition has the
        speaker it changes: it would be recorded as on and change nothing."""
        spoken = [c for c in self.conditions if c in ("debate", "consultancy")]
        none = f"conditions {list(self.conditions)} have no speeches"
        if self.judge_questions and not spoken:
            raise ValueError(f"@judge_questions@the judge questions the speakers, and {none}; add debate or "
                             "consultancy to conditions or set judge_questions: 0")
        if self.judge_questions and self.rounds < 2:
            raise ValueError("@judge_questions@the judge asks after every round but the last, so it needs rounds of "
                             f"2 or more (rounds is {self.rounds}); set judge_questions: 0 or raise rounds")
        if self.roles == "open" and not spoken:
            raise ValueError(f"@roles@open lets speakers choose their answer, and {none}; add debate or "
                             "consultancy to conditions or set roles: assigned")
        speakers = ({"debater_a", "debater_b"} if "debate" in spoken else set()) | (
            {"consultant"} if "consultancy" in spoken else set())
        if self.levels() and not any(self.level(r) > 1 for r in speakers):
            above = sorted(r for r, n in self.levels().items() if n > 1)
            raise ValueError(f"@best_of_n@asks for candidates only from {', '.join(above)}, and none of them "
                             f"speaks under conditions {list(self.conditions)}; set it for a speaker of these "
                             "conditions, or to 1")
        return self

    @model_validator(mode="after")
    def _no_expert_without_text(self) -> DebateParams:
        if self.passage == "none" and "expert" in self.conditions:
            raise ValueError("@conditions@expert reads the story, and passage is none; drop expert from conditions")
        return self

    @model_validator(mode="after")
    def _one_live_debate(self) -> DebateParams:
        if self.judge_questions and self.swap == "rerun":
            raise ValueError("@judge_questions@the interactive judge steers one live debate and swap: rerun would "
                             "run a second one; use swap: true (the finished exchange is also judged swapped) or false")
        return self
