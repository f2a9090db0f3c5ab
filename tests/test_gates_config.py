"""gates.yaml: the loader, its validation errors, threshold history, and gate evaluation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from huracan.config import ConfigError, load_config
from huracan.events import ConfigChange, Signal
from huracan.plugins.builtin.gates import decision_inputs, evaluate_gates, gate_specs
from huracan.plugins.gates_config import load_gates_config, threshold_history
from huracan.plugins.testing import events_connection, make_plugins

GOOD = """
gates:
  depth_gate:
    description: Order-book depth.
    measures: depth_usd
    unit: usd
    direction: above
    thresholds: {scalp: 50000}
    pass_rate_targets: {scalp: {min: 0.2, ideal: 0.5, max: 0.9}}
    history:
      - {date: 2025-10-01, mode: scalp, old: 40000, new: 50000, reason: too loose}
"""


def test_packaged_file_has_the_six_gates() -> None:
    cfg = load_gates_config()
    assert list(cfg.gates) == [
        "meta_label",
        "cost_gate",
        "confidence_gate",
        "regime_gate",
        "spread_gate",
        "volume_gate",
    ]
    assert cfg.gates["spread_gate"].direction == "below"
    assert cfg.gates["meta_label"].pass_rate_targets["scalp"].ideal == 0.25


def test_settings_gates_file_overrides_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(GOOD)
    settings = load_config(analytics={"gates_file": path})
    assert list(load_gates_config(settings).gates) == ["depth_gate"]
    # ...and the built-in gates plugin registers exactly what the file says.
    plugins = make_plugins(settings=settings, default_plugins=("huracan.plugins.builtin.gates",))
    assert list(plugins.gates()) == ["depth_gate"]


def test_every_problem_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(
        """
gates:
  bad_gate:
    measures: y
    direction: sideways
    thresholds: {scalp: "high"}
    treshold: 3
  worse_gate:
    description: z
    measures: z
    direction: above
    thresholds: {scalp: 1.0}
    pass_rate_targets: {runner: {min: 0.1}}
"""
    )
    with pytest.raises(ConfigError) as exc:
        load_gates_config(path=path)
    problems = "\n".join(exc.value.problems)
    assert exc.value.source == str(path)
    assert "gates.bad_gate.direction: Input should be 'above' or 'below' (got 'sideways')" in problems
    assert "gates.bad_gate.thresholds.scalp:" in problems and "remove the quotes around numbers" in problems
    assert "gates.bad_gate.treshold: unknown key" in problems
    assert "gates.bad_gate.description: required key is missing" in problems
    assert "pass_rate_targets has mode 'runner' but thresholds has no such mode" in problems


def test_targets_must_be_ordered_fractions(tmp_path: Path) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(GOOD.replace("{min: 0.2, ideal: 0.5, max: 0.9}", "{min: 0.6, ideal: 0.5, max: 0.9}"))
    with pytest.raises(ConfigError, match="need min <= ideal <= max"):
        load_gates_config(path=path)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_gates_config(path=tmp_path / "nope.yaml")


def test_threshold_history_merges_yaml_and_config_change_events(tmp_path: Path) -> None:
    cfg = load_gates_config()
    change = ConfigChange(
        ts=datetime(2025, 11, 3, 12, tzinfo=UTC), key="gates.meta_label.thresholds.scalp", old_value=0.45,
        new_value=0.43, author="engine-autotune", reason="pass rate below target", gate="meta_label", mode="scalp",
    )  # fmt: skip
    unrelated = ConfigChange(key="risk.max_positions", old_value=3, new_value=4, author="ops")
    conn = events_connection([change, unrelated])
    hist = threshold_history(cfg, conn, gate="meta_label")
    assert [(h.source, h.old, h.new) for h in hist] == [("gates.yaml", 0.50, 0.45), ("config_change", 0.45, 0.43)]
    assert hist[1].author == "engine-autotune" and hist[0].at == datetime(2025, 10, 20, tzinfo=UTC)
    assert len(threshold_history(cfg)) == 1  # without a store: the YAML alone


def test_evaluate_gates_reads_inputs_and_logs_consistent_decisions() -> None:
    gates = {g.name: g for g in gate_specs(load_gates_config())}
    s = Signal(
        signal_id="s-1", symbol="ETH-USD", mode="runner", regime="trend", side="long", price=3000.0, confidence=0.65,
        features={"net_edge_bps": 6.0, "regime_score": 0.5, "spread_bps": 3.0, "volume_ratio": 0.9},
    )  # fmt: skip
    decisions = {d.gate: d for d in evaluate_gates(gates, s, meta_prob=0.6, model_id="m" * 64)}
    assert set(decisions) == set(gates)
    assert decisions["regime_gate"].passed is False and decisions["regime_gate"].threshold == 0.55
    assert decisions["confidence_gate"].value == 0.65  # a Signal field, not a feature
    assert decisions["meta_label"].model_id == "m" * 64 and decisions["cost_gate"].model_id is None
    assert decision_inputs({"features": '{"x": 1.5}', "price": 2.0}, meta_prob=0.3) == {
        "price": 2.0,
        "x": 1.5,
        "meta_prob": 0.3,
    }


def test_a_missing_input_says_which_gate_and_what_to_fix() -> None:
    gates = {g.name: g for g in gate_specs(load_gates_config())}
    with pytest.raises(KeyError, match=r"gate cost_gate reads input 'net_edge_bps'.*fix `measures` in gates.yaml"):
        gates["cost_gate"].value({"meta_prob": 0.5})
