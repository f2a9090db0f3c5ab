"""The exactly-once scenarios of issue 14 as rows, for ``make faults`` (``benchmarks/faults.py``).

Each scenario is one test that reproduces a failure the issue reported, with real daemon
and producer processes, and ends by counting rows and distinct event ids in the store
(``tests/test_ingest_exactly_once.py``, ``tests/test_ingest_log.py``). This module runs
them and returns one row per scenario, so the fault report can include them without a
second copy of the scenarios::

    from benchmarks.exactly_once import rows
    for row in rows():  # {"name", "scenario", "expected", "passed", "seconds"}
        ...

    .venv/bin/python benchmarks/exactly_once.py      # prints the rows as JSON lines
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: (row name, pytest node id, what happens, what must hold)
SCENARIOS: list[tuple[str, str, str, str]] = [
    (
        "lost_answer_then_producer_restart",
        "tests/test_ingest_exactly_once.py::test_lost_answers_then_a_producer_restart_land_exactly_n_rows",
        "the daemon stores every batch but no answer reaches the producer; a new producer process starts",
        "exactly N rows, N distinct ids; the dead process's spool is sent and removed",
    ),
    (
        "disk_full_torn_spool",
        "tests/test_ingest_exactly_once.py::test_a_disk_full_spool_leaves_no_torn_batch_and_no_duplicates",
        "the spool's disk fills mid-batch; then an old torn segment is replayed",
        "no half batch on disk; exactly N rows, N distinct ids",
    ),
    (
        "sigkilled_producer_loss_bound",
        "tests/test_ingest_exactly_once.py::test_a_sigkilled_producer_loses_at_most_what_log_accepted_since_the_last_hand_off",
        "a producer logging at full speed is SIGKILLed",
        "every event accepted more than ingest.queue_capacity events before the kill is stored; no duplicates",
    ),
    (
        "two_producers_one_host",
        "tests/test_ingest_exactly_once.py::test_two_producers_on_one_host_with_plain_connect",
        "two processes call the plain connect() on one host",
        "both deliver: exactly 2N rows, 2N distinct ids",
    ),
    (
        "close_with_daemon_down",
        "tests/test_ingest_exactly_once.py::test_close_with_the_daemon_down_says_what_is_left_and_where",
        "close() while the daemon is down, then a later process with the daemon up",
        "close() returns False naming the count and the spool; the later process delivers exactly N",
    ),
    (
        "daemon_sigkill_mid_ingest",
        "tests/test_ingest_log.py::test_sigkill_at_any_moment_loses_nothing_acknowledged_and_duplicates_nothing",
        "the daemon is SIGKILLed three times mid-ingest; clients resend what was not (or maybe was) acknowledged",
        "nothing acknowledged lost, nothing duplicated: 30,000 rows, 30,000 distinct ids",
    ),
    (
        "ingest_log_torn_tail",
        "tests/test_ingest_log.py::test_a_torn_tail_is_cut_at_every_byte_of_the_last_record",
        "the log's last record is cut at every byte",
        "the torn record is cut, every earlier record kept",
    ),
]


def run_node(node: str) -> tuple[bool, float, str]:
    """Run one scenario's test; (passed, seconds, the last lines of its output)."""
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", node],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = (res.stdout + res.stderr).strip().splitlines()
    # What the store held at each check ("[store] N rows, N distinct ids"), else pytest's last words.
    counts = [ln.split("[store] ", 1)[1] for ln in lines if "[store] " in ln]
    tail = ("; ".join(counts[-3:]) if counts else " ".join(lines[-3:]))[-400:]
    return res.returncode == 0, round(time.perf_counter() - t0, 1), tail


def rows() -> list[dict[str, Any]]:
    """Run every scenario (real processes; a few minutes) and report one row each."""
    out = []
    for name, node, scenario, expected in SCENARIOS:
        passed, seconds, _tail = run_node(node)
        out.append({"name": name, "scenario": scenario, "expected": expected, "passed": passed, "seconds": seconds})
    return out


if __name__ == "__main__":
    for row in rows():
        print(json.dumps(row))
