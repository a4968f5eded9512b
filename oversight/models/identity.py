"""Whether two specs name the same model, however they are spelled: a fleet's servers in any
order, or a local model by its embedded name and by the path of its file."""

from __future__ import annotations

from pathlib import Path

from oversight.models.spec import ModelSpec


def same_model(a: ModelSpec, b: ModelSpec) -> bool:
    """True when both specs call the same model: the response cache's identity, or for local
    models the same file once a name is resolved (the embedded model is assembled for that,
    which a call to it would do anyway)."""
    if a.cache_id == b.cache_id:
        return True
    if a.provider == b.provider == "local" and (a.model.endswith(".gguf") or b.model.endswith(".gguf")):
        first, second = _local_file(a), _local_file(b)
        return first is not None and first == second
    return False


def _local_file(spec: ModelSpec) -> Path | None:
    """The resolved file of a local spec; None when it names no file there is."""
    from oversight.models.providers.local import EMBEDDED, embedded_path  # the llama.cpp provider: only for local specs

    if spec.model in EMBEDDED:
        return embedded_path(spec.model).resolve()
    path = Path(spec.model).expanduser()
    try:
        return path.resolve() if path.is_file() else None
    except OSError:
        return None


__all__ = ["same_model"]
