"""Calls of batched roles go out as provider batches: gathered, submitted, journaled, polled.

A unit calls its model as usual; a batched Model hands the call to its `Batcher`, which
gathers calls for `window_s` (or until `max_requests`), submits them as one batch, writes the
batch to `batches.jsonl` before polling (journal.py), polls with backoff, and wakes each waiting
call with its completion (priced at batch rates). A call the batch did not answer (expired,
errored, canceled, a batch that could not be created or polled) gets None and is made as a
normal call by the Model. `BatchRuntime.recover` collects the batches a crashed run left behind.

Order on collection: every answer is stored in the response cache and made durable first, then
the journal says "collected", then the callers wake. A crash anywhere in between costs nothing:
before the journal line, `--resume` collects the batch again (free: it was paid once); after it,
every answer is in the cache. A batch whose answers could not all be stored is never marked
collected, so a later session collects it again rather than paying for its calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from oversight.models.batch.apis import BatchAPI, Outcome, Request, batch_api
from oversight.models.batch.journal import BatchJournal
from oversight.models.batch.options import BatchOptions
from oversight.models.cache import ResponseCache
from oversight.models.bounds import within_bounds
from oversight.models.pricing import DEFAULT as LIST_PRICES
from oversight.models.pricing import PriceBook
from oversight.models.spec import ModelSpec, parse_spec
from oversight.models.types import Completion, GenerateConfig, Message


Waiter = Callable[[Completion | None], None]
"""Receives a request's completion (batch-priced), or None: make it as a normal call."""


@dataclass
class _Call:
    key: str
    messages: list[Message]
    config: GenerateConfig
    future: asyncio.Future[Completion | None] = field(repr=False)


def _wake(future: asyncio.Future[Completion | None]) -> Waiter:
    def wake(result: Completion | None) -> None:
        if not future.done():  # a caller cancelled meanwhile (Ctrl-C) needs nothing
            future.set_result(result)
    return wake


class Batcher:
    """One model's batches (the OpenAI Batch API takes one model per batch)."""

    def __init__(self, spec: ModelSpec, api: BatchAPI, runtime: BatchRuntime, prices: PriceBook | None = None) -> None:
        self.spec = spec
        self.prices = prices or LIST_PRICES
        self.api = api
        self.runtime = runtime
        self._queue: list[_Call] = []
        self._timer: asyncio.TimerHandle | None = None
        self.submitted = 0
        """Batches this Batcher submitted (benchmarks and tests read it)."""

    @property
    def options(self) -> BatchOptions:
        return self.runtime.options

    async def call(self, key: str, messages: list[Message], config: GenerateConfig) -> Completion | None:
        """The call's completion from a batch, or None if the batch did not answer it."""
        loop = asyncio.get_running_loop()
        call = _Call(key, messages, config, loop.create_future())
        self._queue.append(call)
        if len(self._queue) >= self.options.max_requests:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.options.window_s, self._flush)
        return await call.future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        calls = [c for c in self._queue if not c.future.done()]
        self._queue = []
        if calls:
            self.runtime.spawn(self._submit(calls))

    async def _submit(self, calls: list[_Call]) -> None:
        ids = {f"{i}-{c.key[:24]}": c for i, c in enumerate(calls)}
        requests: list[Request] = [(cid, c.messages, c.config) for cid, c in ids.items()]
        try:
            batch_id = await self.api.create(requests)
        except Exception:  # noqa: BLE001 - no batch: every call is made normally, which reports errors
            for c in calls:
                _wake(c.future)(None)
            return
        self.submitted += 1
        # Journaled before the first poll: from here on a crash costs nothing but waiting.
        if self.runtime.journal is not None:
            self.runtime.journal.submitted(self.spec.provider, str(self.spec), batch_id, [
                {"custom_id": cid, "key": c.key, "max_tokens": c.config.max_tokens,
                 **({"logprobs": True} if c.config.logprobs else {})}
                for cid, c in ids.items()
            ])
        waiters = {cid: (c.key, _wake(c.future)) for cid, c in ids.items()}
        await self.collect(batch_id, waiters, {cid: c.config.logprobs for cid, c in ids.items()},
                           {cid: c.config.max_tokens for cid, c in ids.items()})

    async def collect(self, batch_id: str, waiters: dict[str, tuple[str, Waiter]], logprobs: dict[str, bool],
                      limits: dict[str, Any] | None = None) -> None:
        """Poll until the batch ends (waits grow 1.5x up to poll_max_s); store the answers durably
        in the cache, journal the batch as collected, then wake every waiter (cid -> (key, waiter)).
        An answer past its bound (`limits`: max_tokens per cid; oversight.models.bounds) is neither
        stored nor used: its call is made again as a normal call."""
        results: dict[str, Outcome] = {}
        delay, errors = self.options.poll_s, 0
        try:
            while True:
                await asyncio.sleep(delay)
                try:
                    if await self.api.ended(batch_id):
                        results = await self.api.results(batch_id, logprobs)
                        break
                    errors = 0
                except Exception:  # noqa: BLE001 - a poll that failed is tried again, up to a point
                    errors += 1
                    if errors >= self.options.max_poll_errors:
                        break
                delay = min(delay * 1.5, self.options.poll_max_s)
        except asyncio.CancelledError:
            for _, wake in waiters.values():
                wake(None)
            raise
        answers: dict[str, Completion | None] = {}
        for cid in waiters:
            outcome = results.get(cid)
            usable = isinstance(outcome, Completion) and _within(outcome, (limits or {}).get(cid))
            priced = self.prices.with_cost(self.spec, outcome.usage, batch=True) if usable else None
            answers[cid] = outcome.model_copy(update={"usage": priced}) if usable else None
        succeeded = {waiters[cid][0]: c for cid, c in answers.items() if c is not None}
        try:
            stored = self.runtime.store(succeeded)
        except Exception:  # refused (an API key's value in an answer): the callers decide, each on its own call
            for _, wake in waiters.values():
                wake(None)
            raise
        if results and stored:
            self.runtime.mark_collected(batch_id, len(succeeded), len(waiters) - len(succeeded))
        for cid, (_, wake) in waiters.items():
            wake(answers[cid])


