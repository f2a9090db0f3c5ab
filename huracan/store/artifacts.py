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
    "ForgedManifestError",
    "ModelMeta",
    "NotReadyError",
    "RegistryError",
    "TamperedArtifactError",
    "UnknownModelError",
    "atomic_write",
    "export_stem",
    "read_manifest",
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


class NotReadyError(RegistryError):
    """An export of a model that fails readiness, asked for without ``force``."""

    def __init__(self, model_id: str, reasons: list[str]) -> None:
        self.model_id, self.reasons = model_id, reasons
        super().__init__(
            f"model {model_id[:12]} is not ready for Hamilton: {'; '.join(reasons)}. Nothing was exported. "
            "Export it anyway with --force (force=True); the export is then recorded as forced."
        )


class ForgedManifestError(RegistryError, ValueError):
    """An export manifest contradicts the content address it claims (model id, file names, registry)."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path, self.problems = path, problems
        super().__init__(
            f"refusing {path}: the manifest contradicts the model it claims to be — "
            + "; ".join(problems)
            + ". Do not load it: re-export the model from the registry."
        )


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


def export_stem(learner: str, model_id: str) -> str:
    """The file stem of an export: ``<learner>-<first 12 hex of the SHA256>`` (its content address).

    The learner name comes from the Engine: anything but letters, digits, ``.``, ``_`` and
    ``-`` becomes ``_``, so a name can never climb out of the export directory.

    >>> export_stem("meta/../../x", "ab" * 32)
    'meta_.._.._x-abababababab'
    """
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", learner)[:64].lstrip(".") or "model"
    return f"{name}-{model_id[:12]}"


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
    #: exported although not ready (``models export --force``); ``reasons`` says why not
    forced: bool = False
    thresholds: dict[str, float] = Field(default_factory=dict)
    exported_at: datetime
    artifact_file: str
    size_bytes: int
    artifact_path: str = Field("", exclude=True)
    manifest_path: str = Field("", exclude=True)
    manifest_sha256: str = Field("", exclude=True)


def read_manifest(path: Path, body: bytes) -> tuple[ExportManifest, list[str]]:
    """Parse an export manifest; also every way it contradicts its own content address.

    The id is the SHA256, and both exported files are named after it: a manifest whose
    ``sha256`` was rewritten to match a replaced artifact still names the old id.
    """
    try:
        manifest = ExportManifest.model_validate_json(body)
    except ValueError as exc:
        raise RegistryError(f"{path} is not an export manifest: {exc}") from None
    problems: list[str] = []
    mid = manifest.model_id
    if not HEX64.match(mid):
        problems.append(f"model_id {mid[:70]!r} is not a SHA256")
    if manifest.sha256 != mid:
        problems.append(f"sha256 {manifest.sha256[:16]}… differs from model_id {mid[:16]}…")
    stem = export_stem(manifest.learner, mid)
    if manifest.artifact_file != stem + ARTIFACT_SUFFIX or Path(manifest.artifact_file).name != manifest.artifact_file:
        problems.append(f"artifact_file {manifest.artifact_file[:80]!r} is not {stem}{ARTIFACT_SUFFIX}, the id's name")
    if path.name != stem + MANIFEST_SUFFIX:
        problems.append(f"the manifest is named {path.name!r}, not {stem}{MANIFEST_SUFFIX}, the id's name")
    return manifest, problems
