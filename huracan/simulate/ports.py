"""What the simulator needs from the outside world, and its deterministic ids.

The simulated Engine and Hamilton talk only through the public API a real Engine uses:
an ``emit(event)`` function (``EventLogger.log``) and the model registry
(``huracan.store.registry.ModelRegistry``). Both are typed as protocols here so tests
can pass a list's ``append`` and a small in-memory registry.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from huracan.events import EventBase

__all__ = ["Emit", "IdSource", "Registry", "export_path"]

Emit = Callable[[EventBase], object]


@runtime_checkable
class Registry(Protocol):
    """The model registry as the Engine and Hamilton use it (see docs/contracts.md)."""

    def register(
        self,
        artifact: bytes,
        *,
        learner: str,
        git_sha: str,
        data_snapshot_id: str,
        metrics: dict[str, float],
        parent_model_id: str | None,
        notes: str,
        ts: datetime,
    ) -> str: ...

    def export(self, model_id: str, *, ts: datetime) -> Any: ...

    def verify(self, path: Path) -> str: ...

    def readiness(self, metrics: Mapping[str, float], samples: int | None) -> tuple[bool, list[str]]: ...


def export_path(manifest: Any) -> Path:
    """Where an export manifest says Hamilton finds the model file."""
    for attr in ("export_path", "path", "artifact_path"):
        value = getattr(manifest, attr, None)
        if value:
            return Path(value)
    raise TypeError(
        f"export manifest {type(manifest).__name__} has no export_path/path attribute; "
        "the registry's export() must say where the exported model file is"
    )


class IdSource:
    """Ids drawn from a seeded generator: the same seed gives the same ids (never uuid4)."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(f"huracan-sim-ids-{seed}")

    def event_id(self) -> str:
        return f"{self._r.getrandbits(128):032x}"

    def make(self, prefix: str) -> str:
        """A short prefixed id, e.g. ``sig-3f9a0c12d4e5``."""
        return f"{prefix}-{self._r.getrandbits(48):012x}"
