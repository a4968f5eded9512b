"""On-disk response cache keyed by what a request means, so re-running costs no calls."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from oversight.models.spec import ModelSpec
from oversight.models.types import Completion, GenerateConfig, Message


def default_cache_dir() -> Path:
    env = os.environ.get("OVERSIGHT_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("oversight")) / "responses"


def cache_key(spec: ModelSpec, messages: list[Message], config: GenerateConfig) -> str:
    payload = {
        "model": spec.cache_id,
        "messages": [m.model_dump() for m in messages],
        "config": config.cache_fields(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


class ResponseCache:
    """One JSON file per response, written atomically, so a crash never leaves a bad entry."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        path = self._path(key)
        try:
            return Completion.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, completion: Completion) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(completion.model_dump_json())
        os.replace(tmp, path)
