"""Numbers a paper can cite: estimates, intervals and agreement between judges."""
