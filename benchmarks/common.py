"""Helpers every benchmark shares: CPU time of process trees, the machine's load, a row."""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Row", "cpu_seconds", "cpu_seconds_tree", "load_note", "machine", "print_rows", "rss_mb_of"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
            out += [int(c) for c in text.split()]
    except OSError:
        pass
    return out


def cpu_seconds_tree(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants (e.g. a server's worker processes)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += cpu_seconds(p)
        except OSError:
            continue
        todo += _children(p)
    return total


def wait_idle(pid: int, quiet_s: float = 1.0, timeout_s: float = 180.0) -> float:
    """Wait until ``pid`` (and its children) used < 5 % of a CPU for ``quiet_s``; the seconds waited.

    A freshly started daemon catches up missed nightly runs: a read timed meanwhile would
    measure the catch-up, not the read.
    """
    import time

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        c0 = cpu_seconds_tree(pid)
        time.sleep(quiet_s)
        if cpu_seconds_tree(pid) - c0 < 0.05 * quiet_s:
            break
    return time.monotonic() - t0


def rss_mb_of(pid: int) -> float:
    """Resident memory of ``pid`` in MiB."""
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} (1/5 min) on {os.cpu_count()} cpus"


def machine() -> dict[str, Any]:
    """What the figures ran on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


@dataclass
class Row:
    """One line of ``benchmarks/results.json``: a figure, its in-run baseline and its target.

    ``higher_is_better`` decides how ``met`` reads the target (``value >= target`` or
    ``value <= target``); ``ratio`` is value / baseline_value.
    """

    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    target: float | None = None
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline_value in (None, 0):
            return None
        return round(self.value / float(self.baseline_value), 3)  # type: ignore[arg-type]

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = self.ratio
        d["met"] = self.met
        return d


def print_rows(rows: Callable[[bool], list[Row]], doc: str | None) -> None:
    """A benchmark module run on its own: ``--quick``, then its rows as JSON lines."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    for r in rows(ap.parse_args().quick):
        print(json.dumps(r.as_dict()))
