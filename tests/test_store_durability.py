"""Durability across processes: SIGKILL'd writer, single-writer lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from huracan.config import load_config
from huracan.store import Store, StoreLockedError

WRITER = textwrap.dedent(
    """
    import sys
    from huracan.config import load_config
    from huracan.samples import sample_events
    from huracan.store import Store

    store = Store.open(load_config(data_dir=sys.argv[1]))
    committed = 0
    for seed in range(10_000):
        batch = list(sample_events("gate_decision", n=500, seed=seed))
        committed += store.write_events(batch)
        print(committed, flush=True)  # after write_events returns: committed
    """
)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from huracan.config import load_config
    from huracan.store import Store

    store = Store.open(load_config(data_dir=sys.argv[1]))
    print("open", flush=True)
    time.sleep(60)
    """
)


def _spawn(script: str, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )


@pytest.mark.slow
def test_sigkilled_writer_keeps_every_committed_batch(data_dir: Path) -> None:
    proc = _spawn(WRITER, data_dir)
    assert proc.stdout is not None
    committed = 0
    try:
        deadline = time.monotonic() + 60
        while committed < 5_000 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"writer died early: {proc.stderr.read() if proc.stderr else ''}")
            committed = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)  # mid-stream: the next batch may be half-inserted
        proc.wait(timeout=30)
    assert committed >= 5_000
    with Store.open(load_config(data_dir=data_dir)) as store:  # replays the WAL
        [row] = store.query("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM v_gate_decision")
    assert row["n"] == row["d"]  # every event at most once
    assert row["n"] >= committed  # nothing committed was lost
    assert row["n"] % 500 == 0  # batches are all-or-nothing


@pytest.mark.slow
def test_second_writer_gets_an_actionable_error(data_dir: Path) -> None:
    proc = _spawn(HOLDER, data_dir)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
        with pytest.raises(StoreLockedError, match=r"open read-write in another process.*daemon"):
            Store.open(load_config(data_dir=data_dir), read_only=True)
    finally:
        proc.kill()
        proc.wait(timeout=30)
