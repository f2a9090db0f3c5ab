"""The daemon: one asyncio loop holding the store, the logger, the scheduler and the API.

Lifecycle: open the store → start the logger → load plugins → start the scheduler →
serve HTTP → write ``daemon.json`` → ``READY=1``. SIGTERM/SIGINT: stop accepting, drain
the logger, stop the scheduler, close the store, remove ``daemon.json``, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import socket
import time
from collections import deque
from datetime import UTC, date, datetime
from typing import Any

import uvicorn

from huracan import __version__
from huracan.config import Settings
from huracan.daemon.feed import Feed
from huracan.daemon.ingest_log import LogSink, LogWriter, recover
from huracan.daemon.jobs import JOBS, Job, JobContext
from huracan.daemon.ledger import JobLedger
from huracan.daemon.loader import Loader
from huracan.daemon.notify import Notifier, watchdog_interval
from huracan.daemon.redelivery import DeliveryFailed, abandoned_alert, failed_alert, late_alert, next_retry
from huracan.daemon.runfile import RunFile, remove_runfile, write_runfile
from huracan.daemon.scheduler import build_scheduler, catch_up_days
from huracan.events import Severity, set_max_clock_skew
from huracan.redact import error_text

__all__ = ["Daemon", "StartupError", "is_loopback"]

log = logging.getLogger("huracan.daemon")

#: How long a job waits for the loader to catch up with what was acknowledged (a load of
#: 500,000 events takes ~1 s of CPU; this is for a daemon that was busy or just restarted).
JOB_LOAD_WAIT_S = 120.0


class IngestBehind(RuntimeError):
    """A job refused to run because acknowledged events were not loaded yet."""


class StartupError(RuntimeError):
    """The daemon cannot start as configured; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class IngestStats:
    """Rolling ingest counters for the rate and the dead-man's switch."""

    def __init__(self) -> None:
        self.accepted = 0
        self.rejected = 0
        self.last_at: float | None = None
        self._window: deque[tuple[float, int]] = deque()

    def add(self, accepted: int, rejected: int) -> None:
        now = time.monotonic()
        self.accepted += accepted
        self.rejected += rejected
        if accepted:
            self.last_at = time.time()
            self._window.append((now, accepted))
        while self._window and now - self._window[0][0] > 60:
            self._window.popleft()

    def rate(self) -> float:
        now = time.monotonic()
        while self._window and now - self._window[0][0] > 60:
            self._window.popleft()
        return sum(n for _, n in self._window) / 60.0


class _Server(uvicorn.Server):
    # The daemon owns SIGTERM/SIGINT (drain before exit); uvicorn must not grab them.
    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


