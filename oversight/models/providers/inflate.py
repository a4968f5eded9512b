"""Response bodies decoded by us, in bounded pieces, so a body's bound holds on what it decodes to.

httpx decodes a gzip or deflate body one network chunk at a time with no output limit: 64 kB of
gzip can inflate to 64 MB in one piece, and an error body (which the SDK reads whole) to
gigabytes. So a response hook takes the body raw and yields it decoded `PIECE` bytes at a time;
an error body stops after its limit (decoded bytes). Requests accept only gzip and deflate; any
other encoding is a malformed answer (an error body in it is read as empty).
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Any

from oversight.models.providers.base import ProviderError

PIECE = 64 * 1024
"""The most decoded bytes made from the raw body at a time."""
ACCEPT = {"Accept-Encoding": "gzip, deflate"}
"""Sent with every request: the encodings this module decodes."""
_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


def bound_body(response: Any, error_limit: int) -> None:
    """Replace `response`'s stream with the bounded decoding one (an error body also capped at
    `error_limit` bytes) and drop its Content-Encoding so httpx does not decode it again."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    limit = error_limit if response.status_code >= 400 else None
    if encoding in ("", "identity") and limit is None:
        return
    response.stream = _stream()(response.stream, encoding, limit)
    if "content-encoding" in response.headers:
        del response.headers["content-encoding"]
    vars(response).pop("_decoder", None)  # a decoder httpx already chose from the old header


def _malformed(why: str) -> ProviderError:
    return ProviderError(f"malformed response: {why}", retryable=True)


@lru_cache(maxsize=1)
def _stream() -> type:
    """The stream class (made on first use: httpx2 is imported with the SDK, not with this module)."""
    import httpx2

    class Inflating(httpx2.AsyncByteStream):
        def __init__(self, inner: Any, encoding: str, limit: int | None) -> None:
            self.inner, self.encoding, self.limit = inner, encoding, limit

        async def __aiter__(self) -> Any:
            left = self.limit
            identity = self.encoding in ("", "identity")
            if not identity and self.encoding not in _WBITS:
                if left is None:
                    raise _malformed(f"content-encoding {self.encoding[:40]!r} was not asked for")
                return  # an error body we cannot read: shown as empty
            decoder = None if identity else zlib.decompressobj(_WBITS[self.encoding])
            first = True
            async for chunk in self.inner:
                data = chunk
                while data:
                    if decoder is None:
                        piece, data = data[:PIECE], data[PIECE:]
                    else:
                        try:
                            piece = decoder.decompress(data, PIECE)
                        except zlib.error:
                            if first and self.encoding == "deflate":  # raw deflate, without the zlib header
                                decoder = zlib.decompressobj(-15)
                                first = False
                                continue
                            if left is None:
                                raise _malformed(f"the {self.encoding} body does not decode") from None
                            return
                        data = decoder.unconsumed_tail
                    first = False
                    if left is not None:
                        piece = piece[:left]
                        left -= len(piece)
                    if piece:
                        yield piece
                    if left is not None and left <= 0:
                        return

        async def aclose(self) -> None:
            await self.inner.aclose()

    return Inflating


__all__ = ["ACCEPT", "PIECE", "bound_body"]
