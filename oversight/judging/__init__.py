"""Judging a run's transcripts again, by another model."""
