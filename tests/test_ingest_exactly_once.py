"""Exactly once from producer to store, with real producer and daemon processes (issue 14).

Each test reproduces one failure the issue reported and ends by counting rows and
distinct ids in the daemon's store.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from huracan.config import load_config
from huracan.ingest.client import adopt_orphans, connect
from huracan.ingest.spool import Spool
from huracan.samples import sample_events
from tests.daemon_helpers import DaemonProcess, free_port

pytestmark = pytest.mark.slow

PRODUCER = r"""
import json, sys, time
from huracan.ingest.client import connect
from huracan.samples import sample_events
base = next(iter(sample_events("signal", n=1, seed=5)))
start, n, url, pace = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] or None, float(sys.argv[4])
log = connect(url, name="engine")
for i in range(start, start + n):
    event = base.model_copy(update={"event_id": f"e{i:08d}", "signal_id": f"s{i}"})
    while not log.log(event):  # shed under overload: a polite producer waits and retries
        time.sleep(0.002)
    if (i - start) % 1000 == 999:
        print(i + 1, flush=True)  # events log() has accepted so far
        time.sleep(pace)
ok = log.close(timeout=60)
print("CLOSED", ok, json.dumps(log.left), flush=True)
"""


def producer(data: Path, start: int, n: int, url: str = "", pace: float = 0.0) -> subprocess.Popen[str]:
    env = dict(os.environ, HURACAN_DATA_DIR=str(data))
    env.pop("HURACAN_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", PRODUCER, str(start), str(n), url, str(pace)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored(daemon: DaemonProcess) -> dict[str, Any]:
    r = httpx.post(
        daemon.url + "/v1/sql?format=json",
        json={"sql": "SELECT count(*) AS n, count(DISTINCT event_id) AS d, list(event_id) AS ids FROM v_signal"},
        timeout=60,
    )
    r.raise_for_status()
    n, d, ids = r.json()["rows"][0]
    print(f"[store] {n:,} rows, {d:,} distinct ids")  # the fault report's "observed" (make faults)
    return {"n": n, "d": d, "ids": set(ids or [])}


def client_spools(data: Path) -> list[Path]:
    base = data / "spool" / "client"
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.exists() else []


@pytest.fixture
def daemon(tmp_path: Path) -> Any:
    d = DaemonProcess(tmp_path / "data").start()
    yield d
    d.cleanup()


def test_two_producers_on_one_host_with_plain_connect(daemon: DaemonProcess) -> None:
    a = producer(daemon.data_dir, 0, 20_000)
    b = producer(daemon.data_dir, 100_000, 20_000)
    for p in (a, b):
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert "CLOSED True {}" in out, out + err
    got = stored(daemon)
    assert (got["n"], got["d"]) == (40_000, 40_000)
    assert client_spools(daemon.data_dir) == []  # each process removed its own empty spool


class Blackhole:
    """A TCP proxy to the daemon that forwards each request and never relays the answer:
    the daemon stores every batch, the producer learns of none (the lost-answer case)."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target = target_port
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._pipe, args=(conn,), daemon=True).start()

    def _pipe(self, conn: socket.socket) -> None:
        up = socket.create_connection(("127.0.0.1", self.target))
        conn.settimeout(5)
        try:
            while True:
                data = conn.recv(1 << 16)
                if not data:
                    break
                up.sendall(data)  # forwarded...
                up.settimeout(0.05)
                try:
                    while up.recv(1 << 16):  # ...and the answer swallowed
                        pass
                except OSError:
                    pass
        except OSError:
            pass
        finally:
            time.sleep(0.3)  # the daemon has committed by now; then the client sees a reset
            conn.close()
            up.close()

    def close(self) -> None:
        self.stop = True
        self.sock.close()


def test_lost_answers_then_a_producer_restart_land_exactly_n_rows(daemon: DaemonProcess) -> None:
    port = int(daemon.url.rsplit(":", 1)[1])
    proxy = Blackhole(port)
    try:
        first = producer(daemon.data_dir, 0, 12_000, url=f"http://127.0.0.1:{proxy.port}")
        out, err = first.communicate(timeout=240)
    finally:
        proxy.close()
    assert "CLOSED False" in out, out + err  # nothing acknowledged: all of it still spooled
    left = json.loads(out.split("CLOSED False ", 1)[1])
    assert left["events"] > 0 and "spool" in left["where"]
    assert stored(daemon)["n"] > 0  # ... although the daemon has stored (some of) them
    # The restarted producer finds the dead process's spool and sends it again.
    second = producer(daemon.data_dir, 50_000, 1_000)
    out, err = second.communicate(timeout=240)
    assert "CLOSED True {}" in out, out + err
    got = stored(daemon)
    assert (got["n"], got["d"]) == (13_000, 13_000)
    assert client_spools(daemon.data_dir) == []


