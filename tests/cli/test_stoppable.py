"""SIGTERM reaches a run as the cancellation Ctrl-C gives, at an await, never mid-statement."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from oversight.cli.run import run_stoppable


def test_sigterm_cancels_at_the_next_await_and_every_cleanup_runs() -> None:
    steps: list[str] = []

    async def unit() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(0)  # a cleanup that itself awaits, as a checkpoint write does
            steps.append("unit cleaned up")
            raise

    async def run() -> str:
        inner = asyncio.create_task(unit())
        await asyncio.sleep(0)
        os.kill(os.getpid(), signal.SIGTERM)
        steps.append("statement after the signal finished")
        try:
            await inner
        finally:
            steps.append("run cleaned up")
        return "never"

    with pytest.raises(KeyboardInterrupt):
        run_stoppable(run())
    assert steps == ["statement after the signal finished", "unit cleaned up", "run cleaned up"]


def test_without_a_signal_the_result_comes_back_and_the_handler_is_gone() -> None:
    before = signal.getsignal(signal.SIGTERM)

    async def quick() -> int:
        return 7

    assert run_stoppable(quick()) == 7
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_cancellation_of_its_own_is_not_taken_for_a_signal() -> None:
    async def cancels_itself() -> None:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(1)

    with pytest.raises(asyncio.CancelledError):
        run_stoppable(cancels_itself())
