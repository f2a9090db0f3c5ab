"""`huracan models list` asks the store a fixed number of questions, whatever the number of models (issue 14)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from huracan.analytics.evolution import model_line
from huracan.config import load_config
from huracan.simulate import simulate
from huracan.store import Store
from huracan.store.registry import ModelRegistry
from tests.daemon_helpers import DaemonProcess, run_cli


class Counting:
    """A cursor that counts the statements it runs."""

    def __init__(self, cur: Any) -> None:
        self.cur, self.n = cur, 0

    def execute(self, sql: str, params: Any = None) -> Any:
        self.n += 1
        return self.cur.execute(sql, params or [])


def _simulated(tmp_path: Path) -> Any:
    settings = load_config(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    events: list[Any] = []
    simulate(
        settings,
        emit=events.append,
        registry=lambda e: ModelRegistry(settings, e),
        days=4,
        end=date(2025, 11, 30),
        signals_per_day=150,
    )
    with Store.open(settings) as store:
        store.write_events(events)
    return settings


def test_the_model_list_is_one_query_and_the_same_answer(tmp_path: Path) -> None:
    settings = _simulated(tmp_path)
    now = datetime.now(UTC)
    with Store.open(settings, read_only=True) as store:
        slow = ModelRegistry(settings, store=Counting(store.cursor()))
        # no sidecars: everything must come from the events (as on a host that only has the store)
        slow.dir = tmp_path / "empty"
        fast = ModelRegistry(settings, store=Counting(store.cursor()), registry_dir=tmp_path / "empty")
        fast.preload()
        a = [
            (r["version"], slow.attestation(r["version"].model_id, now, verify_artifact=False))
            for r in model_line(slow)
        ]
        b = [
            (r["version"], fast.attestation(r["version"].model_id, now, verify_artifact=False))
            for r in model_line(fast)
        ]
    assert len(a) >= 4
    assert a == b
    # Every question is asked once, whatever the number of models: the registry's own
    # (metadata, sessions, importances, exports, acks, the pending-ack rule) and the
    # readiness rule's (huracan.analytics.readiness: sessions, calibration, chain).
    print(f"queries: preloaded {fast.store.n}, per model {slow.store.n} for {len(a)} models")
    assert fast.store.n <= 2 + 3
    assert slow.store.n >= fast.store.n + 7 * len(a) - 5


def test_models_list_through_the_daemon_equals_direct(tmp_path: Path) -> None:
    settings = _simulated(tmp_path)
    direct = run_cli("models", "list", "--json", data_dir=settings.data_dir)
    assert direct.returncode == 0, direct.stderr
    daemon = DaemonProcess(settings.data_dir).start()
    try:
        via = run_cli("models", "list", "--json", data_dir=settings.data_dir)
    finally:
        daemon.terminate()
    assert via.returncode == 0, via.stderr
    assert via.stdout == direct.stdout
