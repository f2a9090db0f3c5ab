"""The dashboard, driven through Textual's Pilot against a real simulated store and a real
daemon process that is stopped and restarted under it."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from huracan.analytics.gate_explainer import gate_report
from huracan.config import Settings, load_config
from huracan.events import Alert
from huracan.hostile import HOSTILE, MARKERS
from huracan.plugins.manager import get_plugins
from huracan.store import Store
from huracan.testing import simulated_data_dir
from huracan.tui import render
from huracan.tui.app import Dashboard
from huracan.tui.columns import GATE_COLUMNS, MODEL_COLUMNS, TRADE_COLUMNS, fit
from huracan.tui.screens import DetailScreen, FilterScreen, HelpScreen
from tests.daemon_helpers import DaemonProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_data_dir(tmp_path_factory.mktemp("tui") / "data", days=3, signals_per_day=150)


@pytest.fixture
def settings(template: Path, tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    shutil.copytree(template, data)
    return load_config(data_dir=data)


async def _until(pilot: Any, cond: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    for _ in range(int(timeout / 0.1)):
        if cond():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _text(app: Dashboard, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def _page(app: Dashboard) -> str:
    """The text of the pushed detail page, rendered the way the terminal shows it."""
    import io

    from rich.console import Console

    screen = app.screen
    assert isinstance(screen, DetailScreen)
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(screen.body)
    return console.export_text()


def _feed(app: Dashboard) -> str:
    return "\n".join(app.feed_lines)


async def _ready(app: Dashboard, pilot: Any) -> None:
    await _until(pilot, lambda: app.loaded is not None and bool(app.models), what="data and models")
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_readable_at_80x24_and_using_200x50(settings: Settings, size: tuple[int, int]) -> None:
    app = Dashboard(settings, interval=60)
    async with app.run_test(size=size) as pilot:
        await _ready(app, pilot)
        assert app.error is None
        assert "no daemon answering" in app.source.freshness.line()
        wide = size[0] >= 140
        assert app.has_class("-wide") is wide
        shown = [p for p in app.query(".panel") if p.display]
        assert len(shown) >= 6  # day, trades, learning, alerts, gates, models (+ last trades)
        for tab, table_id, columns in (
            ("trades", "#trades-table", TRADE_COLUMNS),
            ("models", "#models-table", MODEL_COLUMNS),
            ("gates", "#gates-table", GATE_COLUMNS),
        ):
            await pilot.press(tab[0])
            assert app.query_one(TabbedContent).active == tab
            table = app.query_one(table_id, DataTable)
            assert table.row_count > 0
            used = sum(c.width + 2 for c in table.columns.values())
            assert used <= size[0], f"{tab}: {used} cells of columns on a {size[0]}-wide screen"
            labels = [str(c.label) for c in table.columns.values()]
            assert all(c.width >= len(lbl) for c, lbl in zip(table.columns.values(), labels, strict=True))
            assert len(labels) == len(fit(columns, size[0] - 4))
            if wide:
                assert len(labels) == len(columns), f"{tab}: a 200-column screen shows every column"
        trades = app.query_one("#trades-table", DataTable)
        assert "signal" in [str(c.label) for c in trades.columns.values()]  # the id is visible even at 80


async def test_gates_and_models_say_what_the_cli_says(settings: Settings) -> None:
    app = Dashboard(settings, interval=60)
    async with app.run_test(size=(200, 50)) as pilot:
        await _ready(app, pilot)
        store = Store.open(settings, read_only=True)
        try:
            rep = gate_report(store.cursor(), app.loaded.overview.day, get_plugins(settings).gates())  # type: ignore[union-attr]
        finally:
            store.close()
        table = app.query_one("#gates-table", DataTable)
        for g in rep.gates:
            row = table.get_row(f"{g.gate}/{g.mode}")
            cells = [str(c) for c in row]
            assert render.VERDICT_LABEL[g.verdict] in cells
            assert render.gate_target(g.targets) in cells
        models = app.query_one("#models-table", DataTable)
        for m in app.models:
            cells = [str(c) for c in models.get_row(m.version.model_id)]
            assert ("yes" if m.version.ready else "no") in cells
            assert "–" not in cells[5]  # never "ready –": the same rule as `huracan models list`
        assert any(not m.version.ready for m in app.models), "the first simulated model is not ready"


async def test_drill_down_trade_to_every_gate_and_its_trace_and_a_blocked_counterfactual(settings: Settings) -> None:
    app = Dashboard(settings, interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("t")
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the trade page")
        page = _page(app)
        for gate in get_plugins(settings).gates():
            assert gate in page
        assert "PASSED" in page and "Shadow trade outcome" in page and "Decision trace" in page
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
        await pilot.press("b")
        await _until(pilot, lambda: app.filters.kind == "blocked" and "Blocked" in _text(app, "#trades-caption"))
        await _until(pilot, lambda: app.query_one("#trades-table", DataTable).row_count > 0, what="blocked rows")
        app.query_one("#trades-table", DataTable).focus()
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the blocked signal's page")
        page = _page(app)
        assert "BLOCKED" in page and "REJECTED" in page and "needs" in page
        assert "Counterfactual (had it traded)" in page and ("good block" in page or "bad block" in page)


async def test_model_export_tracker(settings: Settings) -> None:
    app = Dashboard(settings, interval=60)
    async with app.run_test(size=(140, 50)) as pilot:
        await _ready(app, pilot)
        await pilot.press("m")
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the model page")
        page = _page(app)
        newest = app.models[0].version
        assert newest.model_id in page
        for needle in ("ready for Hamilton", "Attestation chain", "data snapshot", "commit", "export", "Hamilton ack"):
            assert needle in page
        assert "verified" in page and "lineage:" in page
        assert "Hamilton live vs shadow" in page or "no live trade" in page
        await pilot.press("escape")
        # The first model is not ready: its page gives the reasons (the registry's readiness rule).
        oldest = app.models[-1]
        app.open_model(oldest.version.model_id)
        await _until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the oldest model")
        page = _page(app)
        assert "ready for Hamilton: no" in page and oldest.version.reasons[0] in page


async def test_filters_help_and_palette(settings: Settings) -> None:
    app = Dashboard(settings, interval=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("slash")
        assert isinstance(app.screen, FilterScreen)
        await pilot.click("#f-since")
        await pilot.press(*"2025-13-01")
        await pilot.press("enter")
        assert isinstance(app.screen, FilterScreen)  # a bad day keeps the form open, saying why
        assert "not a day" in str(app.screen.query_one("#filter-error", Static).render())
        app.screen.query_one("#f-since").value = ""  # type: ignore[attr-defined]
        await pilot.click("#f-mode")
        await pilot.press(*"runner")
        await pilot.press("enter")
        await _until(pilot, lambda: app.filters.mode == "runner", what="the filter")
        await _until(pilot, lambda: "mode=runner" in _text(app, "#trades-caption"), what="filtered rows")
        table = app.query_one("#trades-table", DataTable)
        assert table.row_count > 0
        modes = {str(table.get_row_at(i)[3]) for i in range(table.row_count)}
        assert modes == {"runner"}
        await pilot.press("c")
        await _until(pilot, lambda: app.filters.mode is None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "STALE since" in str(app.screen.query_one("#help-text", Static).render())
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Filter trades…", "Show models", "Refresh now", "Help", "Show blocked signals"} <= titles


def _inert(text: str) -> None:
    for name in ("esc", "nul", "del", "c1", "bidi"):
        assert MARKERS[name] not in text, (name, repr(text))


def test_feed_lines_show_event_text_never_obey_it() -> None:
    for item in (
        {"type": "alert", "ts": "2025-11-06T10:00:00Z", "severity": "ERROR", "name": HOSTILE, "message": HOSTILE},
        {"type": "shadow_outcome", "ts": "2025-11-06T10:00:00Z", "symbol": HOSTILE, "mode": "scalp", "side": "long",
         "counterfactual": True, "blocked_by": [HOSTILE], "return_bps": 3.0},
        {"type": "config_change", "ts": "2025-11-06T10:00:00Z", "key": HOSTILE, "old_value": 1, "new_value": 2,
         "author": HOSTILE, "reason": HOSTILE},
        {"type": "model_export", "ts": "2025-11-06T10:00:00Z", "model_id": "ab" * 32, "export_path": HOSTILE,
         "ready": False, "reasons": [HOSTILE]},
    ):  # fmt: skip
        line = render.feed_line(item)
        _inert(line.plain)
        # Rich markup is shown as typed, never applied (no link, no colour from the event).
        assert MARKERS["rich_link"] in line.plain
        assert not any("link" in str(sp.style) for sp in line.spans)
        assert {line.plain[sp.start : sp.end] for sp in line.spans if str(sp.style) == "red"} <= {"ERROR "}


async def test_hostile_event_text_on_the_screen_is_inert(settings: Settings) -> None:
    with Store.open(settings) as store:
        alert = Alert(name="hostile" + HOSTILE, severity="ERROR", component="test", message="m" + HOSTILE)
        store.write_events([alert.model_copy(update={"ts": datetime.combine(_last_day(store), time(12), UTC)})])
    app = Dashboard(settings, interval=60)
    async with app.run_test(size=(200, 50)) as pilot:
        await _ready(app, pilot)
        alerts = next(p for p in app.query(".panel") if str(p.border_title).startswith("Alerts"))
        text = str(alerts.render())
        assert "hostile" in text and MARKERS["rich_link"] in text
        _inert(text)


def _last_day(store: Any) -> Any:
    from huracan.analytics.days import last_data_day

    return last_data_day(store.cursor())


async def test_survives_a_daemon_stop_and_restart(settings: Settings) -> None:
    daemon = DaemonProcess(settings.data_dir, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"}).start()
    app = Dashboard(settings, interval=0.5, feed_retry_s=0.2)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _until(pilot, lambda: app.source.freshness.live and app.feed_state == "connected", what="live")
            await _ready(app, pilot)
            status = app.query_one("#status", Static)
            assert not status.has_class("-stale") and "live" in _text(app, "#status")
            signals = app.loaded.overview.signals  # type: ignore[union-attr]

            assert daemon.terminate() == 0
            await _until(pilot, lambda: app.source.freshness.kind == "store", what="the store fallback")
            await _until(pilot, lambda: "feed closed" in _feed(app), what="'feed closed'")
            assert "STALE since" in _text(app, "#status") and status.has_class("-stale")
            assert app.loaded.overview.signals == signals  # type: ignore[union-attr]  # still shown, from the store
            await pilot.press("t")
            assert app.query_one("#trades-table", DataTable).row_count > 0

            daemon = DaemonProcess(settings.data_dir, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"}).start()
            await _until(pilot, lambda: app.source.freshness.live, what="live again")
            await _until(pilot, lambda: f"connected to {daemon.url}" in _feed(app), what="the feed to reconnect")
            assert not status.has_class("-stale") and "STALE" not in _text(app, "#status")
            # The reconnected feed carries new events.
            alert = {
                "type": "alert",
                "name": "tui_reconnect_check",
                "severity": "WARNING",
                "component": "test",
                "message": "after the restart",
            }
            r = await asyncio.to_thread(daemon.post, json.dumps(alert).encode() + b"\n")
            assert r.status_code == 200, r.text
            await _until(pilot, lambda: "tui_reconnect_check" in _feed(app), what="the event on the feed")
    finally:
        daemon.terminate() if daemon.proc and daemon.proc.poll() is None else None
        daemon.cleanup()
