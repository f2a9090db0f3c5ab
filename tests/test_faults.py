"""The fast part of the fault suite (`benchmarks/faults.py --fast`), under pytest.

`make faults` runs every scenario (daemon kills, a full disk, channels and models down);
these are the ones quick enough for every `make test`. Each row must hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.faultlib.core import render_table
from benchmarks.faults import REGISTRY, Lab

pytestmark = pytest.mark.slow

FAST = [s for s in REGISTRY if s.fast]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(Path(tmp_path_factory.mktemp("faults")))
    try:
        yield lab
    finally:
        lab.close()


def test_the_suite_has_every_promised_scenario() -> None:
    names = " ".join(s.name for s in REGISTRY).lower()
    for needle in ("sigkill", "sigterm under load", "disk full", "smtp down", "telegram and discord down", "429",
                   "every model failing", "hangs", "burst", "tampered", "forged", "hostile text", "planted secret",
                   "read_text", "catch-up", "not ready", "plain string", "cold uri", "plugin"):  # fmt: skip
        assert needle in names, needle
    assert len(FAST) >= 10


@pytest.mark.parametrize("sc", FAST, ids=[s.run.__name__ for s in FAST])
def test_fast_fault_scenario_holds(lab: Lab, sc: object) -> None:
    row = lab.run(sc)  # type: ignore[arg-type]
    assert row.holds, render_table([row])
