"""The model registry: content-addressed artifacts, exports to Hamilton, and their attestation.

A model's id is the SHA256 of its artifact bytes. ``register`` stores the bytes under
``settings.registry_dir/<sha256>.model`` (atomically) with a ``<sha256>.json``
sidecar of its metadata, and emits ``model_registered``. ``export`` copies the artifact
for Hamilton with a JSON manifest (sha256, metrics, lineage, readiness) and emits
``model_export``. Nothing is ever deserialised before its hash is verified
(:meth:`ModelRegistry.load`): unpickling runs code.

The attestation chain of a model is: training-data snapshot → Engine commit (git SHA) →
model SHA256 → export → Hamilton's ``model_loaded`` acknowledgement of that exact
SHA256. Reads of the history (exports, acknowledgements, training sessions) go through
``store``: a :class:`~huracan.store.Store`, a DuckDB connection or the daemon's remote
connection. The records, errors and file writing it builds on live in
:mod:`huracan.store.artifacts` (re-exported here).

Example::

    >>> import tempfile, pathlib
    >>> from datetime import datetime, timezone
    >>> from huracan.config import load_config
    >>> events = []
    >>> reg = ModelRegistry(load_config(data_dir=pathlib.Path(tempfile.mkdtemp())), events.append)
    >>> mid = reg.register(b"model-bytes", learner="meta_label", git_sha="abc1234",
    ...     data_snapshot_id="snap-1", metrics={"auc": 0.7, "ece": 0.05, "samples": 5000},
    ...     parent_model_id=None, notes="", ts=datetime(2025, 11, 6, tzinfo=timezone.utc))
    >>> reg.load(mid, bytes) == b"model-bytes", events[0].type
    (True, 'model_registered')
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from huracan.config import Settings
from huracan.events import Alert, EventBase, ModelExport, ModelRegistered
from huracan.store.artifacts import (
    ARTIFACT_SUFFIX,
    HEX64,
    MANIFEST_SUFFIX,
    ExportManifest,
    ForgedManifestError,
    ModelMeta,
    NotReadyError,
    RegistryError,
    TamperedArtifactError,
    UnknownModelError,
    atomic_write,
    export_stem,
    read_manifest,
    sha256_file,
)
from huracan.store.journal import fetch_rows

if TYPE_CHECKING:
    from huracan.store.attestation import Attestation
    from huracan.store.model_history import ModelHistory

__all__ = [
    "ExportManifest",
    "ForgedManifestError",
    "ModelMeta",
    "ModelRegistry",
    "NotReadyError",
    "RegistryError",
    "TamperedArtifactError",
    "UnknownModelError",
    "atomic_write",
    "sha256_file",
]

T = TypeVar("T")

log = logging.getLogger("huracan.store.registry")


class ModelRegistry:
    """Register, export, verify and load models; answer where each is on the attestation chain.

    ``emit(event)`` logs an event (``EventLogger.log``, ``list.append``…); ``store`` is
    where past events are read (optional: without it the registry still registers,
    exports and verifies from its directory alone).
    """

    def __init__(
        self,
        settings: Settings,
        emit: Callable[[EventBase], Any] | None = None,
        store: Any = None,
        *,
        registry_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.emit = emit or (lambda _e: None)
        self.store = store
        self.dir = Path(registry_dir or settings.registry_dir)
        self._history: dict[str, ModelHistory] | None = None
        self._judged: dict[str, Any] | None = None  # the readiness rule's answers, after a preload

    # --- paths and lookups -------------------------------------------------------

    def artifact_path(self, model_id: str) -> Path:
        return self.dir / f"{model_id}{ARTIFACT_SUFFIX}"

    def _meta_path(self, model_id: str) -> Path:
        return self.dir / f"{model_id}.json"

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of ``sql`` over the store's views; ``[]`` when the registry has no store."""
        return fetch_rows(self.store, sql, params) if self.store is not None else []

    def preload(self) -> ModelRegistry:
        """Read every model's history from the store in one query; later lookups use it.

        For listing many models (``huracan models list``): without it, each model costs
        several queries, each a round trip when the store is the daemon (issue 14). The
        snapshot is not refreshed: preload again to see newer events.
        """
        from huracan.store.model_history import HISTORY_SQL, histories

        self._history = histories(self.rows(HISTORY_SQL)) if self.store is not None else {}
        self._judged = None  # the readiness rule is asked again, on first use
        return self

    def _events(self, model_id: str, kind: str, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        # One model's rows of one kind: from the preloaded history, else one query.
        if self._history is not None:
            h = self._history.get(model_id)
            return list(getattr(h, kind)) if h is not None else []
        return self.rows(sql, params)

    def latest_session(self, model_id: str) -> dict[str, Any] | None:
        """The model's latest training session (auc, ece, mce, brier, log_loss, samples), if logged."""
        rows = self._events(
            model_id,
            "session",
            "SELECT session_id, auc, ece, mce, brier, log_loss, samples_historical + samples_shadow AS samples "
            "FROM v_training_session WHERE model_id = ? ORDER BY trained_at DESC LIMIT 1",
            [model_id],
        )
        return rows[-1] if self._history is not None and rows else (rows[0] if rows else None)

    def latest_importances(self, model_id: str) -> dict[str, float]:
        """The model's latest feature importances (empty when none were logged)."""
        rows = self._events(
            model_id,
            "importance",
            "SELECT importances FROM v_feature_importance WHERE model_id = ? ORDER BY ts DESC LIMIT 1",
            [model_id],
        )
        if not rows:
            return {}
        raw = (rows[-1] if self._history is not None else rows[0])["importances"]
        return dict(json.loads(raw) if isinstance(raw, str) else raw or {})

    def exports(self, model_id: str) -> list[dict[str, Any]]:
        """The model's ``model_export`` events, oldest first."""
        return self._events(
            model_id,
            "export",
            "SELECT ts, export_path, ready, reasons, manifest_sha256 FROM v_model_export WHERE model_id = ? ORDER BY ts",
            [model_id],
        )

    def acks(self, model_id: str) -> list[dict[str, Any]]:
        """Hamilton's ``model_loaded`` acknowledgements of exactly this SHA256, oldest first."""
        return self._events(
            model_id,
            "ack",
            "SELECT ts, verified_sha256 FROM v_model_loaded WHERE model_id = ? AND verified_sha256 = ? ORDER BY ts",
            [model_id, model_id],
        )

    def pending_ack_ids(self, now: datetime, timeout_h: float, rule: Callable[..., Any]) -> set[str]:
        """Ids of models whose ready export waits for Hamilton past ``timeout_h`` (``rule``:
        :func:`huracan.analytics.readiness.pending_acks`); asked once per preload, not per model."""
        key = (now, timeout_h)
        cached = getattr(self, "_pending", None)
        if self._history is not None and cached is not None and cached[0] == key:
            return set(cached[1])
        ids = {p.model_id for p in rule(self.store, now, timeout_h)}
        if self._history is not None:
            self._pending = (key, ids)
        return ids

    def judged(
        self, model_id: str, registered: tuple[Mapping[str, float], int | None], rule: Callable[..., Any]
    ) -> Any:
        """The readiness ``rule`` (:func:`huracan.analytics.readiness.model_readiness`) for one model.

        With a preloaded registry the store's evidence is read for every preloaded model at
        once (the rule takes a list of ids: one query per table) and kept. A model the store
        holds no evidence for is judged alone on its ``registered`` (metrics, samples), as
        without a preload.
        """
        if self._history is not None:
            cached = self._judged
            if cached is None:
                cached = self._judged = rule(self.store, sorted(self._history), self.settings)
            r = cached.get(model_id)
            if r is not None and r.source != "none":
                return r
        return rule(self.store, [model_id], self.settings, registered={model_id: registered})[model_id]

    def known_ids(self) -> set[str]:
        """Every model id in the registry directory or in the store's history."""
        ids = {p.name[:64] for p in self.dir.glob(f"*{ARTIFACT_SUFFIX}") if HEX64.match(p.name[:64])}
        ids |= {p.stem for p in self.dir.glob("*.json") if HEX64.match(p.stem)}
        if self._history is not None:
            ids |= {mid for mid, h in self._history.items() if h.registered}
        else:
            ids |= {r["model_id"] for r in self.rows("SELECT DISTINCT model_id FROM v_model_registered")}
        return ids

    def resolve(self, id_or_prefix: str) -> str:
        """The full model id for a unique prefix (at least 4 hex characters)."""
        p = id_or_prefix.strip().lower().removeprefix("sha256:")
        if not re.fullmatch(r"[0-9a-f]{4,64}", p):
            raise UnknownModelError(f"{id_or_prefix!r} is not a model id: give at least 4 hex characters of its SHA256")
        matches = sorted(m for m in self.known_ids() if m.startswith(p))
        if not matches:
            raise UnknownModelError(f"no model id starts with {p!r}; `huracan models list` shows the registered models")
        if len(matches) > 1:
            shown = ", ".join(m[:16] for m in matches[:5])
            raise UnknownModelError(f"{p!r} matches {len(matches)} models ({shown}…); give more characters")
        return matches[0]

    def meta(self, model_id: str) -> ModelMeta:
        """A model's metadata: the sidecar file, else its latest ``model_registered`` event."""
        side = self._meta_path(model_id)
        if side.is_file():
            return ModelMeta.model_validate_json(side.read_text())
        if self._history is not None:
            h = self._history.get(model_id)
            if h is None or not h.registered:
                raise UnknownModelError(f"model {model_id[:16]} is not registered (no sidecar in {self.dir}, no event)")
            last = h.registered[-1]
            return ModelMeta.model_validate({**last, "model_id": model_id, "registered_at": last["ts"]})
        rows = self.rows(
            "SELECT model_id, learner, git_sha, data_snapshot_id, metrics, parent_model_id, notes, "
            "ts AS registered_at, size_bytes FROM v_model_registered WHERE model_id = ? ORDER BY ts DESC LIMIT 1",
            [model_id],
        )
        if not rows:
            raise UnknownModelError(f"model {model_id[:16]} is not registered (no sidecar in {self.dir}, no event)")
        row = dict(rows[0])
        row["metrics"] = json.loads(row["metrics"]) if isinstance(row["metrics"], str) else (row["metrics"] or {})
        return ModelMeta.model_validate(row)

    def list_models(self) -> list[ModelMeta]:
        """Every known model, oldest registration first."""
        out = []
        for mid in self.known_ids():
            try:
                out.append(self.meta(mid))
            except UnknownModelError:
                continue  # an orphan artifact file with neither sidecar nor event
        return sorted(out, key=lambda m: (m.registered_at, m.model_id))

    # --- register / verify / load -----------------------------------------------

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
    ) -> str:
        """Store ``artifact`` under its SHA256, record its metadata, emit ``model_registered``.

        Registering the same bytes again is idempotent for the file (content-addressed)
        and logs the registration again.
        """
        model_id = hashlib.sha256(artifact).hexdigest()
        path = self.artifact_path(model_id)
        # Validate everything before touching the disk: a bad git SHA writes nothing.
        event = ModelRegistered(
            ts=ts,
            model_id=model_id,
            learner=learner,
            parent_model_id=parent_model_id,
            git_sha=git_sha,
            data_snapshot_id=data_snapshot_id,
            metrics=metrics,
            artifact_path=str(path),
            size_bytes=len(artifact),
            notes=notes,
        )
        if not path.is_file() or sha256_file(path) != model_id:
            atomic_write(path, artifact)
        meta = ModelMeta(
            model_id=model_id,
            learner=learner,
            git_sha=git_sha,
            data_snapshot_id=data_snapshot_id,
            metrics=dict(metrics),
            parent_model_id=parent_model_id,
            notes=notes,
            registered_at=event.ts,
            size_bytes=len(artifact),
        )
        if not self._meta_path(model_id).is_file():
            atomic_write(self._meta_path(model_id), meta.model_dump_json(indent=2).encode())
        self.emit(event)
        return model_id

    def verify(self, path: Path | str, expected: str | None = None) -> str:
        """Recompute a file's SHA256 and check it against what it should be; return it.

        ``expected`` defaults to what the file claims: a registry artifact is named by
        its hash, an exported one has a manifest beside it (or ``path`` is that manifest),
        which must itself agree with the content address it claims
        (:meth:`check_manifest`). Raises :class:`TamperedArtifactError` naming expected and
        actual hashes, or :class:`ForgedManifestError` listing the contradictions.
        """
        path = Path(path)
        if path.name.endswith(MANIFEST_SUFFIX):
            manifest = self.check_manifest(path)
            return self.verify(path.parent / manifest.artifact_file, expected or manifest.sha256)
        if not path.is_file():
            raise RegistryError(f"no artifact at {path}; check the path (or pass a model id)")
        if expected is None:
            stem = path.name.removesuffix(ARTIFACT_SUFFIX)
            sibling = path.parent / f"{stem}{MANIFEST_SUFFIX}"
            if HEX64.match(stem):
                expected = stem
            elif sibling.is_file():
                expected = self.check_manifest(sibling).sha256
            else:
                raise RegistryError(
                    f"cannot verify {path}: it is not named by its SHA256 and has no {sibling.name} beside it; "
                    "pass the expected SHA256 (or verify the model by id)"
                )
        actual = sha256_file(path)
        if actual != expected:
            raise TamperedArtifactError(path, expected, actual)
        return actual

    def check_manifest(self, path: Path) -> ExportManifest:
        """Read an export manifest and check it against the content address it claims.

        A manifest is only as good as its agreement with itself and with the registry
        (issue 13: replacing the artifact and rewriting ``sha256`` passed). Checked:
        ``sha256`` equals ``model_id``; the artifact and the manifest are named after that
        id (``<learner>-<12 hex>``); and, where this registry knows any model, that it
        knows this one and that these exact manifest bytes were recorded by its
        ``model_export`` event. Hamilton, with no registry of its own, gets the first two.
        """
        body = path.read_bytes()
        manifest, problems = read_manifest(path, body)
        if not problems:
            problems += self._registry_disagrees(manifest.model_id, hashlib.sha256(body).hexdigest())
        if problems:
            raise ForgedManifestError(path, problems)
        return manifest

    def _registry_disagrees(self, model_id: str, manifest_sha: str) -> list[str]:
        known = self.known_ids()
        if not known:
            return []  # not Huracan's registry (e.g. Hamilton's side): self-consistency only
        if model_id not in known:
            return [f"model {model_id[:16]}… is not registered here"]
        if self.store is None:
            return []
        recorded = {
            r["manifest_sha256"]
            for r in self.rows("SELECT manifest_sha256 FROM v_model_export WHERE model_id = ?", [model_id])
        }
        if manifest_sha not in recorded:
            why = "none is recorded" if not recorded else f"{len(recorded)} recorded, none with these bytes"
            return [
                f"these manifest bytes (sha256 {manifest_sha[:16]}…) were not written by an export of this model ({why})"
            ]
        return []

    def load(self, model_id: str, loads: Callable[[bytes], T]) -> T:
        """Verify the stored artifact of ``model_id``, then deserialise it with ``loads``.

        ``loads`` (e.g. ``pickle.loads``) is called only with bytes whose SHA256 equals
        the model id; a tampered file raises before ``loads`` sees a byte.
        """
        model_id = self.resolve(model_id)
        path = self.artifact_path(model_id)
        if not path.is_file():
            raise RegistryError(f"model {model_id[:16]} is known but its artifact {path} is missing")
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != model_id:
            raise TamperedArtifactError(path, model_id, actual)
        return loads(data)

    # --- readiness and export ----------------------------------------------------

    def readiness(self, metrics: Mapping[str, float], samples: int | None) -> tuple[bool, list[str]]:
        """Is a model fit for Hamilton on these (reported) numbers? ``(ready, reasons it is not)``.

        The one rule of :func:`huracan.analytics.readiness.judge` (thresholds from
        ``settings.readiness``); ``metrics["eval_samples"]``, when given, is the n the
        AUC and ECE rest on. ``models show`` judges the recomputed numbers the same way.

        >>> from huracan.config import load_config
        >>> ModelRegistry(load_config()).readiness({"auc": 0.6, "ece": 0.05}, 5000)
        (False, ['AUC 0.600 is below the minimum 0.650'])
        """
        from huracan.analytics.readiness import judge

        n = metrics.get("eval_samples")
        count = None if n is None else int(n)
        ready, reasons, _ = judge(metrics.get("auc"), count, metrics.get("ece"), count, samples, self.settings)
        return ready, reasons

    def training_samples(self, model_id: str, metrics: Mapping[str, float]) -> int | None:
        """Samples the model was trained on: its metrics, else its latest training session."""
        for key in ("samples", "training_samples"):
            if key in metrics:
                return int(metrics[key])
        if "samples_historical" in metrics or "samples_shadow" in metrics:
            return int(metrics.get("samples_historical", 0) + metrics.get("samples_shadow", 0))
        session = self.latest_session(model_id)
        return int(session["samples"]) if session is not None else None

    def export(
        self, model_id: str, *, ts: datetime, export_dir: Path | None = None, force: bool = False
    ) -> ExportManifest:
        """Copy a verified artifact to ``export_dir`` with its manifest; emit ``model_export``.

        Both files appear atomically under their final names (artifact first, manifest
        last: a visible manifest means a complete artifact). A model that fails readiness
        raises :class:`NotReadyError` and writes nothing, unless ``force``: then it is
        exported marked ``ready: false, forced: true`` with the reasons, in the manifest
        and in the ``model_export`` event.
        """
        model_id = self.resolve(model_id)
        meta = self.meta(model_id)
        src = self.artifact_path(model_id)
        if not src.is_file():
            raise RegistryError(f"cannot export {model_id[:16]}: its artifact {src} is missing; register it again")
        data = src.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != model_id:
            raise TamperedArtifactError(src, model_id, actual)
        samples = self.training_samples(model_id, meta.metrics)
        ready, reasons = self.readiness(meta.metrics, samples)
        if not ready and not force:
            raise NotReadyError(model_id, reasons)
        forced = not ready
        if forced:
            log.warning("forced export of %s, which is not ready: %s", model_id[:12], "; ".join(reasons))
        deltas: dict[str, float] = {}
        if meta.parent_model_id:
            try:
                parent = self.meta(meta.parent_model_id).metrics
                deltas = {k: meta.metrics[k] - parent[k] for k in sorted(meta.metrics.keys() & parent.keys())}
            except UnknownModelError:
                pass  # the parent predates this registry: lineage is kept, deltas are not
        out_dir = Path(export_dir or self.dir / "exports")
        stem = export_stem(meta.learner, model_id)
        r = self.settings.readiness
        manifest = ExportManifest(
            model_id=model_id,
            sha256=model_id,
            learner=meta.learner,
            git_sha=meta.git_sha,
            data_snapshot_id=meta.data_snapshot_id,
            parent_model_id=meta.parent_model_id,
            metrics=meta.metrics,
            metric_deltas=deltas,
            training_samples=samples,
            ready=ready,
            reasons=reasons,
            forced=forced,
            thresholds={"min_auc": r.min_auc, "max_ece": r.max_ece, "min_training_samples": r.min_training_samples},
            exported_at=ts,
            artifact_file=stem + ARTIFACT_SUFFIX,
            size_bytes=len(data),
        )
        body = manifest.model_dump_json(indent=2).encode()
        atomic_write(out_dir / manifest.artifact_file, data)
        atomic_write(out_dir / (stem + MANIFEST_SUFFIX), body)
        manifest = manifest.model_copy(
            update={
                "artifact_path": str(out_dir / manifest.artifact_file),
                "manifest_path": str(out_dir / (stem + MANIFEST_SUFFIX)),
                "manifest_sha256": hashlib.sha256(body).hexdigest(),
            }
        )
        self.emit(
            ModelExport(
                ts=ts,
                model_id=model_id,
                export_path=manifest.artifact_path,
                manifest_sha256=manifest.manifest_sha256,
                ready=ready,
                reasons=reasons,
                forced=forced,
            )
        )
        return manifest

    # --- attestation (huracan.store.attestation) ---------------------------------

    def attestation(self, model_id: str, now: datetime, *, verify_artifact: bool = True) -> Attestation:
        """Where ``model_id`` stands on snapshot → commit → SHA256 → export → Hamilton's ack."""
        from huracan.store.attestation import attestation_chain

        return attestation_chain(self, model_id, now, verify_artifact=verify_artifact)

    def pending_ack_alerts(self, now: datetime) -> list[Alert]:
        """Alerts for ready exports Hamilton has not acknowledged within ``export_ack_timeout_h``."""
        from huracan.store.attestation import pending_ack_alerts

        return pending_ack_alerts(self, now)
