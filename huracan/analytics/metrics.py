"""The metrics computer: every registered metric of a day into a :class:`MetricsSnapshot`.

For the report day *and* the seven days before it, each metric's ``compute(ctx)`` is
called with a :class:`~huracan.analytics.metric_context.MetricContext` whose daily
queries run once over the whole window (grouped by day), so eight days cost about
what one does. The report day's values then get their interval (Wilson for rates,
the plugin's own otherwise), comparisons with the previous trading day and the mean of
the trading days in the week before (:mod:`huracan.analytics.comparisons`), a status
(:mod:`huracan.analytics.metric_status`: nothing is judged below the metric's minimum
n, a zero on a trading day is a finding, a closed market is "no data"), and the
snapshot gets a self-check (:mod:`huracan.analytics.self_check`), Hamilton readiness,
alert events stamped with the data day, and insights.

A metric whose compute raises is ``no_data`` with the plugin's name and the error, and
the plugin is listed in ``snapshot.disabled_plugins``; the snapshot is still produced.

Example::

    >>> from huracan.analytics.metrics import compute_snapshot
    >>> snap = compute_snapshot(store, date(2025, 11, 6), get_plugins(settings), settings)  # doctest: +SKIP
    >>> snap.metrics["shadow_win_rate.scalp"].value  # doctest: +SKIP
    0.612
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huracan.analytics.calendar import DayKind, day_kinds
from huracan.analytics.comparisons import Observation, compare, observation
from huracan.analytics.format import format_number
from huracan.analytics.metric_context import MetricContext, NoDataError, QueryCache
from huracan.analytics.metric_rules import parse_rule
from huracan.analytics.metric_status import evaluate_status
from huracan.analytics.self_check import plausibility_warnings, range_problems, sum_problems
from huracan.analytics.snapshot import DayInfo, Interval, MetricsSnapshot, MetricValue, Provenance, SnapshotCheck
from huracan.analytics.stats import wilson_interval
from huracan.events import Alert, Severity
from huracan.plugins.types import MetricResult, MetricSpec
from huracan.redact import error_text

__all__ = ["COMPARISON_DAYS", "alert_name", "compute_snapshot", "connection_of", "evaluate_status"]

#: Days before the report day that are computed for the comparisons.
COMPARISON_DAYS = 7


def connection_of(store_or_conn: Any) -> Any:
    """A connection-like object: a Store's own cursor, or the object itself."""
    if hasattr(store_or_conn, "cursor") and not hasattr(store_or_conn, "fetchall"):
        return store_or_conn.cursor()
    if hasattr(store_or_conn, "execute"):
        return store_or_conn
    raise TypeError(
        f"compute_snapshot needs a Store or a connection with execute(); got {type(store_or_conn).__name__}"
    )


@dataclass
class _Outcome:
    result: MetricResult | None = None
    no_data: str = ""
    query: str = ""
    tables: tuple[str, ...] = ()
    failed: str = ""


def _specs(plugins: Any) -> tuple[dict[str, MetricSpec], dict[str, str], dict[str, str]]:
    if isinstance(plugins, Mapping):
        return dict(plugins), {}, {}
    specs = plugins.metrics()
    # owners("metrics") computes only the metrics registry (describe() would build
    # every notifier and learner too).
    owners = plugins.owners("metrics") if hasattr(plugins, "owners") else {}
    return specs, owners, dict(plugins.disabled)


def _evaluate(spec: MetricSpec, ctx: MetricContext) -> _Outcome:
    try:
        result = spec.compute(ctx)
    except NoDataError as exc:
        return _Outcome(no_data=exc.reason, query=exc.query, tables=exc.tables)
    except Exception as exc:
        from huracan.store.cold import archive_error

        if archive_error(exc) is not None:  # issue 15: no snapshot at all, never a partial one
            raise
        return _Outcome(failed=error_text(exc))  # redacted: plugin text reaches digests and prompts
    if not isinstance(result, MetricResult):
        return _Outcome(failed=f"compute returned {type(result).__name__}, expected MetricResult")
    if result.value is not None and not math.isfinite(result.value):
        return _Outcome(failed=f"compute returned a non-finite value ({result.value})")
    if result.value is None:
        return _Outcome(result=result, no_data=f"no data on {ctx.day.isoformat()}", query=result.query)
    return _Outcome(result=result)


