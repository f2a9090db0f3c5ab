"""A real daemon process: ingest over HTTP, reads through the CLI while it runs,
SIGTERM/SIGKILL, restart, auth, sd_notify."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from huracan.config import load_config
from huracan.samples import sample_events
from tests.daemon_helpers import DaemonProcess, free_port, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    d = DaemonProcess(tmp_path / "data")
    yield d
    d.cleanup()


def _ndjson(n_per_type: int, seed: int = 1) -> tuple[bytes, int]:
    lines = [e.model_dump_json() for e in sample_events(None, n=n_per_type, seed=seed)]
    return "\n".join(lines).encode(), len(lines)


def _store_count(data_dir: Path) -> tuple[int, int]:
    from huracan.events import EVENT_TYPES
    from huracan.store import Store

    cfg = load_config(data_dir=data_dir)
    with Store.open(cfg, read_only=True) as store:
        union = " UNION ALL ".join(f"SELECT event_id FROM v_{t}" for t in EVENT_TYPES)
        row = store.cursor().execute(f"SELECT count(*), count(DISTINCT event_id) FROM ({union})").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_ingest_read_while_running_sigterm_restart(daemon: DaemonProcess) -> None:
    daemon.start()
    body, n = _ndjson(20)
    r = daemon.post(body)
    assert r.status_code == 200 and r.json()["accepted"] == n

    (fresh,) = sample_events("signal", n=1, seed=99)
    bad = b'{"type": "signal", "symbol": "X"}\n' + fresh.model_dump_json().encode() + b"\nnot json\n"
    r = daemon.post(bad)
    assert r.status_code == 207
    res = r.json()
    assert res["accepted"] == 1 and res["rejected"] == 2
    assert [e["line"] for e in res["errors"]] == [1, 3]
    assert any(msg.startswith("signal_id:") for msg in res["errors"][0]["errors"])

    # The CLI reads through the daemon while it holds the database: no lock error.
    st = run_cli("status", "--json", data_dir=daemon.data_dir)
    assert st.returncode == 0, st.stderr
    status = json.loads(st.stdout)
    assert status["daemon"]["running"] is True and status["daemon"]["url"] == daemon.url
    assert status["events_total"] == n + 1 and "events_today" in status
    jobs = run_cli("jobs", "--json", "--all", data_dir=daemon.data_dir)
    assert jobs.returncode == 0, jobs.stderr

    health = daemon.get("/healthz").json()
    assert health["status"] == "ok"
    metrics = daemon.get("/metrics").text
    assert "huracan_ingest_events_total" in metrics and "huracan_queue_fill_ratio" in metrics

    assert daemon.terminate() == 0
    assert not (daemon.data_dir / "daemon.json").exists()
    assert _store_count(daemon.data_dir) == (n + 1, n + 1)

    daemon.start()  # restart on the same data: everything is still there
    st = json.loads(run_cli("status", "--json", data_dir=daemon.data_dir).stdout)
    assert st["events_total"] == n + 1
    assert daemon.terminate() == 0


def test_sql_endpoint_is_read_only(daemon: DaemonProcess) -> None:
    daemon.start()
    import httpx

    r = httpx.post(
        daemon.url + "/v1/sql", json={"sql": "SELECT count(*) AS n FROM v_signal"}, params={"format": "json"}
    )
    assert r.status_code == 200 and r.json()["columns"] == ["n"]
    for sql in ("DROP TABLE ev_signal", "SELECT 1; DELETE FROM ev_signal", "COPY ev_signal TO '/tmp/x.csv'"):
        r = httpx.post(daemon.url + "/v1/sql", json={"sql": sql})
        assert r.status_code == 403, sql
    assert daemon.terminate() == 0


def test_sigkill_mid_ingest_client_spools_and_every_event_lands_once(tmp_path: Path) -> None:
    from huracan.ingest.client import connect

    port = free_port()
    data_dir = tmp_path / "data"
    d = DaemonProcess(data_dir, port=port)
    try:
        d.start()
        cfg = load_config(data_dir=tmp_path / "client")  # the client's own spool, as on another host
        cfg.ingest.batch_size = 200
        cfg.ingest.flush_interval_s = 0.05
        client = connect(d.url, cfg)
        events = list(sample_events("signal", n=3000, seed=11))
        killed = threading.Event()

        def killer() -> None:
            time.sleep(0.3)
            d.kill()
            killed.set()

        t = threading.Thread(target=killer)
        t.start()
        for i, e in enumerate(events):
            assert client.log(e)
            if i % 100 == 0:
                time.sleep(0.02)  # a steady stream, so the kill lands mid-ingest
        t.join()
        assert killed.is_set()
        time.sleep(0.5)
        d.start()  # same port: the client's retries and spool replay find it again
        assert client.flush(timeout=60)
        assert client.close(timeout=60)
        stats = client.stats()
        assert stats["dropped_total"] == 0
        assert d.terminate() == 0
        total, distinct = _store_count(data_dir)
        assert (total, distinct) == (len(events), len(events))
    finally:
        d.cleanup()


def test_non_loopback_bind_without_token_refuses_to_start(tmp_path: Path) -> None:
    res = run_cli("daemon", "--host", "0.0.0.0", "--port", "0", data_dir=tmp_path / "d")
    assert res.returncode == 2
    assert "non-loopback bind needs a bearer token" in res.stderr


def test_token_is_required_when_configured(tmp_path: Path) -> None:
    d = DaemonProcess(tmp_path / "data", env={"HURACAN_API__TOKEN": "s3cret-token"})
    try:
        d.start()
        body, n = _ndjson(1)
        assert d.post(body).status_code == 401
        assert d.post(body, Authorization="Bearer wrong").status_code == 401
        ok = d.post(body, Authorization="Bearer s3cret-token")
        assert ok.status_code == 200 and ok.json()["accepted"] == n
        assert d.get("/healthz").status_code == 200  # liveness stays open for probes
        assert d.get("/v1/status").status_code == 401
        st = run_cli("status", "--json", data_dir=d.data_dir, env={"HURACAN_TOKEN": "s3cret-token"})
        assert st.returncode == 0 and json.loads(st.stdout)["events_total"] == n
        assert "s3cret-token" not in d.log()
        assert d.terminate() == 0
    finally:
        d.cleanup()


def test_sd_notify_ready_watchdog_stopping(tmp_path: Path) -> None:
    sock_path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(sock_path)
        sock.settimeout(30)
        d = DaemonProcess(tmp_path / "data", env={"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "1000000"})
        try:
            d.start(wait=False)
            messages: list[str] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any("READY=1" in m for m in messages):
                messages.append(sock.recv(4096).decode())
            assert any("READY=1" in m and "MAINPID=" in m for m in messages)
            msg = sock.recv(4096).decode()
            assert "WATCHDOG=1" in msg  # pinged from the event loop every WATCHDOG_USEC/2
            d.wait_ready()
            d.proc.send_signal(15)  # type: ignore[union-attr]
            seen = ""
            while "STOPPING=1" not in seen:
                seen = sock.recv(4096).decode()
            assert d.proc.wait(timeout=60) == 0  # type: ignore[union-attr]
        finally:
            d.cleanup()


def test_missed_nights_are_caught_up_at_start_and_never_run_twice(tmp_path: Path) -> None:
    from huracan.testing import simulated_data_dir

    data_dir = simulated_data_dir(tmp_path / "data", days=2, signals_per_day=120)
    d = DaemonProcess(data_dir, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "3"})
    try:
        d.start()
        deadline = time.monotonic() + 240
        nightly: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            runs = d.get("/v1/jobs?job=nightly").json()
            nightly = [r for r in runs if r["status"] != "running"]
            if len(nightly) >= 2:
                break
            time.sleep(1)
        assert len(nightly) == 2, d.log()
        assert all(r["trigger"] == "catch-up" and r["status"] == "ok" for r in nightly), nightly
        days = sorted(str(r["day"]) for r in nightly)
        for day in days:
            assert (data_dir / "digests" / day / "digest.md").is_file()
        assert d.terminate() == 0

        d.start()  # a restart finds both nights done: nothing is run again
        time.sleep(3)
        again = d.get("/v1/jobs?job=nightly").json()
        assert len(again) == 2
        assert d.terminate() == 0
        listed = json.loads(run_cli("jobs", "--json", "--job", "nightly", data_dir=data_dir).stdout)
        assert sorted(str(r["day"]) for r in listed) == days
    finally:
        d.cleanup()
