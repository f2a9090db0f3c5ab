"""Model evolution: compare two model versions or the whole line, lineage, config history.

Everything is read through a :class:`~huracan.store.registry.ModelRegistry` (its sidecar
files and its store). A version's metrics are its registered metrics, completed with its
latest training session's (``auc``, ``ece``, ``mce``, ``brier``, ``log_loss``) where the
registration did not carry them; its features are its latest ``feature_importance``.

Example::

    >>> from huracan.analytics.evolution import metric_deltas
    >>> metric_deltas({"auc": 0.66, "ece": 0.08}, {"auc": 0.70, "ece": 0.05})["ece"]["delta"]
    -0.03
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from huracan.analytics.learning import METRICS, FeatureDrift, feature_drift
from huracan.analytics.readiness import model_readiness

if TYPE_CHECKING:
    from huracan.store.registry import ModelRegistry

__all__ = [
    "ConfigChangeRecord",
    "ModelComparison",
    "ModelVersion",
    "compare_models",
    "config_history",
    "lineage",
    "lineage_tree",
    "metric_deltas",
    "model_line",
    "model_version",
]


@dataclass
class ModelVersion:
    model_id: str
    learner: str
    registered_at: datetime
    parent_model_id: str | None
    git_sha: str
    data_snapshot_id: str
    metrics: dict[str, float]
    samples: int | None
    ready: bool
    reasons: list[str]
    importances: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    #: what readiness was judged on (huracan.analytics.readiness): auc, ece, predictions,
    #: samples and source ("recomputed" from the calibration event, "reported", "registered")
    judged_on: dict[str, Any] = field(default_factory=dict)
    #: the model's latest training session (its calibration event is the evidence)
    session_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def metric_deltas(before: dict[str, float], after: dict[str, float]) -> dict[str, dict[str, Any]]:
    """``{metric: {before, after, delta, improved}}`` for metrics both sides have.

    A raw delta says nothing about better or worse (#12): ``improved`` is always None
    here. :func:`compare_models` judges a change from the evidence
    (:func:`huracan.analytics.model_change.changes_between`).
    """
    out: dict[str, dict[str, Any]] = {}
    for m in sorted(before.keys() & after.keys()):
        b, a = before[m], after[m]
        out[m] = {"before": b, "after": a, "delta": a - b, "improved": None}
    return out


def model_version(registry: ModelRegistry, model_id: str) -> ModelVersion:
    """One model with its metrics, training samples, readiness and feature importances."""
    mid = registry.resolve(model_id)
    meta = registry.meta(mid)
    metrics = dict(meta.metrics)
    session = registry.latest_session(mid)
    if session is not None:
        for m in METRICS:
            if session[m] is not None:  # brier / log_loss are optional in a training session
                metrics.setdefault(m, float(session[m]))
    importances = registry.latest_importances(mid)
    samples = registry.training_samples(mid, metrics)
    judged: dict[str, Any] = {}
    if registry.store is not None:
        r = registry.judged(mid, (metrics, samples), model_readiness)  # preloaded: every model at once
        ready, reasons = r.ready, r.reasons
        judged = r.model_dump(include={"auc", "ece", "predictions", "samples", "source"})
    else:
        ready, reasons = registry.readiness(metrics, samples)
    return ModelVersion(
        model_id=mid,
        learner=meta.learner,
        registered_at=meta.registered_at,
        parent_model_id=meta.parent_model_id,
        git_sha=meta.git_sha,
        data_snapshot_id=meta.data_snapshot_id,
        metrics=metrics,
        samples=samples,
        ready=ready,
        reasons=reasons,
        importances={k: float(v) for k, v in importances.items()},
        notes=meta.notes,
        judged_on=judged,
        session_id=session["session_id"] if session is not None else None,
    )


@dataclass
class ModelComparison:
    a: ModelVersion
    b: ModelVersion
    metric_deltas: dict[str, dict[str, Any]]
    drift: FeatureDrift | None
    #: "became ready", "no longer ready", "still ready" or "still not ready".
    readiness_change: str
    #: Model ids from ``a`` down to ``b`` when ``a`` is an ancestor of ``b`` (or the reverse).
    lineage_path: list[str]
    relation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ancestors(registry: ModelRegistry, model_id: str) -> list[str]:
    """``model_id`` then its parent, grandparent… (stops at an unknown parent or a cycle)."""
    chain, seen = [model_id], {model_id}
    while True:
        try:
            parent = registry.meta(chain[-1]).parent_model_id
        except KeyError:
            break
        if parent is None or parent in seen:
            break
        chain.append(parent)
        seen.add(parent)
    return chain


def compare_models(registry: ModelRegistry, a: str, b: str) -> ModelComparison:
    """Metric deltas (b − a), feature-importance shift, readiness change and lineage of two models."""
    va, vb = model_version(registry, a), model_version(registry, b)
    drift = feature_drift(va.importances, vb.importances) if va.importances and vb.importances else None
    change = {
        (False, True): "became ready",
        (True, False): "no longer ready",
        (True, True): "still ready",
        (False, False): "still not ready",
    }[(va.ready, vb.ready)]
    up_b, up_a = _ancestors(registry, vb.model_id), _ancestors(registry, va.model_id)
    if va.model_id in up_b:
        path = list(reversed(up_b[: up_b.index(va.model_id) + 1]))
        relation = "same model" if len(path) == 1 else f"{len(path) - 1} generation(s) after"
    elif vb.model_id in up_a:
        path = up_a[: up_a.index(vb.model_id) + 1]
        relation = f"{len(path) - 1} generation(s) before"
    else:
        common = next((m for m in up_b if m in set(up_a)), None)
        path = []
        relation = f"siblings via {common[:12]}" if common else "unrelated lineages"
    return ModelComparison(
        a=va,
        b=vb,
        metric_deltas=_judged_deltas(registry, va, vb),
        drift=drift,
        readiness_change=change,
        lineage_path=path,
        relation=relation,
    )


def _judged_deltas(registry: ModelRegistry, a: ModelVersion, b: ModelVersion) -> dict[str, dict[str, Any]]:
    """Metric changes a → b judged on the evidence where both have a calibration event."""
    from huracan.analytics.model_change import HIGHER_IS_BETTER, changes_between

    out = metric_deltas(a.metrics, b.metrics)
    if registry.store is not None:
        judged = changes_between(
            registry.store,
            (a.session_id, {m: a.metrics.get(m) for m in HIGHER_IS_BETTER}),
            (b.session_id, {m: b.metrics.get(m) for m in HIGHER_IS_BETTER}),
            registry.settings,
        )
        out.update(judged)
    for d in out.values():
        d.setdefault("word", "not judged")
    return out


def lineage(registry: ModelRegistry, model_id: str) -> list[dict[str, Any]]:
    """Root → ``model_id``: each step's version and its metric deltas vs its parent."""
    chain = list(reversed(_ancestors(registry, registry.resolve(model_id))))
    out, prev = [], None
    for mid in chain:
        try:
            v = model_version(registry, mid)
        except KeyError:
            # The oldest parent may predate the registry: keep its id in the chain.
            out.append({"model_id": mid, "known": False, "deltas": {}})
            continue
        out.append(
            {
                "model_id": mid,
                "known": True,
                "version": v,
                "deltas": metric_deltas(prev.metrics, v.metrics) if prev else {},
            }
        )
        prev = v
    return out


def lineage_tree(registry: ModelRegistry, learner: str | None = None) -> list[dict[str, Any]]:
    """Every model as a tree: roots (no known parent) with nested ``children``, oldest first."""
    metas = [m for m in registry.list_models() if learner is None or m.learner == learner]
    ids = {m.model_id for m in metas}
    nodes: dict[str, dict[str, Any]] = {
        m.model_id: {"model_id": m.model_id, "registered_at": m.registered_at, "metrics": m.metrics, "children": []}
        for m in metas
    }
    roots: list[dict[str, Any]] = []
    for m in metas:  # oldest first, so children keep registration order
        if m.parent_model_id is not None and m.parent_model_id in ids:
            nodes[m.parent_model_id]["children"].append(nodes[m.model_id])
        else:
            roots.append(nodes[m.model_id])
    return roots


def model_line(registry: ModelRegistry, learner: str | None = None) -> list[dict[str, Any]]:
    """Every model in registration order with its readiness and deltas vs its parent."""
    out = []
    by_id: dict[str, ModelVersion] = {}
    for meta in registry.list_models():
        if learner is not None and meta.learner != learner:
            continue
        v = model_version(registry, meta.model_id)
        by_id[v.model_id] = v
        parent = by_id.get(v.parent_model_id or "")
        out.append({"version": v, "deltas_vs_parent": metric_deltas(parent.metrics, v.metrics) if parent else {}})
    return out


@dataclass(frozen=True)
class ConfigChangeRecord:
    ts: datetime
    key: str
    old_value: Any
    new_value: Any
    author: str
    reason: str
    gate: str | None
    mode: str | None
    diff: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scalar(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def config_history(
    conn: Any, *, since: date | None = None, until: date | None = None, key: str | None = None
) -> list[ConfigChangeRecord]:
    """``config_change`` events (oldest first) with a unified diff of each change.

    ``key`` matches a dotted prefix (``gates.meta_label`` matches every threshold of that gate).
    """
    from huracan.store.journal import day_range, fetch_rows, where_clause

    conds, params = day_range(since, until)
    if key is not None:
        conds.append("(key = ? OR starts_with(key, ?))")
        params += [key, key.rstrip(".") + "."]
    where = where_clause(conds)
    rows = fetch_rows(
        conn,
        f"SELECT ts, key, old_value, new_value, author, reason, gate, mode FROM v_config_change {where} ORDER BY ts",
        params,
    )
    out = []
    for r in rows:
        old, new = _scalar(r["old_value"]), _scalar(r["new_value"])
        diff = "\n".join(
            difflib.unified_diff(
                [f"{r['key']}: {json.dumps(old)}"],
                [f"{r['key']}: {json.dumps(new)}"],
                fromfile=f"a/{r['key']}",
                tofile=f"b/{r['key']}  ({r['author']}: {r['reason'] or 'no reason given'})",
                lineterm="",
            )
        )
        out.append(
            ConfigChangeRecord(
                ts=r["ts"],
                key=r["key"],
                old_value=old,
                new_value=new,
                author=r["author"],
                reason=r["reason"] or "",
                gate=r["gate"],
                mode=r["mode"],
                diff=diff,
            )
        )
    return out
