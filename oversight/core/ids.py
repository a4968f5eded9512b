"""Timestamps and content hashes: one definition each, so every record stamps and hashes alike."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path


def now_iso() -> str:
    """UTC now to the second: what every record's `created_at`/`since` holds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sha256_hex(data: str | bytes) -> str:
    """Full hex SHA-256 of text (as UTF-8) or bytes; callers cut and prefix it as their format needs."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks so a large task file is never held whole."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
