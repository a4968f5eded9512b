"""The CLI's consoles and the small pieces every command module prints with."""

from __future__ import annotations

from oversight.core.safe_text import SafeConsole, line

# Every value we print may be foreign (paths, ids, model text): these consoles clean each string
# they render, and lines mixing our words with such values are built as Text (never markup).
console = SafeConsole()
err_console = SafeConsole(stderr=True)


def warn(message: str) -> None:
    """Where the lower layers' warnings (skipped torn lines, ...) reach the user."""
    err_console.print(line(("warning:", "yellow"), " ", message), highlight=False, soft_wrap=True)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run, after we have said how to resume it."""


class Halted(Exception):
    """The run folder could not be written mid-run, after we have said how to resume (exit 1)."""


def print_estimate(title: str, rows: list[dict[str, object]], wall: str | None = None,
                   bounds: list[str] | None = None) -> None:
    """The estimate table, then each role's model named whole (a table cell would cut it);
    `bounds` say why the calls are counted at the most (the protocol's `call_bounds`)."""
    from oversight.report.tables import rows_table  # loaded on use: it costs the CLI's start-up 0.2 s

    models = {str(r["role"]): str(r["model"]) for r in rows if "model" in r}
    console.print(rows_table(title, [{k: v for k, v in r.items() if k != "model"} for r in rows]))
    by_model: dict[str, list[str]] = {}
    for role, model in models.items():
        by_model.setdefault(model, []).append(role)
    for model, roles in by_model.items():
        console.print(line(f"  {', '.join(roles)}: {model}"), highlight=False, soft_wrap=True)
    console.print("input tokens estimated at 4 characters a token; output counted at each call's max_tokens")
    if bounds:
        console.print(line("calls are upper bounds, counted at the most: " + "; ".join(bounds)), highlight=False)
    if wall:
        console.print(line(wall), highlight=False)


