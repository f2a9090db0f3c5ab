"""A gate registered by a plugin gets the per-gate metric families like the built-ins."""

from __future__ import annotations

from typing import Any

from huracan.plugins import hookimpl
from huracan.plugins.types import GateSpec


class DepthGate:
    @hookimpl
    def huracan_register_gates(self, settings: Any) -> list[GateSpec]:
        return [
            GateSpec(
                name="depth_test_gate",
                description="order-book depth",
                measures="depth_usd",
                direction="above",
                thresholds={"scalp": 1.0, "runner": 1.0},
                value=lambda inputs: float(inputs["depth_usd"]),
            )
        ]


def test_plugin_gate_has_pass_rate_accuracy_and_blocked_pnl_metrics(huracan_plugins: Any) -> None:
    metrics = huracan_plugins(DepthGate()).metrics()  # metrics() first: gates must still be known
    for family in ("gate_pass_rate", "gate_accuracy", "gate_blocked_pnl_bps"):
        assert f"{family}.depth_test_gate" in metrics, family
    assert "gate_pass_rate.depth_test_gate.scalp" in metrics
