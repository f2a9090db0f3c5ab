"""The six built-in gates, defined by ``gates.yaml`` and registered through ``huracan_register_gates``.

A gate reads one *input* of a decision (see :func:`decision_inputs`): the signal's
fields, its ``features`` and the meta-label model's ``meta_prob``. :func:`evaluate_gates`
turns a signal into the ``gate_decision`` events the Engine logs — the simulator and
tests use it so that every gate is evaluated the one way.

Example::

    >>> from huracan.events import Signal
    >>> gates = {g.name: g for g in gate_specs(load_gates_config())}
    >>> s = Signal(signal_id="s-1", symbol="ETH-USD", mode="scalp", regime="trend", side="long",
    ...            price=3120.5, confidence=0.71,
    ...            features={"net_edge_bps": 4.0, "regime_score": 0.6, "spread_bps": 2.0, "volume_ratio": 1.1})
    >>> [(d.gate, d.passed) for d in evaluate_gates(gates, s, meta_prob=0.42)][:2]
    [('meta_label', False), ('cost_gate', True)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from huracan.config import Settings
from huracan.events import GateDecision, Signal
from huracan.plugins.gates_config import GatesConfig, load_gates_config
from huracan.plugins.hookspecs import hookimpl
from huracan.plugins.types import GateSpec

__all__ = ["InputReader", "decision_inputs", "evaluate_gates", "gate_specs", "huracan_register_gates"]


@dataclass(frozen=True)
class InputReader:
    """``GateSpec.value`` for a config-defined gate: read ``measures`` from the inputs."""

    gate: str
    measures: str

    def __call__(self, inputs: Mapping[str, Any]) -> float:
        try:
            raw = inputs[self.measures]
        except KeyError:
            have = ", ".join(sorted(inputs)) or "nothing"
            raise KeyError(
                f"gate {self.gate} reads input {self.measures!r} but this decision has no such input "
                f"(have: {have}); log it in the signal's features or fix `measures` in gates.yaml"
            ) from None
        if raw is None or isinstance(raw, bool):
            raise ValueError(f"gate {self.gate}: input {self.measures!r} is {raw!r}, not a number")
        return float(raw)


def gate_specs(config: GatesConfig) -> list[GateSpec]:
    """One :class:`GateSpec` per gate in ``config``, in file order."""
    return [
        GateSpec(
            name=name,
            description=g.description,
            measures=g.measures,
            direction=g.direction,
            thresholds=dict(g.thresholds),
            value=InputReader(name, g.measures),
            pass_rate_targets=dict(g.pass_rate_targets),
            unit=g.unit,
            phrase=g.phrase,
        )
        for name, g in config.gates.items()
    ]


def decision_inputs(signal: Signal | Mapping[str, Any], meta_prob: float | None = None) -> dict[str, Any]:
    """The inputs a gate may read: the signal's scalar fields, its features and ``meta_prob``.

    Features win over signal fields of the same name (they are the Engine's measured values).
    """
    data = signal.model_dump() if isinstance(signal, Signal) else dict(signal)
    features = data.pop("features", None) or {}
    if isinstance(features, str):  # a v_signal row holds features as JSON text
        import json

        features = json.loads(features)
    inputs = {k: v for k, v in data.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    inputs.update(features)
    if meta_prob is not None:
        inputs["meta_prob"] = float(meta_prob)
    return inputs


def evaluate_gates(
    gates: Mapping[str, GateSpec],
    signal: Signal,
    meta_prob: float | None = None,
    *,
    model_id: str | None = None,
) -> list[GateDecision]:
    """Evaluate every gate that has a threshold for the signal's mode; one ``GateDecision`` each."""
    inputs = decision_inputs(signal, meta_prob)
    out = []
    for spec in gates.values():
        if signal.mode not in spec.thresholds:
            continue
        value = spec.value(inputs)
        out.append(
            GateDecision(
                ts=signal.ts,
                signal_id=signal.signal_id,
                gate=spec.name,
                mode=signal.mode,
                passed=spec.passes(value, signal.mode),
                value=value,
                threshold=spec.threshold(signal.mode),
                direction=spec.direction,
                model_id=model_id if spec.measures == "meta_prob" else None,
            )
        )
    return out


@hookimpl
def huracan_register_gates(settings: Settings) -> list[GateSpec]:
    """The gates of ``gates.yaml`` (``analytics.gates_file`` or the packaged default)."""
    return gate_specs(load_gates_config(settings))
