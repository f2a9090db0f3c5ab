"""Is the day's model ready for Hamilton? Judged on the snapshot's own numbers.

The rule is the registry's (:meth:`huracan.store.registry.ModelRegistry.readiness`:
AUC, ECE, training samples against ``settings.readiness``); the inputs are the
snapshot's verified values — the recomputed AUC and ECE when the calibration event
exists, else the training run's reported ones — so the verdict and the numbers the
digest prints can never disagree. The checks add where the model is on the attestation
chain: exported, and acknowledged by Hamilton (``model_loaded``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from huracan.analytics.snapshot import MetricsSnapshot, Readiness

__all__ = ["snapshot_readiness"]

_MODEL_SQL = """SELECT arg_max(model_id, trained_at) AS model_id FROM v_training_session
WHERE day = CAST(? AS DATE)"""
_CHAIN_SQL = """SELECT
  (SELECT count(*) FROM v_model_export WHERE model_id = ?) AS exports,
  (SELECT count(*) FROM v_model_loaded WHERE model_id = ?) AS acks"""


def _first(snapshot: MetricsSnapshot, *ids: str) -> float | None:
    for mid in ids:
        v = snapshot.value(mid)
        if v is not None:
            return v
    return None


def _reraise_archive_error(exc: Exception) -> None:
    from huracan.store.cold import archive_error

    if archive_error(exc) is not None:  # issue 15: an unreachable archive is an error, not "unknown"
        raise exc


def snapshot_readiness(conn: Any, day: date, snapshot: MetricsSnapshot, settings: Any) -> Readiness | None:
    """Readiness of ``day``'s model (None when nothing trained that day)."""
    from huracan.store.registry import ModelRegistry

    try:
        row = conn.execute(_MODEL_SQL, [day.isoformat()]).fetchone()
    except Exception as exc:  # no training_session table yet: no model to judge
        _reraise_archive_error(exc)
        return None
    model_id = row[0] if row else None
    if model_id is None:
        return None
    metrics: dict[str, float] = {}
    auc = _first(snapshot, "model_auc", "model_auc_reported")
    ece = _first(snapshot, "model_ece", "model_ece_reported")
    if auc is not None:
        metrics["auc"] = auc
    if ece is not None:
        metrics["ece"] = ece
    samples = _first(snapshot, "samples_total")
    ready, reasons = ModelRegistry(settings).readiness(metrics, None if samples is None else int(samples))
    r = settings.readiness
    checks = {
        "auc": auc is not None and auc >= r.min_auc,
        "ece": ece is not None and ece <= r.max_ece,
        "samples": samples is not None and samples >= r.min_training_samples,
    }
    try:
        exports, acks = conn.execute(_CHAIN_SQL, [model_id, model_id]).fetchone()
        checks["exported"] = bool(exports)
        checks["acknowledged"] = bool(acks)
    except Exception as exc:  # no export / model_loaded table yet: the chain is simply unknown
        _reraise_archive_error(exc)
    return Readiness(model_id=model_id, ready=ready, reasons=reasons, checks=checks)
