"""The canary: every run plants three false sentences where a lazy verifier would pass them.

* a **near miss** — a metric's value moved just beyond its printed rounding ("AUC was
  0.701" when it is 0.699);
* a **wrong metric** — the true value of metric Y stated as metric X, Y picked as close
  to X as the snapshot allows ("The live win rate was 60.5 %", 60.5 % being the shadow
  win rate);
* a **wrong direction** — a change word the snapshot contradicts ("fell" about a rise,
  "jumped" about a change that is not significant).

Each is false by plain arithmetic here, independently of the verifier's matcher. Each
must be caught — its sentence flagged for removal with the right kind of failure — or
the run raises a critical alert: a verifier that misses one would let that lie through.
"""

from __future__ import annotations

import random

from huracan.analytics.format import format_number, format_value
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.council.matching import ALL_FIELDS, raw_of
from huracan.council.schema import CanaryCase, CanaryResult
from huracan.council.verifier import verify

__all__ = ["plant_canaries", "run_canary"]


def _scale(m: MetricValue) -> float:
    return 100.0 if m.unit == "fraction" else 1.0


def _far_from(m: MetricValue, display: float, tol: float) -> bool:
    """``display`` (in ``m``'s display unit) is more than twice its rounding from every field of ``m``."""
    for which in ALL_FIELDS:
        raw = raw_of(m, which)
        if raw is None:
            continue
        for s in (_scale(m), 1.0, 100.0, 1e4, 0.01, 1000.0, 0.001):
            if abs(abs(display) - abs(raw * s)) <= 2 * tol:
                return False
    return True


def _numeric(snapshot: MetricsSnapshot) -> list[MetricValue]:
    return [m for m in snapshot.metrics.values() if m.value is not None and m.unit != "bool" and m.value != 0]


def _near_miss(snapshot: MetricsSnapshot, rng: random.Random) -> str | None:
    metrics = _numeric(snapshot)
    rng.shuffle(metrics)
    for m in metrics:
        step = 10.0**-m.precision
        shown = round((m.value or 0.0) * _scale(m), m.precision)
        for k in rng.sample([2, -2, 3, -3], 4):
            fake = shown + k * step
            if (m.value or 0) > 0 and fake <= 0:
                continue
            said = format_number(fake / _scale(m), m.unit, m.precision)
            # a lie only if it prints differently (a duration may print in coarser minutes)
            if _far_from(m, fake, 0.5 * step) and said != format_value(m):
                return f"{m.name} was {said}."
    return None


def _wrong_metric(snapshot: MetricsSnapshot, rng: random.Random) -> str | None:
    metrics = _numeric(snapshot)
    rng.shuffle(metrics)
    for x in metrics:
        # The hardest lie: the other metric of the same unit whose value is nearest X's.
        same = [y for y in metrics if y.id != x.id and y.unit == x.unit]
        same.sort(key=lambda y: abs((y.value or 0) - (x.value or 0)))
        for y in same[:8]:
            disp = (y.value or 0.0) * _scale(y)
            if _far_from(x, round(disp, y.precision), 0.5 * 10.0**-y.precision):
                return f"{x.name} was {format_value(y)}."
    return None


def _wrong_direction(snapshot: MetricsSnapshot, rng: random.Random) -> str | None:
    metrics = [m for m in _numeric(snapshot) if m.vs_prev_day is not None and m.vs_prev_day.direction]
    rng.shuffle(metrics)
    for m in metrics:
        c = m.vs_prev_day
        assert c is not None
        if c.significant is True and c.direction in ("up", "down"):
            word = "fell" if c.direction == "up" else "rose"
        elif c.significant is False:
            word = rng.choice(["jumped", "surged"]) if c.direction != "down" else rng.choice(["plunged", "collapsed"])
        elif c.direction in ("up", "down"):
            word = "fell" if c.direction == "up" else "rose"
        else:
            continue
        return f"{m.name} {word} sharply vs yesterday."
    return None


def plant_canaries(text: str, snapshot: MetricsSnapshot, rng: random.Random) -> tuple[str, list[tuple[str, int, str]]]:
    """(text with the false sentences inserted, [(kind, start, sentence)])."""
    planted = text.rstrip()
    cases: list[tuple[str, int, str]] = []
    for kind, make in (
        ("near_miss", _near_miss),
        ("wrong_metric", _wrong_metric),
        ("wrong_direction", _wrong_direction),
    ):
        sentence = make(snapshot, rng)
        if sentence is None:
            continue
        # A paragraph of its own, at the end: a sentence is the unit that gets removed.
        planted += "\n\n"
        cases.append((kind, len(planted), sentence))
        planted += sentence
    return planted, cases


def run_canary(text: str, snapshot: MetricsSnapshot, rng: random.Random) -> CanaryResult:
    """Plant the three false sentences in a copy of ``text``; each must fail verification."""
    planted, cases = plant_canaries(text, snapshot, rng)
    if not cases:
        return CanaryResult(planted="", caught=True, detail="the snapshot has no metric to plant a canary for")
    report = verify(planted, snapshot)
    failing = report.failing_units()
    out = []
    for kind, start, sentence in cases:
        end = start + len(sentence)
        caught_units = [u for u in failing if u.start < end and start < u.end]
        nums = [n for n in report.numbers if start <= n.start < end]
        dirs = [d for d in report.directions if start <= d.start < end]
        if kind == "wrong_direction":
            caught = any(d.failure == "wrong_direction" for d in dirs)
        else:
            caught = any(n.failure is not None for n in nums)
        caught = caught and bool(caught_units)
        seen = nums[0] if nums else None
        if caught:
            detail = "caught"
        elif kind == "wrong_direction":
            detail = (
                "the verifier accepted the direction word" if dirs else "the verifier did not see the direction word"
            )
        elif seen is None:
            detail = "the verifier did not extract the number"
        else:
            detail = f"the verifier matched it to {seen.metric_id}.{seen.field}"
        out.append(CanaryCase(kind=kind, sentence=sentence, caught=caught, detail=detail))  # type: ignore[arg-type]
    missed = [c.kind for c in out if not c.caught]
    return CanaryResult(
        planted=" | ".join(c.sentence for c in out),
        caught=not missed,
        detail="all three caught" if not missed else f"missed: {', '.join(missed)}",
        cases=out,
    )
