"""A failed channel fails the job, is retried until delivered, and raises alerts (issue 13);
SIGTERM during the start-up catch-up is a clean exit."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from huracan.config import load_config
from huracan.daemon.jobs import JOBS, JobContext
from huracan.daemon.ledger import JobLedger
from huracan.daemon.redelivery import next_retry
from huracan.events import Alert
from huracan.store import Store
from huracan.testing import simulated_data_dir
from tests.daemon_helpers import DaemonProcess, free_port, run_cli


class Inbox:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _smtp_env(port: int) -> dict[str, str]:
    return {
        "HURACAN_NOTIFIERS__EMAIL__ENABLED": "true",
        "HURACAN_NOTIFIERS__EMAIL__HOST": "127.0.0.1",
        "HURACAN_NOTIFIERS__EMAIL__PORT": str(port),
        "HURACAN_NOTIFIERS__EMAIL__STARTTLS": "false",
        "HURACAN_NOTIFIERS__EMAIL__RECIPIENTS": "desk@example.org",
        "HURACAN_NOTIFIERS__MAX_ATTEMPTS": "2",
        "HURACAN_NOTIFIERS__BACKOFF_S": "0.05",
        "HURACAN_SCHEDULER__DELIVERY_RETRY_S": "2",
        "HURACAN_SCHEDULER__CATCHUP_DAYS": "1",
    }


def _runs(d: DaemonProcess, job: str) -> list[dict[str, Any]]:
    return [r for r in d.get(f"/v1/jobs?job={job}").json() if r["status"] != "running"]


def _wait(pred: Any, timeout: float, what: str, d: DaemonProcess) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}:\n{d.log()}")


def _alerts(d: DaemonProcess) -> list[str]:
    r = httpx.post(d.url + "/v1/sql", json={"sql": "SELECT name FROM v_alert ORDER BY ts"}, params={"format": "json"})
    return [row[0] for row in r.json()["rows"]]


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_data_dir(tmp_path_factory.mktemp("deliver") / "template", days=2, signals_per_day=100)


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


@pytest.mark.slow
def test_smtp_down_fails_the_night_alerts_and_a_retry_delivers_exactly_once(sim_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    d = DaemonProcess(_copy(sim_dir, tmp_path / "data"), env=_smtp_env(port))
    inbox = Inbox()
    controller: Controller | None = None
    try:
        d.start()
        night = _wait(lambda: _runs(d, "nightly"), 180, "the catch-up night", d)[0]
        assert night["status"] == "error" and "email" in night["error"], night
        assert night["detail"]["deliveries"][0]["ok"] is False  # the run's summary is kept
        _wait(lambda: "digest_delivery_failed" in _alerts(d), 30, "the failure alert", d)
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()  # SMTP comes back: the scheduler's next retry delivers
        done = _wait(lambda: [r for r in _runs(d, "deliver") if r["status"] == "ok"], 120, "a delivered retry", d)
        assert done[0]["trigger"] == "retry" and done[0]["day"] == night["day"]
        _wait(lambda: "digest_delivered_late" in _alerts(d), 30, "the recovery notice", d)
        time.sleep(5)  # no further retry sends it again
        assert inbox.count == 1
        status = json.loads(run_cli("digest", "status", "--json", data_dir=d.data_dir).stdout)
        assert [r["sent"] for r in status if r["channel"] == "email" and r["day"] == night["day"]] == [True]
        assert d.terminate() == 0
    finally:
        if controller is not None:
            controller.stop()
        d.cleanup()


@pytest.mark.slow
def test_jobs_run_nightly_exits_nonzero_when_a_channel_fails(sim_dir: Path, tmp_path: Path) -> None:
    data = _copy(sim_dir, tmp_path / "data")
    with Store.open(load_config(data_dir=data), read_only=True) as store:
        day = store.last_day()
    res = run_cli("jobs", "run", "nightly", "--date", str(day), data_dir=data, env=_smtp_env(free_port()))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "not delivered" in res.stdout + res.stderr and "email" in res.stdout + res.stderr


@pytest.mark.slow
def test_sigterm_during_the_startup_catch_up_exits_0(sim_dir: Path, tmp_path: Path) -> None:
    d = DaemonProcess(_copy(sim_dir, tmp_path / "data"), env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "2"})
    try:
        d.start()
        _wait(lambda: [r for r in d.get("/v1/jobs?job=nightly").json() if r["status"] == "running"], 60, "a night", d)
        assert d.terminate(timeout=120) == 0, d.log()
        log = d.log()
        assert "busy" not in log and "Traceback" not in log, log
    finally:
        d.cleanup()


class _Log:
    def __init__(self) -> None:
        self.events: list[Alert] = []

    def log(self, event: Alert) -> bool:
        self.events.append(event)
        return True


def test_deadman_notices_a_night_whose_delivery_failed(tmp_path: Path) -> None:
    settings = load_config(data_dir=tmp_path)
    settings.scheduler.deadman_digest_hour = 0
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    with Store.open(settings) as store:
        ledger = JobLedger(store.cursor)
        ledger.finish(ledger.start("nightly", yesterday, "schedule"), "error", "the digest was not delivered")
        sink = _Log()
        ctx = JobContext(settings=settings, store=store, logger=sink, plugins=None, last_ingest_at=time.time)
        assert JOBS["deadman"].run(ctx, None)["fired"] == ["digest_not_delivered"]
        assert JOBS["deadman"].run(ctx, None)["raised"] == []  # raised once until it resolves
        ledger.finish(ledger.start("deliver", yesterday, "retry"), "ok")  # a retry got it out
        assert JOBS["deadman"].run(ctx, None)["fired"] == []
    # stored: the alert, then its resolution notice (INFO)
    assert [(a.name, a.state) for a in sink.events] == [
        ("digest_not_delivered", "firing"),
        ("digest_not_delivered", "resolved"),
    ]


def test_retries_back_off_and_stop_when_the_day_is_over() -> None:
    s = load_config()
    day = date(2025, 11, 6)
    start = datetime(2025, 11, 7, 0, 20, tzinfo=UTC)
    waits = [(next_retry(s, day, a, start) - start).total_seconds() for a in range(1, 9)]  # type: ignore[operator]
    assert waits == [60, 120, 240, 480, 960, 1800, 1800, 1800]
    late = datetime(2025, 11, 7, 23, 59, 30, tzinfo=UTC)
    assert next_retry(s, day, 3, late) == datetime(2025, 11, 7, 23, 59, 59, tzinfo=UTC)
    assert next_retry(s, day, 1, datetime(2025, 11, 8, 0, 0, tzinfo=UTC)) is None
