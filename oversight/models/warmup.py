"""Warm, then fan out: one call writes a long shared prompt opening to the provider's cache
before the others that share it go.

Calls that start together with the same long opening (the two debaters of round one, the
consultant and the expert judge of the same story) would each pay to write the same cache
entry, or on a local server each read the story again on its own slot. The first such call
goes; others that arrive while it is in flight wait for its answer, then all go at once and
read the cache. If it ends without an answer, one waiter goes first in its place. A wait holds no connection slot, and once an opening has been answered calls
with it never wait again (for as long as a provider keeps the entry).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from oversight.models.providers.base import Provider
from oversight.models.types import Message, ResponseSchema


LIFETIME_S = 300.0
"""The providers' cache lifetime: after this long unused, an opening counts as cold again."""


class PrefixWarmer:
    """The openings being written and those already answered, for every Model of a pool."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._writing: dict[bytes, asyncio.Future[None]] = {}
        self._warm: dict[bytes, float] = {}
        self.waited = 0
        """Calls that waited for another to warm their opening (benchmarks read it)."""
        self.lend: Callable[[], None] | None = None
        """Called when a call starts waiting: the runner may start other work meanwhile."""

    def key(self, provider: Provider, server: str, model: str, messages: list[Message],
            schema: ResponseSchema | None = None) -> bytes | None:
        """The opening's identity (every message but the last, on this model's server, with the
        answer's schema where the provider caches it ahead of the messages), or None when it is
        too short to cache or the provider keeps no prompt cache."""
        if len(messages) < 2 or not provider.reuses_prefix:
            return None
        opening = messages[:-1]
        if sum(len(m.content) for m in opening) < provider.prefix_min_chars:
            return None
        digest = hashlib.blake2b(server.encode(), digest_size=16)
        digest.update(model.encode())
        if schema is not None and provider.schema_in_prefix:
            digest.update(b"\x01" + json.dumps(schema.json_schema, sort_keys=True).encode() + schema.name.encode())
        for m in opening:
            digest.update(b"\x00" + m.role.encode() + b"\x00" + m.content.encode("utf-8", "surrogatepass"))
        return digest.digest()

    @asynccontextmanager
    async def turn(self, key: bytes) -> AsyncIterator[None]:
        """Wait while another call writes this opening; lead if it is cold and nobody is. A
        writer that ends without an answer (failed, cancelled) leaves the opening cold, so one
        of its waiters leads next and the others keep waiting."""
        while (writer := self._writing.get(key)) is not None:
            self.waited += 1
            if self.lend is not None:
                self.lend()
            await asyncio.shield(writer)  # its outcome does not matter: only that it is over
        now = self._clock()
        if self._warm.get(key, -LIFETIME_S) + LIFETIME_S > now:
            self._warm[key] = now
            yield
            self._warm[key] = self._clock()
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._writing[key] = done
        try:
            yield
            self._warm[key] = self._clock()  # answered, so the server holds the opening now
        finally:
            del self._writing[key]
            done.set_result(None)
