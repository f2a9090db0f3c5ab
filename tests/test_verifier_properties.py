"""Property tests: any snapshot number, written in any supported way *and said to be the
field it is*, is verified; any number perturbed beyond its printed precision is caught."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from council_fixtures import metric
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from huracan.analytics.format import format_value
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.council.placeholders import number_of
from huracan.council.verifier import verify

UNITS = ["fraction", "bps", "count", "usd", "ratio", "score", "seconds", "ms"]
WHICH = ["value", "low", "high", "baseline_1d", "baseline_7d", "delta_1d", "delta_7d", "pct_1d", "n"]


@st.composite
def metrics(draw: st.DrawFn) -> MetricValue:
    unit = draw(st.sampled_from(UNITS))
    if unit == "fraction":
        value = draw(st.floats(0.01, 0.99))
    elif unit == "count":
        value = float(draw(st.integers(0, 5_000_000)))
    else:
        value = draw(st.floats(-50_000, 50_000).filter(lambda v: abs(v) > 1e-3))
    precision = 0 if unit == "count" else draw(st.integers(0, 4))
    prev = value * draw(st.floats(0.5, 1.5)) + draw(st.floats(-1, 1))
    mean7 = value * draw(st.floats(0.5, 1.5))
    if unit == "fraction":
        prev, mean7 = min(max(prev, 0.001), 0.999), min(max(mean7, 0.001), 0.999)
    width = abs(value) * draw(st.floats(0.01, 0.2)) + 0.001
    return metric(
        "m.part", "Metric under test", "test", unit, value, precision,
        prev=prev if prev else None, mean7=mean7 if mean7 else None,
        n=draw(st.integers(1, 2_000_000)), interval=(value - width, value + width),
    )  # fmt: skip


def snap(m: MetricValue) -> MetricsSnapshot:
    return MetricsSnapshot(date=date(2025, 11, 6), generated_at=datetime(2025, 11, 7, tzinfo=UTC), metrics={m.id: m})


def alternatives(m: MetricValue, which: str) -> list[str]:
    """The other ways a careful writer may print the same number."""
    shown = format_value(m, which)  # type: ignore[arg-type]
    raw = number_of(m, which)
    assert raw is not None
    out = [shown, shown.replace("-", "−"), shown.replace(" %", "%"), shown.replace(" bps", "bps")]
    delta = which.startswith("delta")
    p = m.precision
    if m.unit == "fraction" and not which.startswith("pct") and which != "n":
        out.append(f"{raw:{'+' if delta else ''}.{p + 2}f}")  # the fraction itself
        if delta:
            out.append(f"{raw * 1e4:+.{p}f} bps")  # a change of a rate in bps
    if m.unit == "seconds" and which not in ("n", "pct_1d"):
        out.append(f"{raw * 1000:{'+' if delta else ''}.{p}f} ms")
    if m.unit == "ms" and which not in ("n", "pct_1d"):
        out.append(f"{raw / 1000:{'+' if delta else ''}.{p + 3}f} s")
    if m.unit in ("count", "usd") and abs(raw) >= 10_000 and which not in ("pct_1d",):
        sign = "-" if raw < 0 else ("+" if delta else "")
        cur = "$" if m.unit == "usd" and which != "n" else ""
        out.append(f"{sign}{cur}{abs(raw) / 1000:.1f}k")
    return out


#: How a careful writer says which field a number is.
SAID = {
    "value": "Metric under test was {} today.",
    "low": "Metric under test: interval low end {}.",
    "high": "Metric under test: interval high end {}.",
    "baseline_1d": "Metric under test was {} yesterday.",
    "baseline_7d": "Metric under test: 7-day mean of {}.",
    "delta_1d": "Metric under test changed by {} vs yesterday.",
    "delta_7d": "Metric under test changed by {} vs the 7-day mean.",
    "pct_1d": "Metric under test changed by {} vs yesterday.",
    "n": "Metric under test rests on {} observations.",
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(metrics(), st.sampled_from(WHICH), st.data())
def test_any_snapshot_value_in_any_format_is_verified(m: MetricValue, which: str, data: Any) -> None:
    assume(number_of(m, which) is not None)
    written = data.draw(st.sampled_from(alternatives(m, which)))
    report = verify(SAID[which].format(written), snap(m))
    assert report.numbers, f"nothing extracted from {written!r}"
    assert report.ok, f"{written!r} ({which} of {m.unit} {number_of(m, which)!r}) was not verified: {report.numbers}"


def _all_displays(m: MetricValue) -> list[float]:
    vals = [number_of(m, w) for w in (*WHICH, "delta_7d", "pct_7d")]
    return [abs(v) * s for v in vals if v is not None for s in (1, 100, 1e4, 1e3, 1e-3, 1e-2)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    metrics(), st.sampled_from(["value", "low", "high", "baseline_1d", "delta_1d"]), st.integers(2, 40), st.booleans()
)
def test_a_value_perturbed_beyond_tolerance_is_caught(m: MetricValue, which: str, steps: int, up: bool) -> None:
    raw = number_of(m, which)
    assume(raw is not None)
    assert raw is not None
    shown = format_value(m, which)  # type: ignore[arg-type]
    scale = 100 if m.unit == "fraction" else 1
    unit_step = 10.0**-m.precision
    fake = raw * scale + (1 if up else -1) * steps * unit_step
    tol = 0.5 * unit_step
    # Independently of the matcher: the fake must be far from every number the metric holds.
    assume(all(abs(abs(fake) - d) > 2 * tol for d in _all_displays(m)))
    from huracan.analytics.format import format_number

    printed = format_number(fake / scale, m.unit, m.precision, signed=which.startswith("delta"),
                            delta=which.startswith("delta"))  # fmt: skip
    assume(printed != shown)
    report = verify(SAID[which].format(printed), snap(m))
    assert report.unverified, f"{printed!r} passed as {report.numbers} though the truth is {shown!r}"
