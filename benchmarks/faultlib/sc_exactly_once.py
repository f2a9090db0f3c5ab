"""Issue 14's exactly-once scenarios in the fault suite.

Each runs its real-process test from ``benchmarks/exactly_once.py`` (lost answers and a
producer restart, a disk-full spool, a SIGKILLed producer, two producers on one host,
``close()`` with the daemon down, SIGKILLs of the daemon mid-ingest, torn log tails), so
the scenario and its check exist once.
"""

from __future__ import annotations

from benchmarks.exactly_once import SCENARIOS, run_node
from benchmarks.faultlib.core import Lab, scenario


def _register(node: str, what: str, expected: str) -> None:
    def run(_lab: Lab) -> tuple[str, bool]:
        passed, _seconds, tail = run_node(node)
        return (f"held; {tail}" if passed else f"did not hold: {tail}"), passed

    scenario(f"Exactly once (issue 14): {what}", expected)(run)


for _name, _node, _what, _expected in SCENARIOS:
    _register(_node, _what, _expected)
