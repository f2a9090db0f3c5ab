"""A job runs on every acknowledged event, never on the part the loader has reached.

The ingest log is the point of durability and a loader moves it into DuckDB in batches
(issue 14), so for up to ``interval_s`` after a 2xx an event is in the log but not in the
store. `huracan demo` triggers the nightly right after its last batch is acknowledged, and
once published a digest saying "no Engine data" for a day holding 9,761 Engine events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huracan.config import load_config
from huracan.daemon import service as service_mod
from huracan.daemon.api import build_app
from huracan.daemon.jobs import Job, JobContext
from huracan.daemon.service import Daemon
from huracan.samples import sample_events

N = 40


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(load_config(data_dir=tmp_path / "data"))
    d.open()
    d.loader.interval_s = 1.5  # a loader that lags behind the acknowledgement, as under load
    yield d
    d.close()


def _post_signals(d: Daemon) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    lines = [
        e.model_copy(update={"ts": now + timedelta(seconds=i)}).model_dump_json()
        for i, e in enumerate(sample_events("signal", n=N, seed=5))
    ]
    client = TestClient(build_app(d))
    r = client.post("/v1/events", content="\n".join(lines), headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == N


def _counting(d: Daemon, needs_loaded: bool = True) -> str:
    def count(ctx: JobContext, day: Any) -> dict[str, Any]:
        return {"signals": int(ctx.store.query("SELECT count(*) AS n FROM ev_signal")[0]["n"])}

    d.jobs["count"] = Job("count", count, "count the stored signals", needs_loaded=needs_loaded)
    return "count"


def test_a_job_sees_every_acknowledged_event(daemon: Daemon) -> None:
    _post_signals(daemon)
    out = asyncio.run(daemon.run_job(_counting(daemon)))
    assert out["status"] == "ok", out
    assert out["detail"]["signals"] == N


def test_without_the_wait_the_same_job_would_miss_them(daemon: Daemon) -> None:
    # The control: proves the lag the test above closes is real in this setup.
    _post_signals(daemon)
    out = asyncio.run(daemon.run_job(_counting(daemon, needs_loaded=False)))
    assert out["detail"]["signals"] < N


def test_a_loader_that_cannot_catch_up_fails_the_job_instead_of_running_on_part(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_mod, "JOB_LOAD_WAIT_S", 0.1)
    daemon.loader.interval_s = 5.0
    _post_signals(daemon)
    ran: list[bool] = []
    name = _counting(daemon)
    job = daemon.jobs[name]

    def spy(ctx: JobContext, day: Any) -> dict[str, Any] | None:
        ran.append(True)
        return job.run(ctx, day)

    daemon.jobs[name] = Job(name, spy, "count", needs_loaded=True)
    out = asyncio.run(daemon.run_job(name))
    assert out["status"] == "error" and not ran
    assert "did not run on partial data" in out["error"] and f"huracan jobs run {name}" in out["error"]


def test_the_monitor_tick_does_not_wait(daemon: Daemon) -> None:
    from huracan.daemon.jobs import JOBS

    assert JOBS["monitor"].needs_loaded is False
    assert all(j.needs_loaded for n, j in JOBS.items() if n != "monitor")
