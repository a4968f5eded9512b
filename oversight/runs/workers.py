"""The one worker loop of oversight: a few workers pull from one lazy queue until it is empty.

Shared by a run (units) and a re-judge (views), so both bound concurrency, stop and fail alike:
a worker takes one item at a time (a million-item queue holds only what is in flight), an error
in one worker is raised from `run_workers` as `asyncio.gather` raises it, and Ctrl-C cancels
every worker through the caller's `finally`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

Step = Callable[[T], Awaitable[bool]]
"""Handles one item; False stops this worker (the item is the step's to put back or drop)."""


async def pull(queue: Iterator[T], step: Step[T]) -> None:
    """One worker: items from `queue` until it is empty or `step` says stop."""
    for item in queue:
        if not await step(item):
            return


async def run_workers(queue: Iterator[T], width: int, step: Step[T]) -> None:
    """`width` workers (at least one) over one shared queue."""
    await asyncio.gather(*(pull(queue, step) for _ in range(max(width, 1))))
