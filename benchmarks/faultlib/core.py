"""The fault suite's machinery: scenarios, the lab they share, and the verdict table.

A scenario attacks one promise for real (a daemon process, a real SMTP server, fake chat
and LLM servers on 127.0.0.1, a full disk) and returns what it observed and whether the
promise held. Every scenario can fail: each checks an observable outcome, never that code
merely ran. An exception inside a scenario is a row that does not hold.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.daemon_helpers import DaemonProcess

__all__ = ["REGISTRY", "Lab", "Row", "Scenario", "render_table", "scenario"]


@dataclass
class Row:
    """One line of ``benchmarks/faults.json``."""

    scenario: str
    expected: str
    observed: str
    holds: bool
    seconds: float = 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    expected: str
    fast: bool
    run: Callable[[Lab], tuple[str, bool]]


REGISTRY: list[Scenario] = []


def scenario(name: str, expected: str, *, fast: bool = False) -> Callable[[Callable[[Lab], tuple[str, bool]]], Any]:
    """Register ``fn(lab) -> (observed, holds)``; ``fast`` scenarios also run under pytest."""

    def deco(fn: Callable[[Lab], tuple[str, bool]]) -> Callable[[Lab], tuple[str, bool]]:
        REGISTRY.append(Scenario(name, expected, fast, fn))
        return fn

    return deco


@dataclass
class Lab:
    """What scenarios share: a scratch root, one simulated history (copied per use), daemons."""

    root: Path
    _template: Path | None = None
    _daemons: list[DaemonProcess] = field(default_factory=list)
    _shared: dict[str, Any] = field(default_factory=dict)

    def template(self) -> Path:
        """A data dir holding two simulated days (built once, never written to)."""
        if self._template is None:
            from huracan.testing import simulated_data_dir

            self._template = simulated_data_dir(self.root / "template", days=2, signals_per_day=80)
        return self._template

    def copy(self, name: str) -> Path:
        """A private copy of :meth:`template`."""
        dst = self.root / name
        shutil.copytree(self.template(), dst)
        return dst

    def empty(self, name: str) -> Path:
        d = self.root / name
        d.mkdir(parents=True)
        return d

    @contextlib.contextmanager
    def daemon(self, data_dir: Path, env: dict[str, str] | None = None, port: int = 0) -> Iterator[DaemonProcess]:
        """A started ``huracan daemon``; killed at the end if the scenario did not stop it."""
        env = {"HURACAN_SCHEDULER__CATCHUP_DAYS": "0", **(env or {})}
        d = DaemonProcess(data_dir, port=port, env=env)
        self._daemons.append(d)
        try:
            d.start()
            yield d
        finally:
            d.cleanup()

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """A value several scenarios share (a running daemon), made on first use."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    def close(self) -> None:
        for value in self._shared.values():
            closer = getattr(value, "close", None)
            if callable(closer):
                with contextlib.suppress(Exception):
                    closer()
        for d in self._daemons:
            d.cleanup()

    def run(self, sc: Scenario) -> Row:
        t0 = time.perf_counter()
        try:
            observed, holds = sc.run(self)
        except Exception as exc:  # a scenario that breaks is a promise that did not hold
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            observed, holds = f"scenario raised {tb[:300]}", False
        return Row(sc.name, sc.expected, observed, bool(holds), round(time.perf_counter() - t0, 1))


def render_table(rows: list[Row]) -> str:
    """The verdict table, as Markdown (readable in a terminal, pasteable in a note)."""

    def esc(text: str) -> str:
        return " ".join(text.replace("|", "\\|").split())

    lines = ["| # | scenario | expected | observed | verdict |", "|---|---|---|---|---|"]
    for i, r in enumerate(rows, 1):
        verdict = "holds" if r.holds else "**FAILS**"
        lines.append(f"| {i} | {esc(r.scenario)} | {esc(r.expected)} | {esc(r.observed)} | {verdict} |")
    held = sum(r.holds for r in rows)
    lines.append(f"\n{held}/{len(rows)} hold; {sum(r.seconds for r in rows):.0f} s of scenarios")
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path) -> None:
    """``[{scenario, expected, observed, holds, seconds}]`` — the issue's contract plus timing."""
    path.write_text(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
