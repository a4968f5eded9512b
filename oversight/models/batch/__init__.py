"""Batch APIs (Anthropic Message Batches, OpenAI Batch): half price, results within 24 hours.

`batch: true` (or per role) in an experiment makes those roles' calls go through `Batcher`s;
`batches.jsonl` in the run folder lets `--resume` collect batches a crash left behind.
"""

from oversight.models.batch.batcher import Batcher, BatchRuntime
from oversight.models.batch.journal import BATCHES, BatchJournal
from oversight.models.batch.options import BATCH_PROVIDERS, BatchOptions

__all__ = ["BATCHES", "BATCH_PROVIDERS", "BatchJournal", "BatchOptions", "BatchRuntime", "Batcher"]
