"""Every model's history — registration, training, importances, exports, acknowledgements — in one query.

``huracan models list`` used to ask the store five to seven questions per model (its
metadata, latest session, importances, training samples, exports, acknowledgements),
each a round trip to the daemon: 14–35 s for a month of daily models (issue 14). A
:class:`~huracan.store.registry.ModelRegistry` that has called :meth:`preload` answers all
of them from the rows of :data:`HISTORY_SQL` instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HISTORY_SQL", "ModelHistory", "histories"]

#: One row per event about a model, oldest first: (kind, model_id, ts, JSON body).
HISTORY_SQL = """
SELECT 'registered' AS kind, model_id, ts, to_json({'learner': learner, 'git_sha': git_sha,
       'data_snapshot_id': data_snapshot_id, 'metrics': metrics, 'parent_model_id': parent_model_id,
       'notes': notes, 'size_bytes': size_bytes})::VARCHAR AS body
  FROM v_model_registered
UNION ALL
SELECT 'session', model_id, trained_at, to_json({'session_id': session_id, 'auc': auc, 'ece': ece, 'mce': mce,
       'brier': brier, 'log_loss': log_loss, 'samples': samples_historical + samples_shadow})::VARCHAR
  FROM v_training_session
UNION ALL
SELECT 'importance', model_id, ts, to_json({'importances': importances})::VARCHAR FROM v_feature_importance
UNION ALL
SELECT 'export', model_id, ts, to_json({'export_path': export_path, 'ready': ready, 'reasons': reasons,
       'manifest_sha256': manifest_sha256})::VARCHAR
  FROM v_model_export
UNION ALL
SELECT 'ack', model_id, ts, to_json({'verified_sha256': verified_sha256})::VARCHAR
  FROM v_model_loaded WHERE verified_sha256 = model_id
ORDER BY ts, kind
"""

_JSON_TEXT = ("metrics", "reasons", "importances")  # JSON columns: text inside the body


@dataclass
class ModelHistory:
    """What the store holds about one model, each list oldest first (rows as dicts with ``ts``)."""

    registered: list[dict[str, Any]] = field(default_factory=list)
    session: list[dict[str, Any]] = field(default_factory=list)
    importance: list[dict[str, Any]] = field(default_factory=list)
    export: list[dict[str, Any]] = field(default_factory=list)
    ack: list[dict[str, Any]] = field(default_factory=list)


def _body(raw: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    for key in _JSON_TEXT:
        if isinstance(body.get(key), str):
            body[key] = json.loads(body[key])
    return body


def histories(rows: Iterable[Mapping[str, Any]]) -> dict[str, ModelHistory]:
    """Group the rows of :data:`HISTORY_SQL` by model."""
    out: dict[str, ModelHistory] = {}
    for r in rows:
        entry = out.setdefault(r["model_id"], ModelHistory())
        getattr(entry, r["kind"]).append({"ts": r["ts"], **_body(r["body"])})
    return out
