"""Is a model ready for Hamilton, and is an export awaiting Hamilton's acknowledgement?

One answer for every face (#12): ``models show|list|diff``, ``learning summary``,
``metrics`` (``model_ready``, ``snapshot.readiness``), the digest, the dashboard, and
``models alerts`` / the daemon's alert job all call these functions.

**Readiness** (:func:`judge`, :func:`model_readiness`) judges a model on its *recomputed*
AUC and ECE — from the ``calibration`` event of its latest training session, the numbers
``huracan metrics`` prints — else on the training run's reported ones, and only on
enough evidence: an AUC on fewer predictions than ``min_n.discrimination`` (50) or an
ECE on fewer than ``min_n.calibration`` (100) cannot make a model ready. Thresholds are
``settings.readiness`` (AUC ≥ 0.65, ECE ≤ 0.10, training samples ≥ 1,000).

**Acknowledgement** (:func:`pending_acks`): an export waits for Hamilton from its first
*ready* export; Hamilton's ``model_loaded`` whose ``verified_sha256`` is the model id
acknowledges it; after ``readiness.export_ack_timeout_h`` it is pending, unless Hamilton
has since acknowledged a model exported later (it moved on: superseded). Not-ready
exports are never chased (``exports_not_ready`` counts them).

Example::

    >>> from huracan.config import load_config
    >>> judge(0.71, 3, 0.04, 3, 5000, load_config())[1]
    ['AUC 0.710 rests on only 3 predictions (at least 50 are needed)', 'ECE 0.040 rests on only 3 predictions (at least 100 are needed)']
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from huracan.analytics.snapshot import MetricsSnapshot, Readiness

__all__ = [
    "AckHistory",
    "PendingAck",
    "ack_history",
    "end_of_day",
    "judge",
    "model_readiness",
    "pending_acks",
    "snapshot_readiness",
]

_SESSIONS_SQL = """SELECT model_id, arg_max(session_id, trained_at) AS session_id,
  arg_max(auc, trained_at) AS auc, arg_max(ece, trained_at) AS ece,
  arg_max(samples_historical + samples_shadow, trained_at) AS samples,
  arg_max(eval_samples, trained_at) AS eval_samples
FROM v_training_session WHERE model_id IN (SELECT unnest(?)) {until}
GROUP BY model_id"""
_CALIBRATION_SQL = """SELECT session_id, arg_max(predictions, ts) AS predictions, arg_max(outcomes, ts) AS outcomes
FROM v_calibration WHERE session_id IN (SELECT unnest(?)) GROUP BY session_id"""
_CHAIN_SQL = """SELECT m.model_id,
  (SELECT count(*) FROM v_model_export e WHERE e.model_id = m.model_id {until_e}) AS exports,
  (SELECT count(*) FROM v_model_loaded l WHERE l.model_id = m.model_id AND l.verified_sha256 = m.model_id
     {until_l}) AS acks
