"""Built-in learner adapters: the scikit-learn meta-label learner and a logistic baseline.

A learner adapter says how a model is fitted, how it predicts a win probability, and
how it is serialised. Both built-ins serialise with :mod:`pickle`.

.. warning::
   Unpickling runs arbitrary code. ``loads`` must only ever see bytes whose SHA256 was
   verified against the model registry first: call :func:`load_verified`, never
   ``spec.loads`` on bytes read from disk or the network.

Example::

    >>> import numpy as np
    >>> spec = logistic_baseline()
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> blob = spec.dumps(spec.fit(X, y))
    >>> model = load_verified(spec, blob, model_sha256(blob))
    >>> bool(spec.predict_proba(model, np.array([[3.0]]))[0] > 0.5)
    True
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
from collections.abc import Callable
from typing import Any

from huracan.config import Settings
from huracan.plugins.hookspecs import hookimpl
from huracan.plugins.types import LearnerSpec

__all__ = [
    "ModelIntegrityError",
    "huracan_register_learners",
    "load_verified",
    "logistic_baseline",
    "meta_label_learner",
    "model_sha256",
]


class ModelIntegrityError(ValueError):
    """A model's bytes do not match the SHA256 the registry holds for it."""


def model_sha256(blob: bytes) -> str:
    """The model id: the SHA256 of its serialised bytes (lowercase hex)."""
    return hashlib.sha256(blob).hexdigest()


def load_verified(spec: LearnerSpec, blob: bytes, expected_sha256: str) -> Any:
    """Verify ``blob`` against ``expected_sha256``, and only then deserialise it with ``spec.loads``."""
    actual = model_sha256(blob)
    if not hmac.compare_digest(actual, expected_sha256.lower()):
        raise ModelIntegrityError(
            f"refusing to load a {spec.name} model: its bytes hash to {actual[:12]}… but the registry "
            f"expects {expected_sha256[:12]}…; the file was changed or is not the registered model"
        )
    return spec.loads(blob)


def _positive_proba(model: Any, X: Any) -> Any:
    proba = model.predict_proba(X)
    classes = list(getattr(model, "classes_", [0, 1]))
    if 1 not in classes:
        raise ValueError(f"model was trained without a positive class (classes: {classes}); need labels 0 and 1")
    return proba[:, classes.index(1)]


def _dumps(model: Any) -> bytes:
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(blob: bytes) -> Any:
    # Only reached through load_verified (or a caller that verified the SHA256 itself).
    return pickle.loads(blob)


def _meta_label_fitter(max_iter: int) -> Callable[[Any, Any], Any]:
    def fit(X: Any, y: Any) -> Any:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier

        # Gates compare meta_prob with a probability threshold, so the probabilities must be
        # calibrated, not just well ranked: sigmoid calibration over 3 folds.
        base = HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.05, max_leaf_nodes=15, random_state=0)
        return CalibratedClassifierCV(base, method="sigmoid", cv=3).fit(X, y)

    return fit


def _fit_logistic(X: Any, y: Any) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)


def meta_label_learner(max_iter: int = 200) -> LearnerSpec:
    """Calibrated gradient-boosted trees (``max_iter`` boosting rounds): the Engine's meta-label model."""
    return LearnerSpec(
        name="meta_label",
        fit=_meta_label_fitter(max_iter),
        predict_proba=_positive_proba,
        dumps=_dumps,
        loads=_loads,
        format="pickle",
        description="scikit-learn HistGradientBoostingClassifier with sigmoid calibration (3-fold)",
    )


def logistic_baseline() -> LearnerSpec:
    """Standardised logistic regression: the baseline every new model must beat."""
    return LearnerSpec(
        name="logistic_baseline",
        fit=_fit_logistic,
        predict_proba=_positive_proba,
        dumps=_dumps,
        loads=_loads,
        format="pickle",
        description="scikit-learn StandardScaler + LogisticRegression",
    )


@hookimpl
def huracan_register_learners(settings: Settings) -> list[LearnerSpec]:
    """The two built-in learners."""
    return [meta_label_learner(), logistic_baseline()]