class Daemon:
    """Everything the running service holds. Build with :meth:`open`, run with :meth:`serve`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.version = __version__
        self.started_at = datetime.now(UTC)
        self.stopping = False
        self.feed = Feed()
        self.ingest_stats = IngestStats()
        self.notify = Notifier()
        self.jobs = dict(JOBS)
        self._job_locks: dict[str, asyncio.Lock] = {}
        self._stop = asyncio.Event()
        self.url = ""
        self.job_outcomes: dict[tuple[str, str], int] = {}
        self._opened = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: set[asyncio.Future[Any]] = set()
        #: failed delivery attempts per digest day, while retries are scheduled
        self._delivery_attempts: dict[date, int] = {}

    # -- start-up ---------------------------------------------------------------
    def open(self) -> None:
        """Open the store, start the logger, load plugins (blocking; call before serve)."""
        from huracan.ingest import EventLogger
        from huracan.plugins.manager import get_plugins
        from huracan.store import Store

        s = self.settings
        if not is_loopback(s.api.host) and s.api.token is None:
            raise StartupError(
                f"refusing to listen on {s.api.host}: a non-loopback bind needs a bearer token. "
                "Set api.token (e.g. HURACAN_API__TOKEN or a credential file api.token), or bind 127.0.0.1."
            )
        s.data_dir.mkdir(parents=True, exist_ok=True)
        set_max_clock_skew(s.ingest.max_clock_skew_s)  # ingest rejects a ts further ahead (#12)
        self.store = Store.open(s)
        self._lock_down_store()
        self._open_ingest_log()
        # The daemon's own events (alerts, queue notices) take the same durable path.
        self.logger = EventLogger(LogSink(self.ingest_log, self.loader.wake), s.ingest, spool_dir=s.spool_dir)
        self.logger.start()
        self.ledger = JobLedger(self.store.cursor)
        interrupted = self.ledger.abandon_running()
        if interrupted:
            log.warning("%d job run(s) were interrupted by the last shutdown; they will be caught up", interrupted)
        self.plugins = get_plugins(s)
        for name, err in self.plugins.disabled.items():
            log.error("plugin %s disabled: %s", name, err)
        from huracan.digest.alerts import AlertDispatcher
        from huracan.ingest import QueueMonitor

        self.alerts = AlertDispatcher(self.plugins.notifiers(), cooldown_s=s.ingest.alert_cooldown_s)
        self.monitor = QueueMonitor(self.logger, s.ingest, callbacks=[self._dispatch_alert])
        self.ctx = JobContext(
            settings=s,
            store=self.store,
            logger=self.logger,
            plugins=self.plugins,
            monitor=self.monitor,
            dispatch=self._dispatch_alert,
            last_ingest_at=lambda: self.ingest_stats.last_at,
        )
        self._opened = True

    def _open_ingest_log(self) -> None:
        """Cut torn tails, open this process's log stream, start loading (replaying) it.

        The store is open read-write, so no other daemon writes these streams: any
        half-written record is from a process that died, never acknowledged (issue 14).
        """
        root = self.settings.data_dir / "ingest-log"
        root.mkdir(parents=True, exist_ok=True)
        for stream in sorted(p for p in root.iterdir() if p.is_dir()):
            recover(stream)
        self.loader = Loader(self.store, root)
        self.ingest_log = LogWriter(root / "main", after_segment=self.loader.position("main").segment)
        self.loader.writer = self.ingest_log
        self.loader.start()
        self.loader.wake()  # replay whatever an earlier run acknowledged but did not load

    def _lock_down_store(self) -> None:
        """No file or network access from SQL for this process's database (see sql_guard)."""
        from huracan.daemon.sql_guard import lock_down

        # The views read the cold Delta tables as registered Arrow datasets, never by
        # path: DuckDB itself needs no directory (issue 15).
        lock_down(self.store.hot.con)

    def _dispatch_alert(self, alert: Any) -> None:
        """Send an alert to the notifiers from any thread (the sends run on the loop).

        INFO alerts (recovery notices, informational rules) are stored, not pushed: a
        phone should buzz only for something to act on.
        """
        if alert.severity.rank < Severity.WARNING.rank:
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        fut = asyncio.run_coroutine_threadsafe(self.alerts.send(alert), loop)

        def done(f: Any) -> None:
            if f.exception() is not None:
                log.error("alert %s not sent: %s", alert.name, f.exception())

        fut.add_done_callback(done)

    # -- running jobs -------------------------------------------------------------
    async def run_job(self, name: str, day: date | None = None, trigger: str = "schedule") -> dict[str, Any]:
        """Run one job now (one instance at a time), recording it in the ledger."""
        lock = self._job_locks.setdefault(name, asyncio.Lock())
        async with lock:
            job = self.jobs[name]
            run_day = day if day is not None else job.default_day(datetime.now(UTC))
            run_id = await asyncio.to_thread(self.ledger.start, name, run_day, trigger)
            t0 = time.perf_counter()
            # The job's thread is tracked, not just awaited: cancelling this coroutine (at
            # shutdown) must not leave a thread using the store while it is closed (issue 13).
            work = asyncio.ensure_future(asyncio.to_thread(self._run_on_loaded, job, run_day))
            self._inflight.add(work)
            work.add_done_callback(self._inflight.discard)
            try:
                detail = await asyncio.shield(work)
            except Exception as exc:
                log.exception("job %s (%s) failed", name, run_day)
                failed_detail = getattr(exc, "detail", None)
                await asyncio.to_thread(self.ledger.finish, run_id, "error", error_text(exc), failed_detail)
                self.job_outcomes[(name, "error")] = self.job_outcomes.get((name, "error"), 0) + 1
                if isinstance(exc, DeliveryFailed):
                    self._retry_delivery(exc)
                return {"run_id": run_id, "job": name, "day": run_day, "status": "error", "error": error_text(exc)}
            detail = dict(detail or {})
            detail["seconds"] = round(time.perf_counter() - t0, 3)
            await asyncio.to_thread(self.ledger.finish, run_id, "ok", None, detail)
            self.job_outcomes[(name, "ok")] = self.job_outcomes.get((name, "ok"), 0) + 1
            if name in ("nightly", "deliver") and run_day in self._delivery_attempts:
                self.ctx.raise_alert(late_alert(run_day, self._delivery_attempts.pop(run_day)))
                with contextlib.suppress(Exception):
                    self.scheduler.remove_job(f"deliver-{run_day}")
            return {"run_id": run_id, "job": name, "day": run_day, "status": "ok", "detail": detail}

    def _run_on_loaded(self, job: Job, day: date | None) -> dict[str, Any] | None:
        # Every acknowledged event first: `huracan demo` ran the nightly right after its last
        # batch was acknowledged and once got a digest saying "no Engine data" for that day.
        if job.needs_loaded and not self.loader.wait_loaded(timeout=JOB_LOAD_WAIT_S):
            behind = self.loader.last_error or "still loading"
            raise IngestBehind(
                f"acknowledged events were not all loaded into the store after {JOB_LOAD_WAIT_S:.0f} s "
                f"({behind}); {job.name} did not run on partial data — run it again (huracan jobs run {job.name})"
            )
        return job.run(self.ctx, day)

    def _retry_delivery(self, exc: DeliveryFailed) -> None:
        """Schedule the next ``deliver`` run for an undelivered digest, with backoff, and alert."""
        from apscheduler.triggers.date import DateTrigger

        day = exc.day
        attempt = self._delivery_attempts[day] = self._delivery_attempts.get(day, 0) + 1
        when = next_retry(self.settings, day, attempt, datetime.now(UTC))
        if when is None:
            self.ctx.raise_alert(abandoned_alert(day, attempt))
            self._delivery_attempts.pop(day, None)
            return
        sched = getattr(self, "scheduler", None)
        if sched is None or not sched.running or self.stopping:
            when = None  # a one-off run (`jobs run` without a daemon): the deadman and the next start catch it
        else:

            async def fire() -> None:
                await self.run_job("deliver", day=day, trigger="retry")

            sched.add_job(
                fire,
                DateTrigger(run_date=when, timezone=UTC),
                id=f"deliver-{day}",
                name=f"deliver {day}",
                replace_existing=True,
                misfire_grace_time=self.settings.scheduler.misfire_grace_s,
            )
            log.warning("digest %s not delivered (attempt %d); next try at %s", day, attempt, when.isoformat())
        self.ctx.raise_alert(failed_alert(exc, when))

    async def _drain_jobs(self, timeout: float) -> None:
        """Wait for job threads still running (a catch-up nightly at SIGTERM) before the store closes."""
        if self._inflight:
            log.info("waiting for %d running job(s) to finish before closing", len(self._inflight))
            _done, pending = await asyncio.wait(set(self._inflight), timeout=timeout)
            if pending:
                log.error("%d job(s) still running after %.0f s; closing anyway", len(pending), timeout)

    async def _catch_up(self) -> None:
        days = await asyncio.to_thread(catch_up_days, self.settings, self.store, self.ledger, datetime.now(UTC))
        for d in days:
            if self.stopping:
                return
            log.info("catching up the nightly pipeline for %s", d)
            await self.run_job("nightly", day=d, trigger="catch-up")

    def write_batch(self, batch: Any) -> int:
        """Make a parsed :class:`~huracan.daemon.ingest_http.IngestBatch` durable; return its events.

        Returns once the batch is in the fsynced ingest log: that is what a 2xx promises.
        The loader puts it in DuckDB within ``interval_s`` and drops any event whose id the
        store already holds, so a resent batch lands once (issue 14).
        """
        if not batch.accepted:
            return 0
        self.ingest_log.append(batch.tables)
        self.loader.wake()
        return int(batch.accepted)

    # -- views for the API --------------------------------------------------------
    def read_query(self, sql: str, params: list[Any]) -> Any:
        """Run one checked, bounded SELECT over the event views (``POST /v1/sql``).

        Raises :class:`~huracan.daemon.sql_guard.SqlRefused` (a ``PermissionError``) for
        anything else, ``SqlTimeout`` / ``SqlTooLarge`` past ``api.sql_timeout_s`` /
        ``api.sql_max_rows``.
        """
        from huracan.daemon.sql_guard import catalog_names, check_statement, run_bounded

        self.loader.wait_loaded()  # read your writes: what was acknowledged is visible
        cur = self.store.cursor()
        check_statement(cur, sql, catalog_names(cur))
        api = self.settings.api
        return run_bounded(cur, sql, params, timeout_s=api.sql_timeout_s, max_rows=api.sql_max_rows)

    def health(self) -> dict[str, Any]:
        stats = self.logger.stats() if self._opened else {}
        return {
            "status": "stopping" if self.stopping else "ok",
            "version": self.version,
            "pid": os.getpid(),
            "uptime_s": round((datetime.now(UTC) - self.started_at).total_seconds(), 1),
            "queue": {k: stats.get(k) for k in ("fill", "health", "kill_switch") if k in stats},
        }

    def status(self) -> dict[str, Any]:
        from huracan.daemon.status import store_status

        self.loader.wait_loaded()
        out = store_status(self.settings, self.store)
        out["daemon"] = {
            "running": True,
            "url": self.url,
            "pid": os.getpid(),
            "started_at": self.started_at.isoformat(),
            "version": self.version,
            "ingest_rate_eps": round(self.ingest_stats.rate(), 1),
            "plugins_disabled": dict(self.plugins.disabled),
        }
        out["queue"] = self.logger.stats()
        out["ingest_log"] = self.loader.stats()
        out["jobs"] = [r.as_dict() for r in self.ledger.latest()]
        return out

    def prometheus(self) -> bytes:
        from huracan.daemon.prom import render_metrics

        return render_metrics(self)

    # -- lifecycle ---------------------------------------------------------------------
    def request_stop(self) -> None:
        if not self.stopping:
            log.info("stop requested: draining")
        self.stopping = True
        self._stop.set()

    async def serve(self, host: str | None = None, port: int | None = None) -> int:
        """Run until SIGTERM/SIGINT; return the exit code."""
        from huracan.daemon.api import build_app

        if not self._opened:
            self.open()
        host = host or self.settings.api.host
        port = self.settings.api.port if port is None else port
        loop = asyncio.get_running_loop()
        self._loop = loop
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)

        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from None
        bound_port = sock.getsockname()[1]
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{bound_port}"

        config = uvicorn.Config(build_app(self), log_level="warning", lifespan="off", access_log=False)
        server = _Server(config)
        server_task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not server_task.done():
            await asyncio.sleep(0.01)
        if server_task.done():
            server_task.result()
            return 1

        self.scheduler = build_scheduler(self)
        self.scheduler.start()
        from huracan.daemon.telegram_poll import start_commands

        telegram = start_commands(self)  # None unless notifiers.telegram.commands
        write_runfile(
            self.settings.data_dir,
            RunFile(os.getpid(), self.url, self.started_at.isoformat(), str(self.settings.data_dir)),
        )
        with contextlib.suppress(Exception):
            self.plugins.startup()
        self.notify.send(ready=True, status=f"serving on {self.url}", mainpid=os.getpid())
        log.info("huracan daemon %s serving on %s (data: %s)", self.version, self.url, self.settings.data_dir)
        watchdog = asyncio.create_task(self._watchdog())
        catch_up = asyncio.create_task(self._catch_up())

        await self._stop.wait()

        # Stop accepting first, then drain everything that was accepted.
        self.notify.send(stopping=True, status="draining")
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server_task, timeout=15)
        self.scheduler.shutdown(wait=False)
        watchdog.cancel()
        # The catch-up stops between nights (it checks `stopping`); a night in progress and
        # any scheduled job finish their work first: their threads use the store (issue 13:
        # cancelling them left a thread inside DuckDB while the store closed).
        with contextlib.suppress(Exception):  # a timeout, or whatever the catch-up itself raised
            await asyncio.wait_for(asyncio.shield(catch_up), timeout=self.settings.scheduler.stop_grace_s)
        catch_up.cancel()
        if telegram is not None:
            telegram.cancel()
        await self._drain_jobs(self.settings.scheduler.stop_grace_s)
        for lock in self._job_locks.values():  # a job between its thread and its ledger write
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await lock.acquire()
        await asyncio.to_thread(self.close)
        log.info("huracan daemon stopped cleanly")
        return 0

    def close(self) -> None:
        if not self._opened:
            return
        self._opened = False
        try:
            self.logger.close()
        finally:
            try:
                self.loader.stop()  # load the rest: a clean stop leaves the log empty
                self.ingest_log.close()
            finally:
                self.store.close()
                remove_runfile(self.settings.data_dir, os.getpid())

    async def _watchdog(self) -> None:
        interval = watchdog_interval()
        if interval is None:
            return
        while True:
            # Sent from the event loop itself: a stuck loop misses its ping and systemd restarts us.
            self.notify.send(watchdog=True, status=f"serving on {self.url}; {self.ingest_stats.rate():.0f} ev/s")
            await asyncio.sleep(interval)