class BatchRuntime:
    """The batching of one run: its options, its journal and the tasks that submit and poll."""

    def __init__(self, options: BatchOptions | None = None, journal: BatchJournal | None = None,
                 cache: ResponseCache | None = None) -> None:
        """`cache` is where collected answers go before the journal says so (the pool's cache)."""
        self.options = options or BatchOptions()
        self.journal = journal
        self.cache = cache
        self._batchers: dict[ModelSpec, Batcher] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def store(self, answers: dict[str, Completion]) -> bool:
        """Put every answer (by cache key) in the cache, durably; False if any could not be stored."""
        if self.cache is None or not answers:
            return True
        return self.cache.put_durable(answers)

    def mark_collected(self, batch_id: str, succeeded: int, failed: int) -> None:
        if self.journal is not None:
            self.journal.collected(batch_id, succeeded, failed)

    def batcher(self, spec: ModelSpec, provider: Any, prices: PriceBook | None = None) -> Batcher:
        if spec not in self._batchers:
            self._batchers[spec] = Batcher(spec, batch_api(provider), self, prices)
        return self._batchers[spec]

    @property
    def submitted(self) -> int:
        return sum(b.submitted for b in self._batchers.values())

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def recover(self, cache: ResponseCache | None, pending: dict[str, asyncio.Future[Completion]],
                batcher_for: Callable[[ModelSpec], Batcher | None]) -> int:
        """Collect, in the background, every batch a previous session submitted and never collected.

        Each of its calls not yet in the cache is registered as in flight (`pending`), so a
        unit making it again waits for the batch instead of paying twice; a result fills the
        cache; a call the batch did not answer is released and its unit makes it anew.
        Returns how many batches are being collected. Needs the pool's cache; `batcher_for`
        gives the batcher of a journaled model.
        """
        if self.journal is None or cache is None:
            return 0
        self.cache = self.cache or cache
        count = 0
        for record in self.journal.pending():
            batcher = batcher_for(parse_spec(record["model"]))
            assert batcher is not None
            waiters: dict[str, tuple[str, Waiter]] = {}
            logprobs: dict[str, bool] = {}
            limits: dict[str, Any] = {}
            requests = record.get("requests", [])
            for request in requests:
                key, cid = request["key"], request["custom_id"]
                if key in pending or cache.get(key) is not None:
                    continue
                future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
                pending[key] = future
                waiters[cid] = (key, _settle(key, future, pending))
                limits[cid] = request.get("max_tokens")
                logprobs[cid] = bool(request.get("logprobs"))
            if waiters:
                self.spawn(batcher.collect(record["id"], waiters, logprobs, limits))
                count += 1
            elif requests and not any(r["key"] in pending for r in requests):
                # Stored, then a crash before the journal said so: say it now.
                self.mark_collected(record["id"], len(requests), 0)
        return count

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _within(completion: Completion, max_tokens: Any) -> bool:
    """Within the bound of its call (known when the journal recorded max_tokens)."""
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        return True
    return within_bounds(completion, GenerateConfig(max_tokens=max_tokens, logprobs=completion.logprobs is not None))


def _settle(key: str, future: asyncio.Future[Completion], pending: dict[str, asyncio.Future[Completion]]) -> Waiter:
    """A recovered call's result (checked against its bound and stored in the cache by `collect`)
    goes to whoever waits; no result releases them."""

    def settle(result: Completion | None) -> None:
        if pending.get(key) is future:
            del pending[key]
        if future.done():
            return
        if result is None:
            future.cancel()  # followers then make the call themselves (Model._follow)
            return
        future.set_result(result)

    return settle
