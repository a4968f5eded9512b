"""On-disk response cache keyed by what a request means, so re-running costs no calls.

The cache only ever saves money: an entry that cannot be read is a miss, and an entry that
cannot be written (disk full, a file where a folder should be, no permission) is a
`CacheWriteWarning` while the call's result is still used. Only a cache folder that cannot
be made at all is the user's to fix, and that is a UserError when the cache is created.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from functools import lru_cache
from pathlib import Path

import orjson

from oversight.core.atomic import write_atomic
from oversight.core.errors import UserError
from oversight.models.spec import ModelSpec
from oversight.models.types import Completion, GenerateConfig, Message

ENV = "OVERSIGHT_CACHE_DIR"


class CacheWriteWarning(UserWarning):
    """A response could not be stored; the run goes on without caching it."""


def default_cache_dir() -> Path:
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("oversight")) / "responses"


@lru_cache(maxsize=256)
def _cache_id(spec: ModelSpec) -> str:
    """`spec.cache_id`, worked out once per spec (it redacts and sorts URLs)."""
    return spec.cache_id


def cache_key(spec: ModelSpec, messages: list[Message], config: GenerateConfig) -> str:
    """sha256 of `json.dumps({"model", "messages", "config"}, sort_keys=True, ensure_ascii=False)`,
    the key every version so far has made, so a cache filled before stays valid.

    The same bytes are put together here from their parts: json for the small parts, orjson for
    each message's text (a prompt is tens of kilobytes; orjson escapes a string exactly as json
    does without ASCII escaping, about fifty times faster). Keys sorted: config < messages < model,
    content < role."""
    texts = ", ".join(f'{{"content": {_json_text(m.content)}, "role": {json.dumps(m.role)}}}' for m in messages)
    fields = json.dumps(config.cache_fields(), sort_keys=True, ensure_ascii=False)
    blob = f'{{"config": {fields}, "messages": [{texts}], "model": {_json_text(_cache_id(spec))}}}'
    return hashlib.sha256(blob.encode()).hexdigest()


def _json_text(text: str) -> str:
    try:
        return orjson.dumps(text).decode()
    except TypeError:  # a lone surrogate: json writes it as it is (and the key's encode() refuses it)
        return json.dumps(text, ensure_ascii=False)


class ResponseCache:
    """One JSON file per response, written to a temporary file and renamed into place, so a
    crash never leaves a half-written entry under a real name."""

    def __init__(self, directory: Path | None = None) -> None:
        """Creates the folder; raises UserError (one line) if it cannot be a folder."""
        self.directory = directory or default_cache_dir()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            source = f" ({ENV})" if directory is None and os.environ.get(ENV) else ""
            what = "is a file" if self.directory.is_file() else (exc.strerror or str(exc)).lower()
            raise UserError(
                f"response cache folder {self.directory}{source} cannot be used: {what}; "
                f"point {ENV} at a writable folder, or set cache: false"
            ) from None

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        """The stored completion, or None if there is none or it cannot be read (a miss)."""
        path = self._path(key)
        try:
            return Completion.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, completion: Completion) -> None:
        """Store `completion`; on failure warn, leave no temporary file, and return."""
        try:
            write_atomic(self._path(key), completion.model_dump_json().encode("utf-8"), make_parent=True)
        except OSError as exc:
            # No path in the message: the warnings module then shows one line per distinct cause.
            warnings.warn(
                f"response cache in {self.directory}: an entry could not be written "
                f"({exc.strerror or exc}); results are used but not cached",
                CacheWriteWarning,
                stacklevel=2,
            )

    def put_durable(self, entries: dict[str, Completion]) -> bool:
        """Store every entry and make it survive a crash or a power cut (each file and each
        shard folder fsynced) before the caller records that it was stored; on the first
        failure warn, leave no temporary file and return False."""
        folders: set[Path] = set()
        try:
            for key, completion in entries.items():
                path = self._path(key)
                write_atomic(path, completion.model_dump_json().encode("utf-8"), fsync=True, make_parent=True)
                folders.add(path.parent)
            for folder in folders:
                fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            warnings.warn(
                f"response cache in {self.directory}: batch results could not be stored "
                f"({exc.strerror or exc}); the batch stays uncollected and a resumed run collects it again",
                CacheWriteWarning,
                stacklevel=2,
            )
            return False
        return True
