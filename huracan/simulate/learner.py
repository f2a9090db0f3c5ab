"""The Engine's meta-label learner: a real scikit-learn model, honestly evaluated.

``train_meta_label`` refuses leaking samples (:func:`huracan.events.check_training_samples`),
fits on the samples whose labels were observed before the holdout window, and
evaluates out of time on the last ``holdout_hours`` of decisions: AUC, ECE/MCE (10
equal-width bins), Brier score, log loss, permutation importances.

Example::

    >>> from datetime import datetime, timedelta, timezone
    >>> from huracan.events import TrainingSample
    >>> t = datetime(2025, 11, 6, tzinfo=timezone.utc)
    >>> late = TrainingSample(sample_id="s", decision_timestamp=t, label_cutoff_timestamp=t + timedelta(hours=1),
    ...                       features={"confidence": 0.6}, label=1)
    >>> train_meta_label([late], t)
    Traceback (most recent call last):
    huracan.events.LeakageError: leakage: sample s has label_cutoff_timestamp ...
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np

from huracan.events import CalibrationBin, TrainingSample, check_training_samples
from huracan.simulate.signals import MODEL_INPUTS

__all__ = [
    "ARTIFACT_FORMAT",
    "InsufficientDataError",
    "TrainedModel",
    "TrainingReport",
    "calibration_bins",
    "dumps_model",
    "loads_model",
    "permutation_importances",
    "predict_piecewise",
    "select_training_samples",
    "train_meta_label",
]

ARTIFACT_FORMAT = "huracan-sim-meta-label/1"
IMPORTANCE_ROWS = 800  # holdout rows shuffled for permutation importance: enough to rank features
LearnerName = Literal["hgb", "logistic"]


class InsufficientDataError(ValueError):
    """Too few (or one-class) samples to fit or to evaluate a model honestly."""


@dataclass(frozen=True)
class TrainingReport:
    """What one training run measured on its out-of-time holdout."""

    trained_at: datetime
    data_cutoff: datetime
    samples_historical: int
    samples_shadow: int
    eval_samples: int
    auc: float
    ece: float
    mce: float
    brier: float
    log_loss: float
    predictions: list[float]
    outcomes: list[int]
    bins: list[CalibrationBin]
    importances: dict[str, float]

    @property
    def samples(self) -> int:
        return self.samples_historical + self.samples_shadow

    def metrics(self) -> dict[str, float]:
        """The numbers the registry records and the readiness check reads."""
        return {
            "auc": self.auc,
            "ece": self.ece,
            "mce": self.mce,
            "brier": self.brier,
            "log_loss": self.log_loss,
            "eval_samples": float(self.eval_samples),
            "training_samples": float(self.samples),
        }


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model, its serialised bytes (whose SHA256 is its id) and its report."""

    model: Any
    artifact: bytes
    report: TrainingReport


def select_training_samples(
    pool: Sequence[TrainingSample], trained_at: datetime, window: timedelta
) -> list[TrainingSample]:
    """Samples usable at ``trained_at``: label already observed, decided within ``window``.

    Historical samples (the Engine's archive) are always offered; the rolling window
    keeps the model on recent market rules.
    """
    since = trained_at - window
    return [
        s
        for s in pool
        if s.label_cutoff_timestamp <= trained_at and (s.origin == "historical" or s.decision_timestamp >= since)
    ]


def _matrix(samples: Sequence[TrainingSample]) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.array([[s.features[f] for f in MODEL_INPUTS] for s in samples], dtype=float)
    except KeyError as exc:
        raise InsufficientDataError(
            f"a training sample lacks model input {exc.args[0]!r}; every sample needs {', '.join(MODEL_INPUTS)}"
        ) from None
    return x.reshape(len(samples), len(MODEL_INPUTS)), np.array([s.label for s in samples], dtype=int)


