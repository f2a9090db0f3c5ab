"""The simulated Engine's daily training step: its archive of samples, and the 00:00 UTC retrain.

:class:`DailyTraining` is a mixin of :class:`~huracan.simulate.engine.Engine` and holds
no state of its own. ``train`` fits the meta-label model on the samples whose outcomes
are known by then, registers it, logs its ``training_session``, ``calibration`` and
``feature_importance``, and exports it to Hamilton when it passes readiness.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from huracan.events import Calibration, EventBase, FeatureImportance, TrainingSample, TrainingSession
from huracan.simulate.hamilton import Hamilton
from huracan.simulate.learner import (
    InsufficientDataError,
    LearnerName,
    TrainedModel,
    select_training_samples,
    train_meta_label,
)
from huracan.simulate.ports import IdSource, Registry
from huracan.simulate.signals import MODEL_INPUTS, SignalBatch

__all__ = ["GIT_SHA", "DailyTraining", "to_utc"]

#: The simulated Engine's code version, as a real Engine would report its git HEAD.
GIT_SHA = hashlib.sha1(b"huracan-simulated-engine-v1").hexdigest()


def to_utc(ts: float) -> datetime:
    """A POSIX timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


class DailyTraining:
    """The Engine's learning: its sample pool and the daily retrain (mixed into ``Engine``).

    The attributes below are the Engine's dataclass fields; they are named here so the
    type checker can follow the mixin.
    """

    registry: Registry
    hamilton: Hamilton
    schedule: Callable[[EventBase], None]
    ids: IdSource
    rng: np.random.Generator
    learner: LearnerName
    window: timedelta
    seed: int
    pool: list[TrainingSample]
    segments: list[tuple[float, Any, str]]
    registered: list[str]
    exported: list[str]
    aucs: list[float]

    def add_history(self, batch: SignalBatch) -> None:
        """The Engine's archive of labelled signals from before the simulation."""
        x = batch.matrix()
        for i in range(len(batch)):
            self.pool.append(self._sample(batch, x[i], i, self.ids.make("hist"), float(batch.ts[i]), "historical"))

    def _sample(self, b: SignalBatch, row: np.ndarray, i: int, sid: str, decided: float, origin: str) -> TrainingSample:
        return TrainingSample(
            sample_id=sid,
            decision_timestamp=to_utc(decided),
            label_cutoff_timestamp=to_utc(decided + float(b.holding_s[i])),
            features={k: float(v) for k, v in zip(MODEL_INPUTS, row, strict=True)},
            label=int(b.win[i]),
            origin=origin,  # type: ignore[arg-type]
        )

    def train(self, at: datetime, *, export: bool = True, acknowledge: bool = True) -> TrainedModel | None:
        """The 00:00 UTC retrain: fit, evaluate, register, log, export when ready."""
        samples = select_training_samples(self.pool, at, self.window)
        try:
            tm = train_meta_label(samples, at, learner=self.learner, seed=self.seed)
        except InsufficientDataError:
            return None  # too little data yet: keep the current model
        rep = tm.report
        # Simulated wall time of the job, drawn (not measured) so runs are reproducible.
        duration = round(20.0 + rep.samples * 0.004 * float(self.rng.uniform(0.8, 1.3)), 1)
        done = at + timedelta(seconds=duration)
        parent = self.registered[-1] if self.registered else None
        model_id = self.registry.register(
            tm.artifact,
            learner="meta_label",
            git_sha=GIT_SHA,
            data_snapshot_id=f"samples-{at:%Y%m%d}-{rep.samples}",
            metrics=rep.metrics(),
            parent_model_id=parent,
            notes=(
                f"daily retrain ({self.learner}) on {rep.samples_historical} historical + "
                f"{rep.samples_shadow} shadow samples; out-of-time holdout of {rep.eval_samples}"
            ),
            ts=done,
        )
        session = f"train-{at:%Y%m%d}-{model_id[:8]}"
        self.schedule(
            TrainingSession(
                event_id=self.ids.event_id(),
                ts=done,
                session_id=session,
                model_id=model_id,
                trained_at=at,
                data_cutoff_timestamp=rep.data_cutoff,
                duration_s=duration,
                samples_historical=rep.samples_historical,
                samples_shadow=rep.samples_shadow,
                auc=rep.auc,
                ece=rep.ece,
                mce=rep.mce,
                brier=rep.brier,
                log_loss=rep.log_loss,
                eval_samples=rep.eval_samples,
            )
        )
        self.schedule(
            Calibration(
                event_id=self.ids.event_id(),
                ts=done + timedelta(seconds=1),
                session_id=session,
                model_id=model_id,
                predictions=rep.predictions,
                outcomes=rep.outcomes,
                reported_ece=rep.ece,
                reported_mce=rep.mce,
                bins=rep.bins,
            )
        )
        self.schedule(
            FeatureImportance(
                event_id=self.ids.event_id(),
                ts=done + timedelta(seconds=2),
                session_id=session,
                model_id=model_id,
                importances=rep.importances,
            )
        )
        self.registered.append(model_id)
        self.aucs.append(rep.auc)
        self.segments.append((done.timestamp() + 5, tm.model, model_id))
        ready, _reasons = self.registry.readiness(rep.metrics(), rep.samples)
        if export and ready:
            exported_at = done + timedelta(seconds=float(self.rng.uniform(20, 90)))
            manifest = self.registry.export(model_id, ts=exported_at)
            self.exported.append(model_id)
            self.hamilton.on_export(manifest, model_id, exported_at, acknowledge=acknowledge)
        return tm
