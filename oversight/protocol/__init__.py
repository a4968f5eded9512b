"""The protocol contract, the Recorder every model call goes through, prompts, and the registry.

A protocol package needs only this facade: `from oversight.protocol import Protocol, Unit, ...`.
"""

from oversight.protocol.contract import (
    JudgeResponse, JudgeView, Protocol, Recorder, RunContext, TextReader, Unit, no_repeats, settings_for,
)
from oversight.protocol.hooks import call_hook, call_hook_async, hook_guard, hook_value, load_hook, load_spec
from oversight.protocol.registry import BUILTIN, ENTRY_POINT_GROUP, ProtocolNotInstalled, get_protocol, protocol_names
from oversight.protocol.reporting import ExportScore, HeadlineRow, Published
from oversight.protocol.review import Body, Mark, QuoteRef, ReviewTree

__all__ = [
    "BUILTIN", "Body", "ENTRY_POINT_GROUP", "ExportScore", "HeadlineRow", "JudgeResponse", "JudgeView", "Mark",
    "Protocol", "ProtocolNotInstalled", "Published", "QuoteRef", "Recorder", "ReviewTree", "RunContext", "TextReader",
    "Unit", "call_hook", "call_hook_async", "get_protocol", "hook_guard", "hook_value", "load_hook", "load_spec",
    "no_repeats", "protocol_names", "settings_for",
]
