"""Debate and its baselines (consultancy, blind, expert judge)."""

from oversight.protocols.debate.graph import *  # noqa: F401,F403
from oversight.protocols.debate.graph import DebateParams, DebateProtocol, build_graph  # noqa: F401
