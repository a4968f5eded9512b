"""Every test runs offline, with its own response cache and fresh scripted models."""

from __future__ import annotations

import pytest

from tests.helpers.harness import TEST_PROTOCOLS
from oversight.protocol import registry as protocol
from oversight.models.providers import scripted

_INSTALLED = protocol._entry_points()


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSIGHT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(protocol, "_entry_points", lambda: {**_INSTALLED, **TEST_PROTOCOLS})
    scripted.reset()
