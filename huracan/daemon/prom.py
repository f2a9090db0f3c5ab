"""Prometheus exposition for the daemon, read at scrape time from the live objects.

Names follow the Prometheus conventions (checked by ``promtool check metrics`` in the
tests): the ``huracan_`` prefix, base units last (``_seconds``, ``_bytes``, ``_ratio``,
``_usd``), counters ending in ``_total``, no rates (Prometheus computes them from the
counters) and no label called ``job`` (Prometheus sets that one to the scrape job: ours
is ``job_name``). ``deploy/prometheus/rules.yml`` and ``deploy/grafana/huracan.json``
use exactly these names; a test keeps them in step.

Job timings come from the run ledger, so the last success of the nightly survives a
restart; the store's size on disk is cached for a minute (walking the archive is not free).
"""

from __future__ import annotations

import platform
import shutil
import threading
import time
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from huracan.daemon.service import Daemon

__all__ = ["METRIC_NAMES", "render_metrics"]

#: Every family the daemon exposes (without the ``_total`` / ``_info`` sample suffixes).
METRIC_NAMES = (
    "huracan_build",
    "huracan_ingest_events",
    "huracan_ingest_last_event_timestamp_seconds",
    "huracan_queue_fill_ratio",
    "huracan_kill_switch_active",
    "huracan_logger_accepted_events",
    "huracan_logger_dropped_events",
    "huracan_logger_written_events",
    "huracan_logger_spooled_events",
    "huracan_job_runs",
    "huracan_job_last_run_timestamp_seconds",
    "huracan_job_last_success_timestamp_seconds",
    "huracan_job_last_duration_seconds",
    "huracan_job_last_run_ok",
    "huracan_store_size_bytes",
    "huracan_data_dir_free_bytes",
    "huracan_council_month_cost_usd",
    "huracan_council_monthly_budget_usd",
    "huracan_feed_subscribers",
)

_SIZE_TTL_S = 60.0


