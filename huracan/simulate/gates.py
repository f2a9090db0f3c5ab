"""The six gates as the simulated Engine runs them, and its threshold auto-tuner.

Gates come from the plugin registry (``huracan.plugins.manager.get_plugins``) when it is
installed, else straight from ``gates.yaml``; either way the thresholds, directions and
pass-rate targets are the configured ones. The auto-tuner is the Engine's: when a
gate's daily pass rate stays outside its target band for ``patience`` days, it moves the
threshold to the value that would have passed the ``ideal`` share yesterday.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from huracan.analytics.snapshot import Targets

if TYPE_CHECKING:
    from huracan.config import Settings

__all__ = ["AutoTuner", "GateRule", "ThresholdProposal", "load_gate_rules"]


@dataclass
class GateRule:
    """One gate with its live (mutable) thresholds."""

    name: str
    measures: str
    direction: Literal["above", "below"]
    thresholds: dict[str, float]
    value: Callable[[Mapping[str, Any]], float]
    targets: dict[str, Targets] = field(default_factory=dict)
    unit: str = ""

    def passes(self, value: float, mode: str) -> bool:
        t = self.thresholds[mode]
        return value >= t if self.direction == "above" else value <= t


def load_gate_rules(settings: Settings | None = None) -> list[GateRule]:
    """The configured gates: the plugin registry's with ``settings``, else the packaged ``gates.yaml``."""
    if settings is not None:
        from huracan.plugins.manager import get_plugins

        specs = get_plugins(settings).gates()
        return [
            GateRule(
                name=s.name,
                measures=s.measures,
                direction=s.direction,
                thresholds=dict(s.thresholds),
                value=s.value,
                targets=dict(s.pass_rate_targets),
                unit=s.unit,
            )
            for s in specs.values()
        ]
    from huracan.plugins.gates_config import load_gates_config

    cfg = load_gates_config(settings)
    return [
        GateRule(
            name=name,
            measures=g.measures,
            direction=g.direction,
            thresholds=dict(g.thresholds),
            value=itemgetter(g.measures),
            targets=dict(g.pass_rate_targets),
            unit=g.unit,
        )
        for name, g in cfg.gates.items()
    ]


@dataclass(frozen=True)
class ThresholdProposal:
    gate: str
    mode: str
    old: float
    new: float
    reason: str


def _round(value: float, unit: str) -> float:
    step = 0.5 if unit == "bps" else 0.01
    return round(round(value / step) * step, 4)


class AutoTuner:
    """Moves a gate's threshold when its pass rate misses the target band for days on end."""

    def __init__(self, rules: list[GateRule], *, patience: int = 3, cooldown: int = 5) -> None:
        self.rules = {r.name: r for r in rules}
        self.patience = patience
        self.cooldown = cooldown
        self._rates: dict[tuple[str, str], list[tuple[int, float]]] = {}
        self._values: dict[tuple[str, str], np.ndarray] = {}
        self._changed: dict[tuple[str, str], int] = {}

    def record(self, day: int, gate: str, mode: str, values: np.ndarray, passed: np.ndarray) -> None:
        """Remember one day's gate inputs and verdicts for ``gate`` in ``mode``."""
        if len(values) == 0:
            return
        self._rates.setdefault((gate, mode), []).append((day, float(np.mean(passed))))
        self._values[(gate, mode)] = values

    def changed(self, day: int, gate: str, mode: str) -> None:
        """A threshold was changed (by anyone) on ``day``: restart the cooldown."""
        self._changed[(gate, mode)] = day

    def proposals(self, today: int) -> list[ThresholdProposal]:
        """Threshold changes to make at the start of day ``today``."""
        out = []
        for (gate, mode), history in sorted(self._rates.items()):
            rule = self.rules[gate]
            targets = rule.targets.get(mode)
            if targets is None or targets.ideal is None or mode not in rule.thresholds:
                continue
            if today - self._changed.get((gate, mode), -(10**9)) < self.cooldown:
                continue
            recent = [(d, r) for d, r in history if d >= today - self.patience]
            if len(recent) < self.patience:
                continue
            rates = [r for _, r in recent]
            low = targets.min is not None and all(r < targets.min for r in rates)
            high = targets.max is not None and all(r > targets.max for r in rates)
            if not (low or high):
                continue
            values = self._values[(gate, mode)]
            q = 1 - targets.ideal if rule.direction == "above" else targets.ideal
            old = rule.thresholds[mode]
            target = float(np.quantile(values, q))
            # At most half the threshold per change: a tuner that jumps is a tuner nobody trusts.
            limit = 0.5 * abs(old) if old else abs(target)
            new = _round(old + max(-limit, min(limit, target - old)), rule.unit)
            if new == old:
                continue
            shown = ", ".join(f"{r:.1%}" for r in rates)
            bound = f"below the {targets.min:.0%} minimum" if low else f"above the {targets.max:.0%} maximum"
            verb = "loosened" if low else "tightened"
            out.append(
                ThresholdProposal(
                    gate=gate,
                    mode=mode,
                    old=old,
                    new=new,
                    reason=(
                        f"{mode} pass rate {shown} over the last {self.patience} days, {bound}: "
                        f"{verb} to pass about {targets.ideal:.0%}"
                    ),
                )
            )
        return out
