"""Critique-assisted evaluation and flaw-detection uplift."""

from oversight.protocols.critique.graph import *  # noqa: F401,F403
from oversight.protocols.critique.graph import CritiqueParams, CritiqueProtocol  # noqa: F401
