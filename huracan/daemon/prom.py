"""Prometheus exposition for the daemon: read at scrape time from the live objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from huracan.daemon.service import Daemon

__all__ = ["render_metrics"]


class _DaemonCollector(Collector):
    def __init__(self, daemon: Daemon) -> None:
        self.d = daemon

    def collect(self) -> Iterator[Any]:
        d = self.d
        stats = d.logger.stats()
        yield GaugeMetricFamily(
            "huracan_ingest_rate_eps", "Events accepted per second (1-minute window)", d.ingest_stats.rate()
        )
        c = CounterMetricFamily("huracan_ingest_events", "Events received over HTTP", labels=["outcome"])
        c.add_metric(["accepted"], d.ingest_stats.accepted)
        c.add_metric(["rejected"], d.ingest_stats.rejected)
        yield c
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
            ("written", "Events written to the store"),
            ("spooled", "Events written to the disk spool"),
        ):
            fam = CounterMetricFamily(f"huracan_logger_{name}", help_, labels=["severity"])
            for sev, n in (stats.get(name) or {}).items():
                fam.add_metric([str(sev)], float(n))
            yield fam
        jobs = CounterMetricFamily("huracan_job_runs", "Job runs since start", labels=["job", "status"])
        for (job, status), n in d.job_outcomes.items():
            jobs.add_metric([job, status], n)
        yield jobs
        cost = GaugeMetricFamily("huracan_council_cost_usd_month", "Council spend this month (USD)")
        cost.add_metric([], _council_month_cost(d))
        yield cost
        yield GaugeMetricFamily("huracan_feed_subscribers", "Live feed subscribers", d.feed.subscribers)


def _council_month_cost(d: Daemon) -> float:
    try:
        from huracan.council.budget import month_to_date_usd

        return float(month_to_date_usd(d.settings))
    except Exception:  # the council ledger may not exist yet
        return 0.0


def render_metrics(daemon: Daemon) -> bytes:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(_DaemonCollector(daemon))
    return bytes(generate_latest(reg))
