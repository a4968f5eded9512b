"""Interval methods as metrics.json names them: (short code for tables, full name for captions)."""

from __future__ import annotations

METHODS: dict[str, tuple[str, str]] = {
    "wilson": ("W", "Wilson"), "wilson-cluster": ("Wc", "Wilson, cluster-adjusted"),
    "newcombe": ("N", "Newcombe method 10"), "newcombe-cluster": ("Nc", "Newcombe, cluster-adjusted"),
    "newcombe-paired": ("Np", "Newcombe paired (1998b)"),
    "newcombe-paired-cluster": ("Npc", "Newcombe paired, cluster-adjusted"),
    "bayesian-bootstrap": ("BB", "Bayesian bootstrap"),
    "bootstrap-items-percentile": ("Bi", "percentile bootstrap over items"),
    "wilson-bounded": ("Wb", "Wilson on the mean rescaled to [0, 1] (bounded scores)"),
}

__all__ = ["METHODS"]
