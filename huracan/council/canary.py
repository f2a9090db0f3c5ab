"""The canary: every run plants one false number and checks the verifier catches it.

The false number is a real metric's name with a value far from *every* snapshot number
in every unit conversion — decided by plain arithmetic here, independently of the
verifier's matcher — written the way the renderer writes that metric. A miss means
the verifier would have let a hallucinated number through: a critical alert.
"""

from __future__ import annotations

import random

from huracan.analytics.format import format_number
from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.schema import CanaryResult
from huracan.council.verifier import verify

__all__ = ["plant_canary", "run_canary"]

_SCALES = (1.0, 100.0, 1e4, 1e3, 1e-2, 1e-3)


def _far(display: float, numbers: list[float], tolerance: float) -> bool:
    # Far = more than twice the printed rounding from every snapshot number in every scale.
    return all(abs(abs(display) - abs(x * s)) > 2 * tolerance + 0.01 * abs(display) for x in numbers for s in _SCALES)


def plant_canary(text: str, snapshot: MetricsSnapshot, rng: random.Random) -> tuple[str, int, int, str]:
    """(text with a false sentence inserted, span start, span end, the planted number)."""
    metrics = [m for m in snapshot.metrics.values() if m.value is not None and m.unit != "bool"]
    if not metrics:
        raise ValueError("the snapshot has no numeric metric to plant a canary for")
    numbers = [
        float(v)
        for m in snapshot.metrics.values()
        for v in (
            m.value, m.n,
            *(c.baseline for c in (m.vs_prev_day, m.vs_7d_mean) if c),
            *(c.delta for c in (m.vs_prev_day, m.vs_7d_mean) if c),
            *(c.pct_change for c in (m.vs_prev_day, m.vs_7d_mean) if c),
            *((m.interval.low, m.interval.high) if m.interval else ()),
            *((m.targets.min, m.targets.ideal, m.targets.max) if m.targets else ()),
        )
        if v is not None
    ]  # fmt: skip
    for _ in range(500):
        m = rng.choice(metrics)
        base = abs(m.value or 0.0) or 1.0
        fake = base * rng.uniform(1.7, 9.0)
        shown = format_number(fake, m.unit, m.precision)
        display = fake * 100 if m.unit == "fraction" else fake
        tol = 0.5 * 10.0**-m.precision
        if _far(display, numbers, tol):
            break
    else:  # pragma: no cover - 500 draws all near a snapshot number is not a real snapshot
        raise RuntimeError("could not find a canary value far from every snapshot number")
    sentence = f" {m.name} stood at {shown}."
    # Insert after a sentence end picked by the seeded RNG (or at the end).
    ends = [i + 1 for i, ch in enumerate(text) if ch == "." and (i + 1 == len(text) or text[i + 1] in " \n")]
    at = rng.choice(ends) if ends else len(text)
    planted = text[:at] + sentence + text[at:]
    start = at + sentence.index(shown)
    return planted, start, start + len(shown), shown


def run_canary(text: str, snapshot: MetricsSnapshot, rng: random.Random) -> CanaryResult:
    """Plant a false number in a copy of ``text`` and check the verifier flags it."""
    planted, start, end, shown = plant_canary(text, snapshot, rng)
    report = verify(planted, snapshot)
    caught = any(n.start < end and start < n.end for n in report.unverified)
    hit = next((n for n in report.numbers if n.start < end and start < n.end), None)
    if caught:
        detail = "the verifier flagged the planted number"
    elif hit is None:
        detail = "the verifier did not extract the planted number"
    else:
        detail = f"the verifier matched the planted number to {hit.metric_id}.{hit.field}"
    return CanaryResult(planted=shown, caught=caught, detail=detail)