def calibration_bins(pred: np.ndarray, y: np.ndarray, n_bins: int = 10) -> tuple[list[CalibrationBin], float, float]:
    """Equal-width reliability bins, the expected (ECE) and maximum (MCE) calibration error."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(pred, edges[1:-1]), 0, n_bins - 1)
    bins: list[CalibrationBin] = []
    ece = mce = 0.0
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        if not count:
            continue
        mp, obs = float(pred[mask].mean()), float(y[mask].mean())
        gap = abs(mp - obs)
        ece += gap * count / len(pred)
        mce = max(mce, gap)
        bins.append(
            CalibrationBin(
                lower=float(edges[b]),
                upper=float(edges[b + 1]),
                mean_predicted=round(mp, 6),
                observed_rate=round(obs, 6),
                count=count,
            )
        )
    return bins, ece, mce


def _estimator(learner: LearnerName, seed: int) -> Any:
    if learner == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=500))
    if learner == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        # Small and regularised: a day's retrain stays well under a second here, and
        # early stopping is off because its random validation split would leak time.
        return HistGradientBoostingClassifier(
            max_iter=60,
            learning_rate=0.1,
            max_leaf_nodes=12,
            min_samples_leaf=60,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    raise ValueError(f"unknown learner {learner!r}; choose 'hgb' or 'logistic'")


def train_meta_label(
    samples: Sequence[TrainingSample],
    trained_at: datetime,
    *,
    learner: LearnerName = "hgb",
    holdout: timedelta = timedelta(hours=24),
    seed: int = 0,
) -> TrainedModel:
    """Fit the meta-label model on ``samples`` and evaluate it out of time.

    Raises :class:`huracan.events.LeakageError` if any sample's label was observed
    after ``trained_at``, and :class:`InsufficientDataError` if either side of the
    time split is too small or has one class only.
    """
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
    from threadpoolctl import threadpool_limits

    check_training_samples(samples, trained_at)
    split = trained_at - holdout
    # Training labels must be known before the holdout starts, or the holdout leaks.
    fit_part = [s for s in samples if s.label_cutoff_timestamp <= split]
    eval_part = [s for s in samples if s.decision_timestamp >= split]
    x_fit, y_fit = _matrix(fit_part)
    x_ev, y_ev = _matrix(eval_part)
    if len(fit_part) < 50 or len(set(y_fit.tolist())) < 2:
        raise InsufficientDataError(
            f"only {len(fit_part)} training samples with labels observed before {split.isoformat()} "
            "(need 50 of both classes); simulate more days or signals"
        )
    if len(eval_part) < 20 or len(set(y_ev.tolist())) < 2:
        raise InsufficientDataError(
            f"only {len(eval_part)} holdout samples decided after {split.isoformat()} (need 20 of both classes)"
        )
    model = _estimator(learner, seed)
    # One OpenMP thread: the per-tree parallel regions are tiny here, and on a busy
    # machine thread contention makes them 10-100x slower than running serially.
    with threadpool_limits(limits=1):
        model.fit(x_fit, y_fit)
        pred = np.clip(model.predict_proba(x_ev)[:, 1], 1e-6, 1 - 1e-6)
        importances = permutation_importances(model, x_ev[:IMPORTANCE_ROWS], y_ev[:IMPORTANCE_ROWS], seed=seed)
    bins, ece, mce = calibration_bins(pred, y_ev)
    report = TrainingReport(
        trained_at=trained_at,
        data_cutoff=max(s.label_cutoff_timestamp for s in fit_part),
        samples_historical=sum(1 for s in fit_part if s.origin == "historical"),
        samples_shadow=sum(1 for s in fit_part if s.origin != "historical"),
        eval_samples=len(eval_part),
        auc=round(float(roc_auc_score(y_ev, pred)), 6),
        ece=round(ece, 6),
        mce=round(mce, 6),
        brier=round(float(brier_score_loss(y_ev, pred)), 6),
        log_loss=round(float(log_loss(y_ev, pred, labels=[0, 1])), 6),
        predictions=[round(float(p), 6) for p in pred],
        outcomes=[int(v) for v in y_ev],
        bins=bins,
        importances={f: round(float(v), 6) for f, v in zip(MODEL_INPUTS, importances, strict=True)},
    )
    return TrainedModel(model=model, artifact=dumps_model(model), report=report)


def permutation_importances(model: Any, x: np.ndarray, y: np.ndarray, *, repeats: int = 2, seed: int = 0) -> np.ndarray:
    """Mean drop in holdout AUC when each column is shuffled (``repeats`` shuffles each).

    The same estimate as ``sklearn.inspection.permutation_importance(scoring="roc_auc")``,
    but every shuffled copy is predicted in one batch: per-call overhead of a boosted
    model dominates otherwise (36 small predicts cost more than the fit).
    """
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    n, k = x.shape
    copies = np.repeat(x[np.newaxis], k * repeats, axis=0)
    for c in range(k * repeats):
        copies[c, :, c // repeats] = x[rng.permutation(n), c // repeats]
    base = roc_auc_score(y, model.predict_proba(x)[:, 1])
    probs = model.predict_proba(copies.reshape(-1, k))[:, 1].reshape(k * repeats, n)
    drops = np.array([base - roc_auc_score(y, p) for p in probs])
    out: np.ndarray = drops.reshape(k, repeats).mean(axis=1)
    return out


def dumps_model(model: Any) -> bytes:
    """Serialise a model with its input columns; the bytes' SHA256 is the model id."""
    return pickle.dumps({"format": ARTIFACT_FORMAT, "inputs": list(MODEL_INPUTS), "model": model}, protocol=5)


def loads_model(artifact: bytes) -> Any:
    """Load a model serialised by :func:`dumps_model`.

    Unpickling runs code: call this only on bytes whose SHA256 the registry verified.
    """
    payload = pickle.loads(artifact)  # bytes verified against the registry by the caller
    if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
        raise ValueError(f"not a {ARTIFACT_FORMAT} artifact; was it exported by the simulator's Engine?")
    if payload["inputs"] != list(MODEL_INPUTS):
        raise ValueError(f"artifact expects inputs {payload['inputs']}, this Engine provides {list(MODEL_INPUTS)}")
    return payload["model"]


def predict_piecewise(x: np.ndarray, ts: np.ndarray, segments: Sequence[tuple[float, Any]]) -> np.ndarray:
    """Predicted win probability of each row with the model live at its time.

    ``segments`` are ``(active_from_ts, model)`` pairs, oldest first; rows before the
    first segment get NaN (no model yet). Each model predicts its rows in one batch.
    """
    from threadpoolctl import threadpool_limits

    out = np.full(len(x), np.nan)
    with threadpool_limits(limits=1):
        for i, (start, model) in enumerate(segments):
            end = segments[i + 1][0] if i + 1 < len(segments) else np.inf
            mask = (ts >= start) & (ts < end)
            if mask.any():
                out[mask] = model.predict_proba(x[mask])[:, 1]
    return out
