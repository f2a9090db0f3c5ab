"""The daemon's process at the worst moment: SIGKILL, SIGTERM, a full disk, a burst (issue 13)."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks.faultlib.core import Lab, scenario
from benchmarks.faultlib.servers import free_port
from tests.daemon_helpers import DaemonProcess, run_cli


def _lines(prefix: str, n: int, etype: str = "signal") -> list[bytes]:
    from huracan.samples import sample_events

    pool = [e.model_dump(mode="json") for e in sample_events(etype, n=50, seed=11)]
    return [json.dumps(dict(pool[i % len(pool)], event_id=f"{prefix}-{i:07d}")).encode() for i in range(n)]


def _counts(d: DaemonProcess, prefix: str, view: str = "v_signal") -> tuple[int, int]:
    sql = f"SELECT count(*), count(DISTINCT event_id) FROM {view} WHERE event_id LIKE '{prefix}-%'"
    row = httpx.post(d.url + "/v1/sql", json={"sql": sql}, params={"format": "json"}, timeout=60).json()["rows"][0]
    return int(row[0]), int(row[1])


@scenario(
    "SIGKILL of the daemon mid-ingest (the client keeps logging, the daemon restarts)",
    "exactly once: N events logged → N rows, N distinct ids",
)
def sigkill_mid_ingest(lab: Lab) -> tuple[str, bool]:
    from huracan.config import load_config
    from huracan.events import parse_event
    from huracan.ingest.client import connect

    n = 30_000
    port = free_port()
    data = lab.empty("sigkill")
    # A queue that holds the whole run: this scenario is about durability, not shedding.
    client_cfg = load_config(
        data_dir=lab.empty("sigkill-client"),
        ingest={"flush_interval_s": 0.2, "batch_size": 2000, "queue_capacity": 100_000},
    )
    events = [parse_event(line) for line in _lines("k", n)]
    with lab.daemon(data, port=port) as d:
        log = connect(url=d.url, settings=client_cfg)
        for i, e in enumerate(events):
            log.log(e)
            if i == n // 3:
                time.sleep(0.5)  # some batches acknowledged, one in flight
                d.kill()
        restarted = DaemonProcess(data, port=port, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"})
        lab._daemons.append(restarted)
        restarted.start()
        drained = log.flush(timeout=180)
        log.close(timeout=60)
        rows, distinct = _counts(restarted, "k")
        stats = log.stats()
        assert restarted.terminate() == 0
    return (
        f"logged {n:,}, client drained: {drained}; stored {rows:,} rows, {distinct:,} distinct ids; "
        f"client dropped {stats.get('dropped_total', 0)}",
        drained and rows == n and distinct == n,
    )


@scenario(
    "SIGTERM under load (3 clients posting 2,000-event batches)",
    "exit 0; every acknowledged batch stored, no batch half-stored",
)
def sigterm_under_load(lab: Lab) -> tuple[str, bool]:
    batch = 2000
    data = lab.empty("sigterm-load")
    acked: list[int] = []
    sent: list[int] = []
    stop = threading.Event()
    with lab.daemon(data) as d:
        url = d.url

        def client(k: int) -> None:
            i = 0
            with httpx.Client(timeout=60) as c:
                while not stop.is_set():
                    body = b"\n".join(_lines(f"t{k}x{i}", batch))
                    i += 1
                    try:
                        r = c.post(url + "/v1/events", content=body, headers={"Content-Type": "application/x-ndjson"})
                    except httpx.HTTPError:
                        sent.append(batch)
                        return
                    sent.append(batch)
                    if r.status_code == 200:
                        acked.append(batch)
                    elif r.status_code == 503:
                        return

        threads = [threading.Thread(target=client, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        time.sleep(3)
        code = d.terminate(timeout=120)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    from huracan.config import load_config
    from huracan.store import Store

    with Store.open(load_config(data_dir=data), read_only=True) as store:
        stored = int(store.query("SELECT count(*) AS n FROM v_signal")[0]["n"])
    a, s = sum(acked), sum(sent)
    return (
        f"exit {code}; acknowledged {a:,} of {s:,} sent; stored {stored:,}",
        code == 0 and a > 0 and a <= stored <= s and (stored - a) % batch == 0,
    )


@scenario(
    "SIGTERM while the start-up catch-up runs the nightly pipeline",
    "the running night finishes, exit 0 (no 'connection is busy'); a restart finds it done",
)
def sigterm_catch_up(lab: Lab) -> tuple[str, bool]:
    data = lab.copy("sigterm-catchup")
    with lab.daemon(data, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "2"}) as d:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(r["status"] == "running" for r in d.get("/v1/jobs?job=nightly").json()):
                break
            time.sleep(0.1)
        code = d.terminate(timeout=180)
        log = d.log()
    listed = json.loads(run_cli("jobs", "--json", "--job", "nightly", data_dir=data).stdout or "[]")
    statuses = [r["status"] for r in listed]
    clean = "busy" not in log and "Traceback" not in log
    return (
        f"exit {code}; clean log: {clean}; nights recorded {statuses}",
        code == 0 and clean and "ok" in statuses and "running" not in statuses,
    )


@contextlib.contextmanager
def _small_disk(root: Path, mb: int) -> Iterator[tuple[Path, str, list[str]]]:
    """A data dir on a ``mb`` MiB tmpfs (root); else a shell with ``ulimit -f`` (RLIMIT_FSIZE)."""
    mnt = root / "tmpfs"
    mnt.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mb}m", "tmpfs", str(mnt)], capture_output=True)
    try:
        if mounted.returncode == 0:
            yield mnt / "data", f"tmpfs of {mb} MiB", []
        else:  # no privilege to mount: cap the size of any file the daemon writes instead
            yield mnt / "data", f"RLIMIT_FSIZE {mb} MiB (no tmpfs: {mounted.stderr.decode().strip()[:40]})", [
                "sh", "-c", f"ulimit -f {mb * 1024}; exec \"$0\" \"$@\"",
            ]  # fmt: skip
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


class _LimitedDaemon(DaemonProcess):
    def __init__(self, data_dir: Path, wrapper: list[str], **kw: Any) -> None:
        super().__init__(data_dir, **kw)
        self.wrapper = wrapper

    def start(self, wait: bool = True) -> DaemonProcess:
        import sys

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        cmd = [sys.executable, "-m", "huracan", "daemon", "--host", self.host, "--port", str(self.port)]
        self.proc = subprocess.Popen([*self.wrapper, *cmd], env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self


@scenario(
    "Disk full on the data dir while ingesting",
    "a clear 507 to the producer (batch not stored, nothing half-written); after space returns the resend lands; "
    "restart: every acknowledged event once",
)
def disk_full(lab: Lab) -> tuple[str, bool]:
    batch = 2000
    with _small_disk(lab.root / "diskfull", 40) as (data, how, wrapper):
        d = _LimitedDaemon(data, wrapper, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"})
        lab._daemons.append(d)
        d.start()
        filler = data.parent / "filler" if not wrapper else None
        if filler is not None:  # leave ~6 MiB free on the tmpfs
            free = shutil.disk_usage(data).free
            with filler.open("wb") as f:
                f.write(b"\0" * max(free - 6 * 1024 * 1024, 0))
        acked, full, detail, i = 0, None, "", 0
        while i < 400:
            body = b"\n".join(_lines(f"f{i}", batch))
            r = httpx.post(
                d.url + "/v1/events", content=body, headers={"Content-Type": "application/x-ndjson"}, timeout=60
            )
            if r.status_code == 200:
                acked += batch
                i += 1
                continue
            full, detail = r.status_code, r.json().get("detail", r.text)[:120]
            break
        healthy = httpx.get(d.url + "/healthz", timeout=10).status_code == 200
        if filler is not None:
            filler.unlink()
        d.terminate(timeout=60)
        # Space is back (and, with RLIMIT_FSIZE, the limit is gone): the producer resends its batch.
        d2 = DaemonProcess(data, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"}).start()
        lab._daemons.append(d2)
        r = httpx.post(
            d2.url + "/v1/events",
            content=b"\n".join(_lines(f"f{i}", batch)),
            headers={"Content-Type": "application/x-ndjson", "X-Huracan-Replay": "1"},
            timeout=60,
        )
        rows, distinct = (0, 0)
        sql = "SELECT count(*), count(DISTINCT event_id) FROM v_signal"
        got = httpx.post(d2.url + "/v1/sql", json={"sql": sql}, params={"format": "json"}, timeout=60).json()["rows"][0]
        rows, distinct = int(got[0]), int(got[1])
        code = d2.terminate(timeout=60)
    want = acked + batch
    return (
        f"{how}: {acked:,} acknowledged, then HTTP {full} ({detail}); serving meanwhile: {healthy}; "
        f"after space returned: resend {r.status_code}, stored {rows:,} rows / {distinct:,} ids of {want:,}; exit {code}",
        full == 507
        and "full" in detail
        and healthy
        and r.status_code == 200
        and rows == distinct == want
        and code == 0,
    )


@scenario(
    "A 10× burst into the logger (10,000 events into a 1,000 queue, 5 % CRITICAL, slow sink)",
    "no CRITICAL event lost; every drop counted by severity",
    fast=True,
)
def burst(lab: Lab) -> tuple[str, bool]:
    from huracan.config import load_config
    from huracan.events import parse_event
    from huracan.ingest import EventLogger

    class SlowSink:
        def __init__(self) -> None:
            self.ids: set[str] = set()

        def write_events(self, events: list[Any]) -> None:
            time.sleep(0.02)
            self.ids.update(e.event_id for e in events)

    cfg = load_config(data_dir=lab.empty("burst"), ingest={"queue_capacity": 1000, "batch_size": 200})
    sink = SlowSink()
    log = EventLogger(sink, cfg.ingest, spool_dir=cfg.spool_dir).start()
    lines = _lines("b", 10_000, etype="alert")
    critical: set[str] = set()
    for i, raw in enumerate(lines):
        data = json.loads(raw)
        if i % 20 == 0:
            data["severity"] = "CRITICAL"
            critical.add(data["event_id"])
        else:
            data["severity"] = ("DEBUG", "INFO", "WARNING", "ERROR")[i % 4]
        log.log(parse_event(data))
    log.close(timeout=120)
    stats = log.stats()
    kept = len(critical & sink.ids)
    dropped = stats.get("dropped") or stats.get("dropped_by_severity") or {}
    return (
        f"CRITICAL kept {kept}/{len(critical)}; delivered {len(sink.ids):,} of 10,000; drops {dropped}",
        kept == len(critical) and stats.get("dropped_total", 0) == 10_000 - len(sink.ids),
    )


@scenario(
    "Cold archive unreachable (issue 15's error, checked here)",
    "a read needing the archive fails loudly (non-zero exit, no silent hot-only numbers)",
)
def archive_unreachable(lab: Lab) -> tuple[str, bool]:
    port = free_port()
    uri = f"s3://huracan-archive/cold?region=us-east-1&endpoint_override=127.0.0.1:{port}&scheme=http"
    env = {"HURACAN_STORE__COLD_URI": uri, "AWS_ACCESS_KEY_ID": "fault", "AWS_SECRET_ACCESS_KEY": "fault-suite-key"}
    t0 = time.perf_counter()
    res = run_cli("trades", "stats", "--json", data_dir=lab.copy("archive-down"), env=env, timeout=300)
    took = time.perf_counter() - t0
    numbers = res.stdout.strip().startswith("{")
    return (
        f"exit {res.returncode} after {took:.0f} s; printed numbers: {numbers}; stderr: {res.stderr.strip()[:90]}",
        res.returncode != 0 and not numbers and "Traceback" not in res.stderr,
    )
