"""What a registered model is on disk: its records, its hash, and how its files are written.

Holds the registry's errors, :func:`sha256_file` and :func:`atomic_write` (a file is
either absent/old or complete, never partial), the file-name suffixes and id pattern,
and the two records: :class:`ModelMeta` (the sidecar JSON) and :class:`ExportManifest`
(written beside an export for Hamilton). :class:`~huracan.store.registry.ModelRegistry`
builds on these and re-exports them.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ARTIFACT_SUFFIX",
    "HEX64",
    "MANIFEST_SUFFIX",
    "ExportManifest",
    "ModelMeta",
    "RegistryError",
    "TamperedArtifactError",
    "UnknownModelError",
    "atomic_write",
    "sha256_file",
]

#: A full model id: the lowercase SHA256 hex digest of its artifact.
HEX64 = re.compile(r"^[0-9a-f]{64}$")
ARTIFACT_SUFFIX = ".model"
MANIFEST_SUFFIX = ".manifest.json"


class RegistryError(Exception):
    """A registry operation failed; the message says what and what to do."""


class UnknownModelError(RegistryError, KeyError):
    """No model has that id (or the prefix matches none, or several)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class TamperedArtifactError(RegistryError, ValueError):
    """An artifact's bytes do not hash to the SHA256 it is registered under."""

    def __init__(self, path: Path, expected: str, actual: str) -> None:
        self.path, self.expected, self.actual = path, expected, actual
        super().__init__(
            f"refusing {path}: its bytes hash to sha256 {actual} but it is registered as {expected}; "
            "the file was modified or corrupted. Do not load it — re-export the model from the registry "
            "or re-register the original artifact."
        )


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The SHA256 hex digest of a file, read in chunks (artifacts can be large)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` is either absent/old or complete, never partial.

    The bytes go to a hidden temporary file in the same directory (same filesystem),
    are fsynced, then ``os.replace``d onto the final name; the directory is fsynced so
    the rename survives a crash.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class ModelMeta(BaseModel):
    """What the registry knows about one model (the sidecar JSON)."""

    model_config = ConfigDict(extra="ignore")
    model_id: str
    learner: str
    git_sha: str
    data_snapshot_id: str
    metrics: dict[str, float] = Field(default_factory=dict)
    parent_model_id: str | None = None
    notes: str = ""
    registered_at: datetime
    size_bytes: int | None = None


class ExportManifest(BaseModel):
    """The JSON manifest written beside an exported artifact; Hamilton checks ``sha256``."""

    model_config = ConfigDict(extra="ignore")
    manifest_version: int = 1
    model_id: str
    sha256: str
    learner: str
    git_sha: str
    data_snapshot_id: str
    parent_model_id: str | None
    metrics: dict[str, float]
    #: metric → this model's value minus the parent's, for metrics both have.
    metric_deltas: dict[str, float] = Field(default_factory=dict)
    training_samples: int | None = None
    ready: bool
    reasons: list[str] = Field(default_factory=list)
    thresholds: dict[str, float] = Field(default_factory=dict)
    exported_at: datetime
    artifact_file: str
    size_bytes: int
    artifact_path: str = Field("", exclude=True)
    manifest_path: str = Field("", exclude=True)
    manifest_sha256: str = Field("", exclude=True)
