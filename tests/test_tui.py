"""The dashboard, driven through Textual's pilot against a real simulated store."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from textual.widgets import DataTable, Static, TabbedContent

from huracan.tui.app import Dashboard


def _reader(store: Any) -> Any:
    @contextmanager
    def reader() -> Any:
        yield store.cursor()

    return reader


async def test_dashboard_shows_the_simulated_day_and_switches_tabs(huracan_store: Any) -> None:
    app = Dashboard(_reader(huracan_store), source="test store", interval=60)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.error is None
        assert app.overview is not None and app.overview.day == huracan_store.last_day()
        assert app.overview.signals > 0
        text = str(app.query_one("#overview-text", Static).render())
        assert "Signals" in text and "Shadow trades" in text
        await pilot.press("t")
        assert app.query_one(TabbedContent).active == "trades"
        assert app.query_one("#trades-table", DataTable).row_count > 0
        await pilot.press("m")
        assert app.query_one(TabbedContent).active == "models"
        assert app.query_one("#models-table", DataTable).row_count > 0
        await pilot.press("g")
        assert app.query_one("#gates-table", DataTable).row_count >= 6
        await pilot.press("f")
        assert app.query_one(TabbedContent).active == "feed"


async def test_dashboard_reports_a_broken_reader_instead_of_crashing() -> None:
    @contextmanager
    def broken() -> Any:
        raise ConnectionError("daemon went away")
        yield

    app = Dashboard(broken, source="nowhere", interval=60)
    async with app.run_test() as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.error is not None and "daemon went away" in app.error