def test_close_with_the_daemon_down_says_what_is_left_and_where(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()  # nobody listens
    p = producer(data, 0, 3_000, url=f"http://127.0.0.1:{port}")
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err
    left = json.loads(out.split("CLOSED False ", 1)[1])
    assert left["events"] == 3_000
    [spool] = client_spools(data)
    assert str(spool) in left["where"] and "INFO 3000" in left["where"]
    assert "not delivered" in err
    daemon = DaemonProcess(data).start()
    try:
        p2 = producer(data, 10_000, 1_000)
        out, err = p2.communicate(timeout=240)
        assert "CLOSED True {}" in out, out + err
        got = stored(daemon)
        assert (got["n"], got["d"]) == (4_000, 4_000)
    finally:
        daemon.cleanup()


def test_a_sigkilled_producer_loses_at_most_what_log_accepted_since_the_last_hand_off(
    daemon: DaemonProcess,
) -> None:
    capacity = load_config().ingest.queue_capacity
    p = producer(daemon.data_dir, 0, 2_000_000, pace=0.0)
    seen = 0
    deadline = time.monotonic() + 60
    assert p.stdout is not None
    while seen < 60_000 and time.monotonic() < deadline:
        line = p.stdout.readline()
        if line.strip().isdigit():
            seen = int(line)
    p.kill()
    p.wait(30)
    assert seen >= 60_000
    got = stored(daemon)
    ids = got["ids"]
    assert got["n"] == got["d"]
    # Everything accepted more than `capacity` events before the last acceptance we saw is
    # stored (or spooled): the loss is bounded by the queue, as the README states.
    adopt_orphans(daemon.data_dir / "spool" / "client", Path("/nonexistent"), _sink(daemon), 1 << 30)
    got = stored(daemon)
    ids = got["ids"]
    missing_early = [i for i in range(seen - capacity) if f"e{i:08d}" not in ids]
    assert missing_early == []
    assert got["n"] == got["d"]


def _sink(daemon: DaemonProcess) -> Any:
    from huracan.ingest.client import DaemonSink

    return DaemonSink(daemon.url)


def test_a_disk_full_spool_leaves_no_torn_batch_and_no_duplicates(tmp_path: Path, monkeypatch: Any) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = load_config(data_dir=data, api={"port": free_port()})
    events = [
        e.model_copy(update={"event_id": f"f{i:06d}"}) for i, e in enumerate(sample_events("signal", n=6_000, seed=9))
    ]
    log = connect(f"http://127.0.0.1:{settings.api.port}", settings, name="engine", start=False)
    spool = log.spool
    assert spool is not None
    real_open = Spool._open_segment

    def full_disk_segment(self: Spool) -> Any:
        seg = real_open(self)
        fh = self._fh

        class HalfWrites:
            # The disk fills mid-batch: half the bytes land, then ENOSPC (the edge we don't own).
            def __init__(self, f: Any) -> None:
                self.f = f
                self.name = f.name

            def write(self, data: bytes) -> int:
                self.f.write(data[: len(data) // 2])
                self.f.flush()
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self, k: str) -> Any:
                return getattr(self.f, k)

        self._fh = HalfWrites(fh)
        return seg

    monkeypatch.setattr(Spool, "_open_segment", full_disk_segment)
    log.writer.retry_attempts = 0
    log.start()
    for e in events:
        log.log(e)
    log.flush(timeout=30)
    # Nothing torn is left on disk: the half batch was cut off, the events held in memory.
    for seg in spool.directory.glob("*.jsonl"):
        assert all(line.endswith(b"}") for line in seg.read_bytes().splitlines())
    monkeypatch.setattr(Spool, "_open_segment", real_open)
    daemon = DaemonProcess(data, port=settings.api.port).start()
    try:
        assert log.close(timeout=120), log.left
        got = stored(daemon)
        assert (got["n"], got["d"]) == (6_000, 6_000)
        # And a torn segment from an older client (before the cut existed) replays once too.
        old = data / "spool" / "client" / "engine.1"
        old.mkdir(parents=True)
        lines = [e.model_dump_json() for e in events[:100]]
        (old / "000000000001.jsonl").write_text("\n".join(lines) + "\n" + lines[0][:40])
        assert adopt_orphans(data / "spool" / "client", Path("/none"), _sink(daemon), 1 << 30) == 100
        got = stored(daemon)
        assert (got["n"], got["d"]) == (6_000, 6_000)
        assert not old.exists()
    finally:
        daemon.cleanup()