def _env(value: float | None, n: int | None, interval: Interval | None, mv: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {"value": value, "n": n, "low": None, "high": None}
    if interval is not None:
        env["low"], env["high"] = interval.low, interval.high
    for key, cmp in (("1d", mv.get("vs_prev_day")), ("7d", mv.get("vs_7d_mean"))):
        env[f"baseline_{key}"] = cmp.baseline if cmp else None
        env[f"delta_{key}"] = cmp.delta if cmp else None
        env[f"pct_{key}"] = cmp.pct_change if cmp else None
    return env


def compute_snapshot(
    store_or_conn: Any, day: date, plugins: Any, settings: Any, *, now: datetime | None = None
) -> MetricsSnapshot:
    """Compute every registered metric of ``day`` into a :class:`MetricsSnapshot`.

    Args:
        store_or_conn: a :class:`huracan.store.Store` or any connection-like object
            (``execute(sql).fetchall()`` / ``.description``) over the ``v_<type>`` views.
        day: the UTC day to report.
        plugins: the :class:`~huracan.plugins.manager.Plugins` (or a mapping id → MetricSpec).
        settings: the effective settings (bootstrap resamples, significance level, …).
        now: the ``generated_at`` time (default: now, UTC).
    """
    from huracan.analytics.insights import build_insights
    from huracan.analytics.learned import build_learned
    from huracan.analytics.readiness import snapshot_readiness
    from huracan.plugins.builtin.metrics.catalog import load_catalog, sum_checks

    conn = connection_of(store_or_conn)
    specs, owners, disabled = _specs(plugins)
    days = [day - timedelta(days=k) for k in range(COMPARISON_DAYS, -1, -1)]
    cache = QueryCache(conn, days[0], day)
    base_ctx = MetricContext(day=day, settings=settings, cache=cache)
    alpha = settings.analytics.significance_level
    generated = now or datetime.now(UTC)
    kinds = _day_kinds(cache, days, settings)
    # Comparisons look back over trading days only: an FX Monday is compared with Friday.
    earlier = [d for d in days[:-1] if kinds[d].trading]
    defaults = load_catalog(settings).min_n

    metrics: dict[str, MetricValue] = {}
    alerts: list[dict[str, Any]] = []
    problems: list[str] = []
    warnings: list[str] = []
    for mid, spec in specs.items():
        outcomes = {d: _evaluate(spec, base_ctx.at(d)) for d in days}
        today = outcomes[day]
        plugin = owners.get(mid, "builtin")
        if today.failed:
            disabled.setdefault(plugin, f"metric {mid}: {today.failed}")
        history = [
            o for d in earlier if (r := outcomes[d].result) is not None and (o := observation(r, spec.unit)) is not None
        ]
        prev = outcomes[earlier[-1]] if earlier else _Outcome()
        # A plugin's spec without a kind is judged at any n: what its n counts is unknown.
        kind = spec.kind or "value"
        need = spec.min_n if spec.min_n is not None else defaults.get(kind, 0)
        judge = _Judge(need, kind, kinds[day], alpha, generated, day)
        metrics[mid] = _metric_value(spec, today, history, prev, plugin, judge, alerts)
        problems += range_problems(metrics[mid], spec)
        warnings += plausibility_warnings(metrics[mid], spec)

    problems += sum_problems(metrics, sum_checks(settings))
    k = kinds[day]
    snapshot = MetricsSnapshot(
        date=day,
        generated_at=generated,
        metrics=metrics,
        alerts=alerts,
        self_check=SnapshotCheck(passed=not problems, problems=problems, warnings=warnings),
        disabled_plugins=disabled,
        calendar=DayInfo(
            trading=k.trading,
            reason=k.reason,
            engine_events=k.engine_events,
            previous_day=earlier[-1] if earlier else None,
        ),
    )
    snapshot.readiness = snapshot_readiness(conn, day, snapshot, settings)
    snapshot.insights = build_insights(snapshot)
    snapshot.learned = build_learned(snapshot, base_ctx)
    return snapshot


@dataclass(frozen=True)
class _Judge:
    """What judging the report day's values needs besides the values."""

    min_n: int
    kind: str
    day_kind: DayKind
    alpha: float
    generated: datetime
    day: date


def _day_kinds(cache: QueryCache, days: list[date], settings: Any) -> dict[date, DayKind]:
    try:
        return day_kinds(cache, days, settings)
    except NoDataError:  # no views yet: nothing to tell a closed market from an open one
        return {d: DayKind(d, True, "no Engine data yet", 0) for d in days}


def _metric_value(
    spec: MetricSpec,
    today: _Outcome,
    history: list[Observation],
    yesterday: _Outcome,
    plugin: str,
    judge: _Judge,
    alerts: list[dict[str, Any]],
) -> MetricValue:
    r = today.result
    value = r.value if r is not None else None
    interval = _interval(r)
    mv: dict[str, Any] = {}
    obs = observation(r, spec.unit) if r is not None else None
    prev = observation(yesterday.result, spec.unit) if yesterday.result is not None else None
    alpha, min_n = judge.alpha, judge.min_n
    mv["vs_prev_day"] = compare(obs, [prev] if prev else [], spec.unit, spec.precision, alpha, min_n=min_n)
    mv["vs_7d_mean"] = compare(obs, history, spec.unit, spec.precision, alpha, min_days=2, min_n=min_n)
    k = judge.day_kind
    closed = "" if k.trading else f"no data: {k.reason}"
    if value is None:
        status = "no_data"
        reason = f"plugin {plugin} failed: {today.failed}" if today.failed else (closed or today.no_data)
    else:
        env = _env(value, r.n if r else None, interval, mv)
        status, reason, fired = evaluate_status(
            spec, env, min_n=min_n, kind=judge.kind, trading=k.trading, closed_reason=closed
        )
        for severity, rule, why in fired:
            alerts.append(_alert(spec, value, severity, rule, why, judge))
    query = r.query if r is not None else today.query
    tables = list(r.tables) if r is not None else list(today.tables)
    return MetricValue(
        id=spec.id,
        name=spec.name,
        description=spec.description,
        category=spec.category,
        unit=spec.unit,  # type: ignore[arg-type]
        precision=spec.precision,
        value=value,
        formula=spec.formula,
        provenance=Provenance(query=query or "", row_count=r.row_count if r else 0, tables=tables),
        targets=spec.targets,
        higher_is_better=spec.higher_is_better,
        status=status,  # type: ignore[arg-type]
        status_reason=reason,
        n=r.n if r else None,
        interval=interval,
        plugin=plugin,
        key=spec.key,
        synonyms=tuple(spec.synonyms),
        parts={k: tuple(v) for k, v in spec.parts.items()},
        subject=r.subject if r is not None else None,
        kind=judge.kind,
        min_n=min_n,
        **mv,
    )


def _interval(r: MetricResult | None) -> Interval | None:
    if r is None or r.value is None:
        return None
    if r.interval is not None:
        low, high, method = r.interval
        return Interval(low=low, high=high, method=method)  # type: ignore[arg-type]
    if r.successes is not None and r.n:
        low, high = wilson_interval(r.successes, r.n)
        return Interval(low=low, high=high, method="wilson")
    return None


def _alert(spec: MetricSpec, value: float, severity: Severity, rule: str, why: str, judge: _Judge) -> dict[str, Any]:
    # One name per metric and level: the daemon's AlertDispatcher holds back repeats of
    # a *name* for its cooldown, so a shared name would silence every other metric. A
    # zero finding (no rule text) is its own level. The data day makes (name, day) the
    # alert's identity: the daemon raises it once until it resolves (#12).
    level = severity.value.lower() if rule else "zero"
    event = Alert(
        ts=judge.generated,
        severity=severity,
        name=alert_name(spec.id, level),
        message=f"{spec.name} is {format_number(value, spec.unit, spec.precision)} on {judge.day.isoformat()}: {why}",
        component=spec.category,
        metric_id=spec.id,
        value=value,
        threshold=parse_rule(rule).threshold if rule else None,
        data_day=judge.day.isoformat(),
        part=spec.id,
    )
    return event.model_dump(mode="json")


def alert_name(metric_id: str, level: str) -> str:
    """The stable name of a metric's alert: ``metric.<metric id>.<level>``.

    >>> alert_name("shadow_pnl_bps.runner", "warning")
    'metric.shadow_pnl_bps.runner.warning'
    """
    return f"metric.{metric_id}.{level}"