class _SizeCache:
    """The store's bytes on disk and the data dir's free space, recomputed at most once a minute."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = 0.0
        self._value: tuple[dict[str, int], int | None] = ({}, None)

    def get(self, daemon: Daemon) -> tuple[dict[str, int], int | None]:
        with self._lock:
            if time.monotonic() - self._at > _SIZE_TTL_S:
                from huracan.daemon.status import store_size_bytes

                try:
                    free: int | None = shutil.disk_usage(daemon.settings.data_dir).free
                except OSError:
                    free = None
                self._value = (store_size_bytes(daemon.settings, daemon.store), free)
                self._at = time.monotonic()
            return self._value


class _DaemonCollector(Collector):
    def __init__(self, daemon: Daemon, sizes: _SizeCache) -> None:
        self.d = daemon
        self.sizes = sizes

    def collect(self) -> Iterator[Any]:
        d = self.d
        yield _build_info(d)
        yield from self._ingest(d)
        yield from self._jobs(d)
        sizes, free = self.sizes.get(d)
        store = GaugeMetricFamily("huracan_store_size_bytes", "Bytes the store holds on disk", labels=["tier"])
        store.add_metric(["hot"], float(sizes.get("hot_bytes", 0)))
        store.add_metric(["cold"], float(sizes.get("cold_bytes", 0)))
        yield store
        if free is not None:
            yield GaugeMetricFamily(
                "huracan_data_dir_free_bytes", "Free bytes on the data directory's filesystem", float(free)
            )
        yield GaugeMetricFamily(
            "huracan_council_month_cost_usd", "Council spend this UTC month (USD)", _council_month_cost(d)
        )
        yield GaugeMetricFamily(
            "huracan_council_monthly_budget_usd",
            "council.monthly_budget_usd",
            float(d.settings.council.monthly_budget_usd),
        )
        yield GaugeMetricFamily("huracan_feed_subscribers", "Live feed subscribers", d.feed.subscribers)

    def _ingest(self, d: Daemon) -> Iterator[Any]:
        stats = d.logger.stats()
        c = CounterMetricFamily("huracan_ingest_events", "Events received over HTTP", labels=["outcome"])
        c.add_metric(["accepted"], d.ingest_stats.accepted)
        c.add_metric(["rejected"], d.ingest_stats.rejected)
        yield c
        if d.ingest_stats.last_at is not None:
            yield GaugeMetricFamily(
                "huracan_ingest_last_event_timestamp_seconds",
                "Unix time of the last accepted ingest",
                d.ingest_stats.last_at,
            )
        yield GaugeMetricFamily(
            "huracan_queue_fill_ratio", "EventLogger queue fill (0-1)", float(stats.get("fill", 0.0))
        )
        yield GaugeMetricFamily(
            "huracan_kill_switch_active",
            "1 while the kill switch sheds everything below ERROR",
            float(bool(stats.get("kill_switch"))),
        )
        for name, help_ in (
            ("accepted", "Events accepted by the logger"),
            ("dropped", "Events shed by the logger"),
            ("written", "Events written to the store by the logger"),
            ("spooled", "Events written to the disk spool"),
        ):
            fam = CounterMetricFamily(f"huracan_logger_{name}_events", help_, labels=["severity"])
            for sev, n in (stats.get(name) or {}).items():
                fam.add_metric([str(sev)], float(n))
            yield fam

    def _jobs(self, d: Daemon) -> Iterator[Any]:
        runs = CounterMetricFamily(
            "huracan_job_runs", "Job runs since the daemon started", labels=["job_name", "status"]
        )
        for (job, status), n in sorted(d.job_outcomes.items()):
            runs.add_metric([job, status], n)
        yield runs
        last_run = GaugeMetricFamily(
            "huracan_job_last_run_timestamp_seconds", "Unix time the job's last run started", labels=["job_name"]
        )
        last_ok = GaugeMetricFamily(
            "huracan_job_last_success_timestamp_seconds",
            "Unix time the job last finished ok (from the run ledger: survives restarts)",
            labels=["job_name"],
        )
        took = GaugeMetricFamily(
            "huracan_job_last_duration_seconds", "Duration of the job's last finished run", labels=["job_name"]
        )
        ok = GaugeMetricFamily(
            "huracan_job_last_run_ok", "1 if the job's last finished run succeeded, else 0", labels=["job_name"]
        )
        for job, row in _ledger_summary(d).items():
            if row["started"] is not None:
                last_run.add_metric([job], row["started"])
            if row["success"] is not None:
                last_ok.add_metric([job], row["success"])
            if row["duration"] is not None:
                took.add_metric([job], row["duration"])
                ok.add_metric([job], 1.0 if row["ok"] else 0.0)
        yield from (last_run, last_ok, took, ok)


def _build_info(d: Daemon) -> InfoMetricFamily:
    import duckdb

    info = InfoMetricFamily("huracan_build", "Versions of the running daemon")
    info.add_metric(
        [],
        {"version": d.version, "python": platform.python_version(), "duckdb": str(duckdb.__version__)},
    )
    return info


def _ledger_summary(d: Daemon) -> dict[str, dict[str, Any]]:
    """Per job: last start, last success, and the duration and outcome of the last finished run."""
    try:
        rows = (
            d.store.cursor()
            .execute(
                "SELECT job, max(epoch(started_at)), max(epoch(ended_at)) FILTER (WHERE status = 'ok'), "
                "arg_max(epoch(ended_at) - epoch(started_at), started_at) FILTER (WHERE ended_at IS NOT NULL), "
                "arg_max(status = 'ok', started_at) FILTER (WHERE ended_at IS NOT NULL) "
                "FROM job_runs GROUP BY job ORDER BY job"
            )
            .fetchall()
        )
    except Exception:  # no ledger yet (a store no daemon ran on), or the store is closing
        return {}
    return {r[0]: {"started": r[1], "success": r[2], "duration": r[3], "ok": r[4]} for r in rows}


def _council_month_cost(d: Daemon) -> float:
    try:
        from huracan.council.budget import month_to_date_usd

        return float(month_to_date_usd(d.settings))
    except Exception:  # the council ledger may not exist yet
        return 0.0


_caches: weakref.WeakKeyDictionary[Daemon, _SizeCache] = weakref.WeakKeyDictionary()


def render_metrics(daemon: Daemon) -> bytes:
    """The exposition text for one scrape (blocking: call it off the event loop)."""
    sizes = _caches.setdefault(daemon, _SizeCache())
    reg = CollectorRegistry(auto_describe=False)
    reg.register(_DaemonCollector(daemon, sizes))
    reg.register(ProcessCollector(registry=None))
    return bytes(generate_latest(reg))