FROM (SELECT unnest(?) AS model_id) m"""

_EXPORTS_SQL = """SELECT model_id, min(ts) AS exported_at, arg_min(export_path, ts) AS export_path
FROM v_model_export WHERE ready AND ts <= CAST(? AS TIMESTAMPTZ) GROUP BY model_id"""
_ACKS_SQL = """SELECT model_id, min(ts) AS acked_at FROM v_model_loaded
WHERE verified_sha256 = model_id AND ts <= CAST(? AS TIMESTAMPTZ) GROUP BY model_id"""
#: The two queries :func:`pending_acks` reads, for provenance.
PENDING_SQL = f"{_EXPORTS_SQL};\n{_ACKS_SQL}"


def _min_n(settings: Any) -> tuple[int, int]:
    from huracan.plugins.builtin.metrics.catalog import load_catalog

    m = load_catalog(settings).min_n
    return m["discrimination"], m["calibration"]


def judge(
    auc: float | None,
    auc_n: int | None,
    ece: float | None,
    ece_n: int | None,
    samples: int | None,
    settings: Any,
) -> tuple[bool, list[str], dict[str, bool]]:
    """(ready, reasons it is not, checks) of a model's AUC, ECE and training samples.

    ``auc_n`` / ``ece_n`` are the predictions each rests on (None: unknown, e.g. a
    registration's own metrics — judged on the value alone).
    """
    r = settings.readiness
    need_auc, need_ece = _min_n(settings)
    reasons: list[str] = []
    checks = {"auc": False, "ece": False, "samples": False}
    if auc is None:
        reasons.append("AUC unknown: no calibration event and no reported AUC")
    elif auc_n is not None and auc_n < need_auc:
        reasons.append(f"AUC {auc:.3f} rests on only {auc_n:,} predictions (at least {need_auc:,} are needed)")
    elif auc < r.min_auc:
        reasons.append(f"AUC {auc:.3f} is below the minimum {r.min_auc:.3f}")
    else:
        checks["auc"] = True
    if ece is None:
        reasons.append("ECE unknown: no calibration event and no reported ECE")
    elif ece_n is not None and ece_n < need_ece:
        reasons.append(f"ECE {ece:.3f} rests on only {ece_n:,} predictions (at least {need_ece:,} are needed)")
    elif ece > r.max_ece:
        reasons.append(f"ECE {ece:.3f} is above the maximum {r.max_ece:.3f}")
    else:
        checks["ece"] = True
    if samples is None:
        reasons.append("training sample count unknown: add 'samples' to the metrics or log its training_session")
    elif samples < r.min_training_samples:
        reasons.append(f"trained on {samples} samples, fewer than the minimum {r.min_training_samples}")
    else:
        checks["samples"] = True
    return not reasons, reasons, checks


def _rows(conn: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    from huracan.store.cold import archive_error
    from huracan.store.journal import fetch_rows

    try:
        return fetch_rows(conn, sql, params)
    except Exception as exc:
        if archive_error(exc) is not None:  # issue 15: an unreachable archive is an error, not "unknown"
            raise
        # A store without these tables yet (nothing trained or exported) has no evidence.
        if "CatalogException" in f"{type(exc).__name__} {exc}" or "does not exist" in str(exc):
            return []
        raise


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str) else v


@dataclass(frozen=True)
class _Evidence:
    auc: float | None
    auc_n: int | None
    ece: float | None
    ece_n: int | None
    samples: int | None
    source: str


def _evidence(conn: Any, ids: list[str], at: datetime | None) -> dict[str, _Evidence]:
    from huracan.analytics.calibration import auc as auc_of
    from huracan.analytics.calibration import ece_mce, reliability_bins

    until = "" if at is None else "AND trained_at <= CAST(? AS TIMESTAMPTZ)"
    sessions = _rows(conn, _SESSIONS_SQL.format(until=until), [ids] + ([at] if at else []))
    by_session = {r["session_id"]: r for r in _rows(conn, _CALIBRATION_SQL, [[s["session_id"] for s in sessions]])}
    out: dict[str, _Evidence] = {}
    for s in sessions:
        cal = by_session.get(s["session_id"])
        samples = None if s["samples"] is None else int(s["samples"])
        if cal is not None:
            p = [float(x) for x in _json(cal["predictions"]) or []]
            y = [int(x) for x in _json(cal["outcomes"]) or []]
            if p:
                ece = ece_mce(reliability_bins(p, y))[0]
                out[s["model_id"]] = _Evidence(auc_of(p, y), len(p), ece, len(p), samples, "recomputed")
                continue
        n = int(s["eval_samples"]) if s["eval_samples"] else None
        out[s["model_id"]] = _Evidence(s["auc"], n, s["ece"], n, samples, "reported")
    return out


def model_readiness(
    conn: Any,
    model_ids: Iterable[str],
    settings: Any,
    *,
    at: datetime | None = None,
    registered: Mapping[str, tuple[Mapping[str, float], int | None]] | None = None,
) -> dict[str, Readiness]:
    """Readiness of each model as of ``at`` (default: everything stored), one query per table.

    ``registered`` gives (metrics, samples) from the registry for models that have no
    training session in the store (judged on those reported numbers, without n).
    """
    ids = list(dict.fromkeys(model_ids))
    if not ids:
        return {}
    evidence = _evidence(conn, ids, at)
    for mid, (metrics, samples) in (registered or {}).items():
        if mid in ids and mid not in evidence:
            n = metrics.get("eval_samples")
            evidence[mid] = _Evidence(
                metrics.get("auc"),
                None if n is None else int(n),
                metrics.get("ece"),
                None if n is None else int(n),
                samples,
                "registered",
            )
    until_e = "" if at is None else "AND e.ts <= CAST(? AS TIMESTAMPTZ)"
    until_l = "" if at is None else "AND l.ts <= CAST(? AS TIMESTAMPTZ)"
    chain = {
        r["model_id"]: r
        for r in _rows(conn, _CHAIN_SQL.format(until_e=until_e, until_l=until_l), ([at, at] if at else []) + [ids])
    }
    out: dict[str, Readiness] = {}
    for mid in ids:
        ev = evidence.get(mid, _Evidence(None, None, None, None, None, "none"))
        ready, reasons, checks = judge(ev.auc, ev.auc_n, ev.ece, ev.ece_n, ev.samples, settings)
        c = chain.get(mid)
        if c is not None:
            checks["exported"] = bool(c["exports"])
            checks["acknowledged"] = bool(c["acks"])
        out[mid] = Readiness(
            model_id=mid,
            ready=ready,
            reasons=reasons,
            checks=checks,
            auc=ev.auc,
            ece=ev.ece,
            predictions=ev.auc_n,
            samples=ev.samples,
            source=ev.source,
        )
    return out


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` (UTC): what a day's report knows."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


_MODEL_SQL = """SELECT arg_max(model_id, trained_at) AS model_id FROM v_training_session
WHERE day = CAST(? AS DATE)"""


def snapshot_readiness(conn: Any, day: date, snapshot: MetricsSnapshot, settings: Any) -> Readiness | None:
    """Readiness of ``day``'s model as of the end of the day (None when nothing trained that day)."""
    rows = _rows(conn, _MODEL_SQL, [day.isoformat()])
    model_id = rows[0]["model_id"] if rows else None
    if model_id is None:
        return None
    return model_readiness(conn, [model_id], settings, at=end_of_day(day))[model_id]


@dataclass(frozen=True)
class PendingAck:
    """A ready export Hamilton has not acknowledged within the timeout."""

    model_id: str
    exported_at: datetime
    export_path: str
    hours: float


@dataclass(frozen=True)
class AckHistory:
    """Every ready export (first ready export time) and acknowledgement up to some instant."""

    exported: dict[str, tuple[datetime, str]]
    acked: dict[str, datetime]

    def pending(self, at: datetime, timeout_h: float) -> list[PendingAck]:
        """The exports pending at ``at`` (which must not be after the history's own bound)."""
        acked = {m for m, t in self.acked.items() if t <= at}
        acked_exports = [self.exported[m][0] for m in acked if m in self.exported]
        due = at - timedelta(hours=timeout_h)
        out = []
        for mid, (exported, path) in sorted(self.exported.items(), key=lambda kv: (kv[1][0], kv[0])):
            if mid in acked or exported > due or exported > at:
                continue
            if any(t > exported for t in acked_exports if t <= at):
                continue  # superseded: Hamilton acknowledged a model exported later
            out.append(PendingAck(mid, exported, path, (at - exported).total_seconds() / 3600))
        return out


def _aware(v: Any) -> datetime:
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return v if v.tzinfo is not None else v.replace(tzinfo=UTC)


def ack_history(conn: Any, until: datetime) -> AckHistory:
    """Ready exports and Hamilton's acknowledgements up to ``until`` (two queries)."""
    exported = {r["model_id"]: (_aware(r["exported_at"]), r["export_path"]) for r in _rows(conn, _EXPORTS_SQL, [until])}
    acked = {r["model_id"]: _aware(r["acked_at"]) for r in _rows(conn, _ACKS_SQL, [until])}
    return AckHistory(exported, acked)


def pending_acks(conn: Any, at: datetime, timeout_h: float) -> list[PendingAck]:
    """Ready exports still unacknowledged ``timeout_h`` after their first ready export, as of ``at``."""
    return ack_history(conn, at).pending(at, timeout_h)
