"""`oversight` command line. Exit codes: 0 done, 1 finished with failed items, 2 bad input.

One module per command (`oversight/cli/<command>.py`), each with `add_parser(sub)` and
`command(args)`; this module builds the parser and turns errors into one line and an exit code.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import sys
import warnings
from pathlib import Path
from typing import Any, NoReturn

from oversight import __version__
from oversight.cli import export, imports, judge, judge_live, ls, report, review, run, validate
from oversight.cli.console import Halted, Interrupted, err_console, warn
from oversight.cli.options import DeferringParser
from oversight.core import keyguard, safe_paths
from oversight.core.errors import UserError
from oversight.core.safe_text import clean, line

COMMANDS = {"run": run, "validate": validate, "import": imports, "judge": judge, "judge-live": judge_live,
            "report": report,
            "export": export, "review": review, "ls": ls}
"""Command name -> its module, in the order `oversight --help` lists them."""


class _Parser(DeferringParser):
    """argparse's errors as our one line (no usage dump), naming the command and where its
    options are listed; what was typed is echoed with controls inert."""

    commands: dict[str, _Parser] = {}
    top: _Parser | None = None
    argv: list[str] = []
    """The words the command line was given (the command's parser reads its own part of them)."""

    def _print_message(self, message: str, file: Any = None) -> None:
        super()._print_message(clean(message), file)

    def error(self, message: str) -> Any:
        if message.startswith("the following arguments are required"):
            # an unknown option is the likelier mistake: `judge --bogus` is not about RUN_DIR, and
            # `oversight --bogus judge` is about the top level's options
            top = _Parser.top
            ahead = top.unknown(top.own_words()) if top is not None and top is not self else []
            if ahead:
                top.error(top.unrecognized(ahead))
            unknown = self.unknown(self.own_words())
            if unknown:
                message = f"{self.unrecognized(unknown)}; {message}"
        self.exit(2, clean(f"error: {self.prog}: {message}; the options: {self.prog} --help", one_line=True) + "\n")

    def own_words(self) -> list[str]:
        """The words of the command line this parser reads: before the command, or after it."""
        name = self.prog.removeprefix("oversight").strip()
        words = self.argv
        if name and name in words:
            return words[words.index(name) + 1:]
        first = next((i for i, w in enumerate(words) if w in self.commands), len(words))
        return words[:first]

    def known(self) -> list[str]:
        return [o for action in self._actions for o in action.option_strings]

    def unknown(self, words: list[str]) -> list[str]:
        """Options in `words` this parser has not (abbreviations allowed, as argparse allows them)."""
        known = self.known()
        takes_value = {o for action in self._actions if action.nargs != 0 for o in action.option_strings}
        words = words[:words.index("--")] if "--" in words else words
        out = []
        for i, word in enumerate(words):
            name = word.split("=", 1)[0]
            if not name.startswith("-") or name == "-" or name.lstrip("-").replace(".", "", 1).isdigit():
                continue
            if i and self._takes_value(words[i - 1], takes_value):
                continue  # `--judge-id "-ann lee"` (or `--judge-i`): a value that starts with a dash
            if name not in known and not any(k.startswith(name) for k in known if name.startswith("--")):
                out.append(word)
        return out

    @staticmethod
    def _takes_value(word: str, takes_value: set[str]) -> bool:
        """`word` is an option that reads the next word, whole or abbreviated as argparse allows."""
        if word in takes_value:
            return True
        return word.startswith("--") and "=" not in word and any(o.startswith(word) for o in takes_value)

    def unrecognized(self, wrong: list[str]) -> str:
        """'unrecognized argument: --limt (did you mean --limit?)': guessed on the names without
        their dashes, so every option does not look alike through `--`."""
        bare = {k.lstrip("-"): k for k in self.known()}
        close = {a: difflib.get_close_matches(a.split("=", 1)[0].lstrip("-"), list(bare), n=1)
                 for a in wrong if a.startswith("-")}
        guesses = [f"{bare[c[0]]} for {a.split('=', 1)[0]}" for a, c in close.items() if c]
        guesses = [g.split(" for ")[0] for g in guesses] if len(close) == 1 else guesses
        return (f"unrecognized argument{'s' if len(wrong) > 1 else ''}: {' '.join(wrong)}"
                + (f" (did you mean {'; '.join(guesses)}?)" if guesses else ""))

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        _Parser.argv = argv
        parsed, extra = self.parse_known_args(argv, namespace)
        if extra:
            name = getattr(parsed, "command", "") or ""
            # an unknown option typed before the command is the top level's, not the command's
            first = argv.index(name) if name in argv else len(argv)
            ahead = [a for a in extra if a in argv[:first]]
            command = self if ahead else self.commands.get(name, self)
            wrong = ahead or extra
            # `--limt 2 exp.yaml`: the 2 was read as the experiment, so the file looks unknown too;
            # a word is named only as an unknown option's value (`--set x=1`)
            after = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a.startswith("-") and a in wrong}
            wrong = [a for a in wrong if a.startswith("-") or a in after] or wrong
            command.error(command.unrecognized(wrong))
        return parsed

    def command_error(self, name: str, message: str) -> str:
        """A command's own error about its command line, named after the command as argparse's
        are: one naming an option says what to do with it; one asking for an argument points at
        the command's options too."""
        prefix = f"oversight {name}: "
        message = message.removeprefix(prefix)
        if name not in self.commands or not message.startswith(("-", "give ")):
            return message  # about a file, a folder or a model: it names that first
        return prefix + message + (f"; the options: oversight {name} --help" if message.startswith("give ") else "")


class _Version(argparse.Action):
    """`oversight 0.1.0 (git 1dac8af…)`: the commit too when run from a checkout, worked out only
    when asked (run folders record the full revision in experiment.yaml)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version (and git revision) and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: Any = None) -> None:
        from oversight.core.provenance import git_revision

        rev = git_revision(Path(__file__).resolve().parent)
        dirty = "+dirty" if rev and rev.endswith("+dirty") else ""
        print(f"oversight {__version__}" + (f" (git {rev[:12]}{dirty})" if rev else ""))
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="oversight", description="Scalable-oversight experiments.")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS.values():
        module.add_parser(sub)
    parser.commands = dict(sub.choices)
    _Parser.top = parser
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    """Library warnings (e.g. a cache write that failed) as one line, never a traceback."""
    warn(str(message))


def main(argv: list[str] | None = None) -> int:
    keyguard.refresh()  # the key variables this command must never send or store
    warnings.showwarning = _show_warning
    parser = _parser()
    args = parser.parse_args(argv)
    safe_paths.set_allowed(getattr(args, "allow_path", []))
    try:
        return COMMANDS[args.command].command(args)
    except UserError as exc:
        said = parser.command_error(args.command, str(exc))
        err_console.print(line(("error:", "red"), " ", said), highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt as exc:
        if not isinstance(exc, Interrupted):
            err_console.print("interrupted")
        return 130
    except Halted:
        return 1
    except RecursionError:  # the readers refuse deep nesting with a message naming the file; this is the last line
        err_console.print("[red]error:[/] an input is nested too deeply to read (a config, task, transcript or "
                          "judgment file edited by hand?); fix the file", highlight=False, soft_wrap=True)
        return 2


def entry() -> NoReturn:
    """The `oversight` process: its exit code is main's. Everything the command built is freed by
    the exit itself, so what exists is frozen out of the interpreter's last cyclic collection,
    which would otherwise walk every object of LangGraph, the SDKs and matplotlib (about 0.4 s
    after a debate run). Not in main, which tests call many times in one process."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
