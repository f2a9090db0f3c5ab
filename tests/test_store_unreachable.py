"""The archive unreachable is an error in every face: one line, exit 3, never a hot-only answer.

Today's answers over hot alone would look plausible and be wrong (the 7- and 30-day
comparisons, totals, win rates over a range): the CLI, the daemon's /v1/sql and the
metrics snapshot must refuse instead.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli import app
from huracan.cli.errors import EXIT_ARCHIVE_UNAVAILABLE
from huracan.config import Settings, load_config
from huracan.events import EventBase
from huracan.samples import sample_events
from huracan.store import Store

runner = CliRunner()
NOW = datetime(2025, 11, 13, 0, 45, tzinfo=UTC)


def _spread(events: list[EventBase], first: date, days: int) -> list[EventBase]:
    base = datetime(first.year, first.month, first.day, 9, tzinfo=UTC)
    return [e.model_copy(update={"ts": base + timedelta(days=i % days, minutes=i)}) for i, e in enumerate(events)]


@pytest.fixture
def rolled(data_dir: Path) -> Settings:
    """Closed trades over 10 days, the older ones rolled to cold."""
    settings = load_config(data_dir=data_dir)
    outcomes = [e for e in sample_events("shadow_outcome", n=80, seed=4)]
    with Store.open(settings) as store:
        store.write_events(_spread(outcomes, date(2025, 11, 3), 10))
        assert store.roll(NOW).rows > 0
    return settings


def _break(settings: Settings) -> None:
    cold = Path(settings.cold_uri)
    shutil.move(cold, cold.with_name("cold-away"))
    cold.write_text("a file where the archive should be: listing it fails")


@pytest.mark.parametrize(
    "args",
    [
        ["trades", "stats", "--json"],
        ["trades", "stats"],
        ["metrics", "--json"],
        ["metrics", "--date", "2025-11-12", "--json"],  # a hot day: its 7-day comparison needs cold
        ["store", "info", "--json"],
    ],
)
def test_cli_fails_with_one_line_and_exit_3(rolled: Settings, args: list[str]) -> None:
    ok = runner.invoke(app, ["--data-dir", str(rolled.data_dir), *args])
    assert ok.exit_code == 0, ok.output
    _break(rolled)
    res = runner.invoke(app, ["--data-dir", str(rolled.data_dir), *args])
    assert res.exit_code == EXIT_ARCHIVE_UNAVAILABLE, res.output
    # One message (rich wraps it at the test terminal's 80 columns), nothing else.
    text = " ".join(res.output.split())
    assert text.startswith("error: the cold archive ") and " is unreachable: " in text
    assert text.count("error:") == 1 and "Traceback" not in text


def test_metrics_snapshot_raises_instead_of_failing_metric_by_metric(rolled: Settings) -> None:
    from huracan.analytics.metrics import compute_snapshot
    from huracan.plugins.manager import get_plugins
    from huracan.store import ArchiveUnavailable

    plugins = get_plugins(rolled, entry_points=False)
    _break(rolled)
    with Store.open(rolled) as store, pytest.raises(Exception) as info:
        compute_snapshot(store.cursor(), date(2025, 11, 12), plugins, rolled)
    assert "the cold archive" in str(info.value)
    with Store.open(rolled) as store, pytest.raises(ArchiveUnavailable):
        store.query("SELECT count(*) FROM v_shadow_outcome WHERE day = DATE '2025-11-12'")


def test_no_daemon_needed_for_the_message_to_survive_json_transport(rolled: Settings) -> None:
    # Through the daemon the message travels inside {"detail": "query failed: …"}; the
    # root command finds it there too.
    from huracan.store.cold import archive_error

    _break(rolled)
    with Store.open(rolled) as store:
        msg = store.cold_error
    assert msg
    wrapped = RuntimeError("daemon query failed (400): " + json.dumps({"detail": f"query failed: {msg}"}))
    err = archive_error(wrapped)
    assert err is not None and str(err).startswith("the cold archive ") and '"' not in str(err)


@pytest.mark.slow
def test_through_a_running_daemon(rolled: Settings) -> None:
    from tests.daemon_helpers import DaemonProcess, free_port, run_cli

    _break(rolled)
    daemon = DaemonProcess(rolled.data_dir, port=free_port()).start()
    try:
        assert daemon.get("/healthz").status_code == 200  # ingest and the API stay up
        res = run_cli("trades", "stats", "--json", data_dir=rolled.data_dir)
        assert res.returncode == EXIT_ARCHIVE_UNAVAILABLE, res.stdout + res.stderr
        assert res.stdout == "" and "Traceback" not in res.stderr
        assert " ".join(res.stderr.split()).startswith("error: the cold archive ")
        import httpx

        r = httpx.post(daemon.url + "/v1/sql?format=json", json={"sql": "SELECT count(*) FROM v_shadow_outcome"})
        assert r.status_code == 400 and "the cold archive" in r.json()["detail"]
    finally:
        assert daemon.terminate() == 0
        daemon.cleanup()
