"""The attestation chain of a model, and the alert for exports Hamilton never acknowledged.

Chain: training-data snapshot → Engine commit (git SHA) → model SHA256 (the artifact
still hashes to its id) → export (ready or not) → Hamilton's ``model_loaded`` with
``verified_sha256`` equal to the model id. :func:`attestation_chain` says where a model
stands on it; :func:`pending_ack_alerts` lists ready exports not acknowledged within
``settings.readiness.export_ack_timeout_h`` — the one rule of
:func:`huracan.analytics.readiness.pending_acks`, which the digest's
``exports_pending_ack`` counts too (#12).

The functions take a :class:`~huracan.store.registry.ModelRegistry` for its directory,
settings and store; ``ModelRegistry.attestation`` / ``.pending_ack_alerts`` call them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from huracan.events import Alert, Severity

if TYPE_CHECKING:
    from huracan.store.registry import ModelRegistry

__all__ = ["AckRecord", "Attestation", "ExportRecord", "attestation_chain", "pending_ack_alerts"]

ChainState = Literal[
    "tampered",
    "artifact_missing",
    "registered",
    "exported_not_ready",
    "awaiting_ack",
    "ack_overdue",
    "superseded",
    "acknowledged",
]


@dataclass(frozen=True)
class ExportRecord:
    ts: datetime
    export_path: str
    ready: bool
    reasons: list[str]
    manifest_sha256: str | None


@dataclass(frozen=True)
class AckRecord:
    ts: datetime
    verified_sha256: str


@dataclass(frozen=True)
class Attestation:
    """Where one model stands: every link of the chain and one ``state`` word with its ``detail``."""

    model_id: str
    learner: str
    data_snapshot_id: str
    git_sha: str
    registered_at: datetime
    artifact_path: str
    #: verified / missing / tampered / unchecked
    artifact: str
    state: ChainState
    detail: str
    exports: list[ExportRecord] = field(default_factory=list)
    acks: list[AckRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _aware(ts: Any) -> datetime:
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _hours(delta_s: float) -> str:
    return f"{delta_s / 3600:.1f} h"


def attestation_chain(
    registry: ModelRegistry, model_id: str, now: datetime, *, verify_artifact: bool = True
) -> Attestation:
    """The attestation of ``model_id`` (a full id or unique prefix) as of ``now``."""
    from huracan.store.registry import TamperedArtifactError

    mid = registry.resolve(model_id)
    meta = registry.meta(mid)
    path = registry.artifact_path(mid)
    artifact = "unchecked"
    if verify_artifact:
        if not path.is_file():
            artifact = "missing"
        else:
            try:
                registry.verify(path, mid)
                artifact = "verified"
            except TamperedArtifactError:
                artifact = "tampered"
    exports = [
        ExportRecord(
            ts=_aware(r["ts"]),
            export_path=r["export_path"],
            ready=bool(r["ready"]),
            reasons=json.loads(r["reasons"]) if isinstance(r["reasons"], str) else list(r["reasons"] or []),
            manifest_sha256=r["manifest_sha256"],
        )
        for r in registry.exports(mid)
    ]
    acks = [AckRecord(ts=_aware(r["ts"]), verified_sha256=r["verified_sha256"]) for r in registry.acks(mid)]
    state, detail = _state(registry, mid, artifact, exports, acks, now)
    return Attestation(
        model_id=mid,
        learner=meta.learner,
        data_snapshot_id=meta.data_snapshot_id,
        git_sha=meta.git_sha,
        registered_at=meta.registered_at,
        artifact_path=str(path),
        artifact=artifact,
        state=state,
        detail=detail,
        exports=exports,
        acks=acks,
    )


def _state(
    registry: ModelRegistry,
    model_id: str,
    artifact: str,
    exports: list[ExportRecord],
    acks: list[AckRecord],
    now: datetime,
) -> tuple[ChainState, str]:
    if artifact == "tampered":
        return "tampered", "the stored artifact no longer hashes to the model id; do not export or load it"
    if acks:
        return "acknowledged", f"Hamilton verified and loaded this SHA256 at {acks[-1].ts.isoformat()}"
    if artifact == "missing" and not exports:
        return "artifact_missing", "no artifact in the registry directory and never exported"
    ready = [e for e in exports if e.ready]
    if not exports:
        return "registered", "registered, not exported yet"
    if not ready:
        return "exported_not_ready", "exported but not ready: " + "; ".join(exports[-1].reasons)
    from huracan.analytics.readiness import pending_acks

    waited = (now - ready[0].ts).total_seconds()
    timeout_h = registry.settings.readiness.export_ack_timeout_h
    if waited <= timeout_h * 3600:
        return "awaiting_ack", f"exported {_hours(max(waited, 0.0))} ago; acknowledgement due within {timeout_h:g} h"
    if registry.store is None or model_id in registry.pending_ack_ids(now, timeout_h, pending_acks):
        return "ack_overdue", f"exported {_hours(waited)} ago, no acknowledgement within {timeout_h:g} h"
    return "superseded", "never acknowledged, but Hamilton has since acknowledged a model exported later"


def pending_ack_alerts(registry: ModelRegistry, now: datetime) -> list[Alert]:
    """One WARNING ``alert`` per ready export not acknowledged within the timeout, as of ``now``.

    The rule is :func:`huracan.analytics.readiness.pending_acks` (a later export Hamilton
    acknowledged supersedes it). The caller decides what to do with them (the daemon
    logs them, de-duplicated per model until acknowledged).
    """
    from huracan.analytics.readiness import pending_acks

    if registry.store is None:
        return []
    timeout_h = registry.settings.readiness.export_ack_timeout_h
    return [
        Alert(
            ts=now,
            severity=Severity.WARNING,
            name="model_export_unacknowledged",
            component="registry",
            message=(
                f"model {p.model_id[:12]} was exported to {p.export_path} at {p.exported_at.isoformat()} "
                f"and Hamilton has not acknowledged it after {p.hours:.1f} h (timeout {timeout_h:g} h); "
                "check that Hamilton can read the export and logs model_loaded with this SHA256"
            ),
            metric_id=None,
            value=round(p.hours, 3),
            threshold=timeout_h,
            data_day=p.exported_at.date().isoformat(),
            part=p.model_id,
        )
        for p in pending_acks(registry.store, now, timeout_h)
    ]
