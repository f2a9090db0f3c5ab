"""`huracan plugins list` and the built-in learner adapters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from huracan.plugins import hookimpl
from huracan.plugins.builtin.learners import (
    ModelIntegrityError,
    load_verified,
    logistic_baseline,
    meta_label_learner,
    model_sha256,
)
from huracan.plugins.testing import FakeDistribution, FakeEntryPoint, fake_entry_points
from huracan.plugins.types import GateSpec


class LiquidityPlugin:
    @hookimpl
    def huracan_register_gates(self, settings: Any) -> list[GateSpec]:
        return [
            GateSpec(
                name="cli_liquidity_gate", description="depth", measures="depth_usd", direction="above",
                thresholds={"scalp": 1e5}, value=lambda i: float(i["depth_usd"]),
            )
        ]  # fmt: skip


def _cli(data_dir: Path, *args: str) -> Any:
    from huracan.cli import app

    cfg = data_dir / "huracan.yaml"
    # Only the built-ins this room owns, so the test does not depend on other rooms' progress.
    cfg.write_text("plugins:\n  disabled: [huracan.plugins.builtin.metrics, huracan.plugins.builtin.notifiers]\n")
    return CliRunner().invoke(app, ["--config", str(cfg), "--data-dir", str(data_dir), *args])


def test_plugins_list_json_shows_builtins_and_entry_points(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    fake_entry_points(monkeypatch, FakeDistribution("acme", "2.0.0", [FakeEntryPoint("acme", LiquidityPlugin())]))
    res = _cli(data_dir, "plugins", "list", "--json")
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["acme"]["origin"] == "entry point" and rows["acme"]["version"] == "2.0.0"
    assert rows["acme"]["gates"] == ["cli_liquidity_gate"]
    gates = rows["huracan.plugins.builtin.gates"]
    assert gates["origin"] == "builtin" and "meta_label" in gates["gates"]
    assert rows["huracan.plugins.builtin.learners"]["learners"] == ["meta_label", "logistic_baseline"]
    for r in rows.values():
        assert {"name", "origin", "version", "gates", "metrics", "learners", "notifiers", "error"} <= set(r)


def test_plugins_list_table_exits_1_when_a_plugin_is_broken(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    fake_entry_points(monkeypatch, FakeDistribution("bad", "0.1", [FakeEntryPoint("bad", ImportError("boom"))]))
    res = _cli(data_dir, "plugins", "list")
    assert res.exit_code == 1
    assert "disabled" in res.stdout and "boom" in res.stdout


def test_plugin_error_is_a_clean_message_and_exit_2(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    class Typo:
        @hookimpl
        def huracan_register_gatez(self, settings: Any) -> list[Any]:
            return []

    fake_entry_points(monkeypatch, FakeDistribution("typo", "0.1", [FakeEntryPoint("typo", Typo())]))
    res = _cli(data_dir, "plugins", "list")
    assert res.exit_code == 2
    assert "unknown hook 'huracan_register_gatez'" in res.output and "Traceback" not in res.output


# -- learners ------------------------------------------------------------------------------


def _data(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


@pytest.mark.parametrize(
    "spec",
    [
        # 20 boosting rounds: the default's code path at a tenth of the cost; OpenMP trees are
        # still slow on a contended 2-core box.
        pytest.param(meta_label_learner(max_iter=20), id="meta_label", marks=pytest.mark.slow),
        pytest.param(logistic_baseline(), id="logistic_baseline"),
    ],
)
def test_learner_fits_predicts_and_round_trips(spec: Any) -> None:
    from threadpoolctl import threadpool_limits

    X, y = _data()
    # One OpenMP thread: on a shared 2-core CI box, spinning worker threads cost more than they give.
    with threadpool_limits(1):
        model = spec.fit(X, y)
    p = spec.predict_proba(model, X)
    assert p.shape == (len(y),) and ((p >= 0) & (p <= 1)).all()
    assert ((p > 0.5) == y).mean() > 0.75  # it learned the signal in feature 0
    blob = spec.dumps(model)
    again = load_verified(spec, blob, model_sha256(blob))
    assert np.allclose(spec.predict_proba(again, X), p)


def test_tampered_model_bytes_are_never_unpickled(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = logistic_baseline()
    X, y = _data(100)
    blob = spec.dumps(spec.fit(X, y))
    expected = model_sha256(blob)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    import huracan.plugins.builtin.learners as learners

    def explode(_: bytes) -> Any:
        raise AssertionError("pickle.loads reached with unverified bytes")

    monkeypatch.setattr(learners.pickle, "loads", explode)
    with pytest.raises(ModelIntegrityError, match="refusing to load a logistic_baseline model"):
        load_verified(spec, tampered, expected)


def test_predict_proba_needs_a_positive_class() -> None:
    class OneClass:
        classes_ = [0]

        def predict_proba(self, X: Any) -> np.ndarray:
            return np.ones((len(X), 1))

    with pytest.raises(ValueError, match="trained without a positive class"):
        logistic_baseline().predict_proba(OneClass(), np.zeros((2, 3)))
