"""Statistics that know their n (#12): exact tests, minimum samples, zero findings, closed days.

Checked three ways: the exact tests against SciPy over random small samples; the status
rules as properties; and every day of the sparse real-calendar fixture and of simulated
data, where no critical, warning, zero or significant may rest on fewer than its minimum.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from sparse_calendar import END, HOLIDAYS, Sparse, build

from huracan.analytics.calendar import classify
from huracan.analytics.comparisons import Observation, compare
from huracan.analytics.metric_status import evaluate_status
from huracan.analytics.metrics import compute_snapshot
from huracan.analytics.snapshot import MetricsSnapshot
from huracan.analytics.stats import binomial_test, fisher_exact, poisson_rate_test, two_proportion_test
from huracan.config import Settings, load_config
from huracan.plugins.builtin.metrics.catalog import DEFAULT_MIN_N, CatalogError, load_catalog
from huracan.plugins.manager import get_plugins
from huracan.plugins.types import MetricResult, MetricSpec
from huracan.store import Store
from huracan.testing import simulated_data_dir

BUILTIN = ("huracan.plugins.builtin.metrics",)


# -- exact tests ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 60), data=st.data(), p=st.floats(0.02, 0.98))
def test_binomial_test_is_scipys(n: int, data: st.DataObject, p: float) -> None:
    k = data.draw(st.integers(0, n))
    ours = binomial_test(k, n, p)
    assert ours is not None
    assert ours.p_value == pytest.approx(sps.binomtest(k, n, p).pvalue, rel=1e-6, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(n1=st.integers(1, 40), n0=st.integers(1, 40), data=st.data())
def test_fisher_exact_is_scipys(n1: int, n0: int, data: st.DataObject) -> None:
    x1, x0 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n0))
    ours = fisher_exact(x1, n1, x0, n0)
    if x1 + x0 in (0, n1 + n0):
        assert ours is None  # no variance: nothing can be said
        return
    assert ours is not None
    expected = sps.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]]).pvalue
    assert ours.p_value == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_small_counts_are_not_significant_the_normal_approximation_said_they_were() -> None:
    # The "down 4 to 0 vs yesterday (n = 0, significant)": exact p = 0.125.
    res = poisson_rate_test(0, 1, 4, 1)
    assert res is not None and not res.significant and res.p_value == pytest.approx(0.125)
    # 3 of 4 against 0 of 4: the z-test said p = 0.014; Fisher says 0.14.
    res2 = two_proportion_test(3, 4, 0, 4)
    assert res2 is not None and not res2.significant and res2.p_value == pytest.approx(0.142857, rel=1e-4)
    # Large samples keep the normal approximation, and a real change stays significant.
    big = poisson_rate_test(1000, 1, 7 * 800, 7)
    assert big is not None and big.significant


def test_a_comparison_below_the_minimum_n_is_never_significant() -> None:
    today = Observation(0.9, n=12, successes=11)
    week = [Observation(0.3, n=40, successes=12) for _ in range(7)]
    c = compare(today, week, "fraction", 1, min_n=30)
    assert c is not None and c.delta == pytest.approx(0.6) and c.significant is None
    # Rates pool the week: small days add up to a judgeable baseline, today must stand alone.
    today_ok = Observation(0.9, n=40, successes=36)
    small_days = [Observation(0.3, n=10, successes=3) for _ in range(7)]
    c2 = compare(today_ok, small_days, "fraction", 1, min_n=30)
    assert c2 is not None and c2.significant is True
    # Interval-based comparisons need every day above the minimum.
    auc_today = Observation(0.8, n=400, interval=(0.75, 0.85, "bootstrap"))
    auc_tiny = [Observation(0.2, n=3, interval=(0.0, 1.0, "bootstrap"))]
    c3 = compare(auc_today, auc_tiny, "score", 3, min_n=50)
    assert c3 is not None and c3.significant is None


# -- the status rules --------------------------------------------------------------------------


def _spec(**kw: Any) -> MetricSpec:
    base: dict[str, Any] = dict(
        id="m", name="M", category="test", unit="score", formula="", compute=lambda ctx: None, precision=3
    )
    return MetricSpec(**{**base, **kw})


@settings(max_examples=200, deadline=None)
@given(
    value=st.floats(-10, 10, allow_nan=False),
    n=st.integers(0, 500),
    min_n=st.integers(0, 500),
    rule=st.sampled_from(["value < 0.5", "value > -1", "abs(value) >= 0", "n >= 0"]),
)
def test_nothing_is_judged_below_the_minimum(value: float, n: int, min_n: int, rule: str) -> None:
    spec = _spec(alerts={"critical": rule}, kind="discrimination", min_n=min_n)
    status, reason, fired = evaluate_status(spec, {"value": value, "n": n})
    if n < min_n:
        assert status == "insufficient_data" and fired == []
        assert reason.startswith("no " if n == 0 else f"only {n:,} prediction") and f"at least {min_n:,}" in reason
    else:
        assert status in ("ok", "critical")


def test_zero_is_a_finding_not_green_and_not_on_a_closed_day() -> None:
    spec = _spec(unit="count", on_zero="finding", alerts={"critical": "value == 0"}, kind="count", min_n=0)
    assert evaluate_status(spec, {"value": 0, "n": 0})[0] == "zero"
    status, reason, fired = evaluate_status(spec, {"value": 0, "n": 0, "baseline_7d": 42.0})
    assert (status, reason) == ("zero", "0 on a trading day; the 7-day mean is 42.0")
    assert [f[1] for f in fired] == [""]  # one zero alert, the rule's critical is not also raised
    closed = evaluate_status(spec, {"value": 0, "n": 0}, trading=False, closed_reason="no data: Saturday")
    assert closed == ("no_data", "no data: Saturday", [])
    rate = _spec(unit="fraction", on_zero="finding", kind="rate", min_n=30)
    assert evaluate_status(rate, {"value": 0.0, "n": 12})[0] == "insufficient_data"
    assert evaluate_status(rate, {"value": 0.0, "n": 640})[1] == "0 % on a trading day (0 of 640)"


def test_calendar_auto_weekdays_always_and_holidays() -> None:
    cfg = load_config()
    weekdays = {date(2018, 1, 1) + timedelta(days=k): 30 for k in range(40) if (k % 7) < 5}
    saturday, monday = date(2018, 2, 10), date(2018, 2, 12)
    assert not classify(saturday, weekdays, cfg).trading
    assert "market closed" in classify(saturday, weekdays, cfg).reason
    quiet_monday = classify(monday, {d: n for d, n in weekdays.items() if d < monday}, cfg)
    assert not quiet_monday.trading and "a holiday" in quiet_monday.reason and "or an outage" in quiet_monday.reason
    assert classify(monday, {monday: 1}, cfg).trading  # any Engine event makes a trading day
    cfg.analytics.trading_calendar = "weekdays"
    assert classify(monday, {}, cfg).trading and not classify(saturday, {}, cfg).trading
    cfg.analytics.trading_calendar = "always"
    assert classify(saturday, {}, cfg).trading
    cfg.analytics.holidays = [saturday]
    assert not classify(saturday, {}, cfg).trading


def test_metrics_yaml_declares_the_minimums(tmp_path: Path) -> None:
    cat = load_catalog()
    assert cat.min_n == {**DEFAULT_MIN_N}
    assert cat.metrics["model_auc"].kind == "discrimination" and cat.metrics["model_ece"].kind == "calibration"
    assert cat.metrics["signals_passed"].on_zero == "finding"
    bad = tmp_path / "m.yaml"
    bad.write_text("min_n: {rate: -1}\nmetrics:\n  x: {category: a, name: X, unit: count, formula: f}\n")
    cfg = load_config()
    cfg.analytics.metrics_file = bad
    with pytest.raises(CatalogError, match=r"min_n\.rate"):
        load_catalog(cfg)
    bad.write_text("metrics:\n  x: {category: a, name: X, unit: count, formula: f, kind: weird}\n")
    with pytest.raises(CatalogError, match="kind 'weird'"):
        load_catalog(cfg)


def test_a_plugin_metric_without_a_kind_is_judged_at_any_n(tmp_path: Path) -> None:
    from tests.test_metrics_alerts import events_connection

    spec = _spec(unit="bps", alerts={"warning": "value < 0"}, compute=lambda ctx: MetricResult(-3.0, "SELECT 1", 1))
    snap = compute_snapshot(events_connection([]), date(2025, 11, 6), {"m": spec}, load_config())
    assert snap.metrics["m"].status == "warning" and snap.metrics["m"].min_n == 0


# -- every day of real-calendar and simulated data -------------------------------------------


def _check_day(snap: MetricsSnapshot) -> list[str]:
    """What must never happen on any day: a judgement resting on too little data."""
    bad = []
    for m in snap.metrics.values():
        low = m.min_n > 0 and (m.n is None or m.n < m.min_n)
        if low and m.status in ("critical", "warning", "zero", "ok"):
            bad.append(f"{snap.date} {m.id} {m.status} on n={m.n} < {m.min_n}")
        for c in (m.vs_prev_day, m.vs_7d_mean):
            if low and c is not None and c.significant is not None:
                bad.append(f"{snap.date} {m.id} significance judged on n={m.n} < {m.min_n}")
    return bad


@pytest.fixture(scope="module")
def sparse() -> Sparse:
    return build()


@pytest.fixture(scope="module")
def sparse_store(tmp_path_factory: pytest.TempPathFactory, sparse: Sparse) -> Iterator[tuple[Any, Settings]]:
    cfg = load_config(data_dir=tmp_path_factory.mktemp("sparse") / "data")
    with Store.open(cfg) as store:
        store.write_events(sparse.events)
        yield store, cfg


def test_sparse_calendar_days_are_judged_on_their_n(sparse_store: tuple[Any, Settings], sparse: Sparse) -> None:
    store, cfg = sparse_store
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    start = date(2017, 12, 18)  # three weeks over Christmas and New Year
    problems: list[str] = []
    seen: dict[str, int] = {"closed": 0, "zero_pass": 0, "tiny_eval": 0}
    for k in range(22):
        d = start + timedelta(days=k)
        snap = compute_snapshot(store, d, plugins, cfg)
        problems += _check_day(snap)
        statuses = {m.status for m in snap.metrics.values()}
        if d.weekday() >= 5 or d in HOLIDAYS:
            # Weekends and holidays without bars: no data, never critical.
            seen["closed"] += 1
            assert snap.calendar is not None and not snap.calendar.trading, d
            assert statuses <= {"no_data", "insufficient_data", "ok", "warning"}, (d, statuses)
            assert snap.metrics["signals"].status == "no_data"
            assert snap.metrics["events_total.engine"].status == "no_data"
        if d in sparse.zero_pass_days:
            seen["zero_pass"] += 1
            assert snap.metrics["signals_passed"].status == "zero", d
            assert snap.metrics["signals_passed"].status_reason.startswith("0 on a trading day")
        if sparse.eval_size.get(d, 999) < 50:
            seen["tiny_eval"] += 1
            auc = snap.metrics["model_auc"]
            if auc.value is not None:
                assert auc.status == "insufficient_data" and auc.n == sparse.eval_size[d]
            assert snap.metrics["model_ece"].status in ("insufficient_data", "no_data")
            assert snap.readiness is None or not snap.readiness.ready
    assert problems == []
    assert seen["closed"] >= 8 and seen["zero_pass"] >= 2 and seen["tiny_eval"] >= 5, seen


def test_single_prediction_day_says_why(sparse_store: tuple[Any, Settings], sparse: Sparse) -> None:
    store, cfg = sparse_store
    day = next(d for d, n in sparse.eval_size.items() if n == 1)
    snap = compute_snapshot(store, day, get_plugins(cfg, entry_points=False, default_plugins=BUILTIN), cfg)
    ece = snap.metrics["model_ece"]
    assert ece.status == "insufficient_data" and ece.n == 1
    assert ece.status_reason == "only 1 prediction: at least 100 are needed to judge it"
    assert not [a for a in snap.alerts if a["metric_id"] in ("model_ece", "model_auc")]


def test_a_holiday_listed_in_settings_and_an_unlisted_quiet_weekday_are_both_no_data(
    sparse_store: tuple[Any, Settings],
) -> None:
    store, cfg = sparse_store
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    xmas = compute_snapshot(store, date(2017, 12, 25), plugins, cfg)
    assert xmas.calendar is not None and "usually trades" in xmas.calendar.reason
    assert not [m.id for m in xmas.metrics.values() if m.status == "critical"]
    listed = cfg.model_copy(deep=True)
    listed.analytics.holidays = [date(2017, 12, 25)]
    xmas2 = compute_snapshot(store, date(2017, 12, 25), plugins, listed)
    assert xmas2.calendar is not None and "is a holiday (analytics.holidays)" in xmas2.calendar.reason
    # An explicit weekday calendar makes a silent weekday an outage again.
    strict = cfg.model_copy(deep=True)
    strict.analytics.trading_calendar = "weekdays"
    out = compute_snapshot(store, date(2017, 12, 25), plugins, strict)
    assert out.metrics["events_total.engine"].status == "critical"


def test_mondays_compare_with_friday_not_the_empty_weekend(sparse_store: tuple[Any, Settings]) -> None:
    store, cfg = sparse_store
    monday = END - timedelta(days=4)
    snap = compute_snapshot(store, monday, get_plugins(cfg, entry_points=False, default_plugins=BUILTIN), cfg)
    friday = compute_snapshot(
        store, monday - timedelta(days=3), get_plugins(cfg, entry_points=False, default_plugins=BUILTIN), cfg
    )
    c = snap.metrics["events_total.engine"].vs_prev_day
    assert c is not None and c.baseline == friday.value("events_total.engine")


def test_simulated_days_are_judged_on_their_n(tmp_path_factory: pytest.TempPathFactory) -> None:
    data = simulated_data_dir(tmp_path_factory.mktemp("sim") / "data", days=8, signals_per_day=150, seed=3)
    cfg = load_config(data_dir=data)
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    problems: list[str] = []
    with Store.open(cfg, read_only=True) as store:
        from huracan.analytics.days import last_data_day

        last = last_data_day(store.cursor())
        assert last is not None
        statuses: set[str] = set()
        for k in range(8):
            snap = compute_snapshot(store, last - timedelta(days=k), plugins, cfg)
            problems += _check_day(snap)
            statuses |= {m.status for m in snap.metrics.values()}
    assert problems == []
    assert "insufficient_data" in statuses and "ok" in statuses
