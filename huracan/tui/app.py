"""`huracan dashboard`: a live view of the learning lab.

Tabs: overview (o), trades (t), models (m), gates (g), live feed (f). Enter drills down
(a trade to every gate's explanation, its outcome or counterfactual and its decision
trace; a model to the export tracker), ``/`` filters, ``?`` helps, ``ctrl+p`` lists
every action. Data is read in worker threads through :class:`~huracan.tui.source.Source`
— the daemon while it answers, else the store, with a visible "stale since" mark — using
the same analytics functions as the CLI (gate report, readiness, explain, trace).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, RichLog, Static, TabbedContent, TabPane

from huracan.config import Settings
from huracan.tui import data, render
from huracan.tui.columns import (
    GATE_COLUMNS,
    MODEL_COLUMNS,
    TRADE_COLUMNS,
    Column,
    fit,
    gate_cells,
    model_cells,
    trade_cells,
)
from huracan.tui.screens import DetailScreen, FilterScreen, HelpScreen
from huracan.tui.source import Source

__all__ = ["Dashboard"]

TABS = ("overview", "trades", "models", "gates", "feed")
PANELS = 8


@dataclass
class Loaded:
    overview: data.Overview
    trades: list[dict[str, Any]]
    gates: Any
    models_signature: tuple[Any, ...]


class Dashboard(App[None]):
    """The live dashboard over ``settings``' daemon (or ``url``), else its store."""

    TITLE = "Huracan Observability"
    CSS = """
    #status { height: 1; padding: 0 1; background: $boost; }
    #status.-stale { background: $error 40%; text-style: bold; }
    #overview-grid { grid-size: 1; grid-gutter: 0 1; height: auto; }
    Dashboard.-wide #overview-grid { grid-size: 2; }
    .panel { border: round $primary; height: auto; padding: 0 1; }
    #trades-caption, #gates-reasons { height: auto; padding: 0 1; }
    DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "refresh", "Refresh"),
        Binding("o", "tab('overview')", "Overview", show=False),
        Binding("t", "tab('trades')", "Trades"),
        Binding("m", "tab('models')", "Models"),
        Binding("g", "tab('gates')", "Gates"),
        Binding("f", "tab('feed')", "Feed"),
        Binding("slash", "filter", "Filter"),
        Binding("c", "clear_filters", "Clear filter", show=False),
        Binding("b", "toggle_blocked", "Taken/blocked"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(
        self,
        settings: Settings,
        url: str | None = None,
        interval: float = 5.0,
        source: Source | None = None,
        feed_retry_s: float = 1.0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.source = source or Source(settings, url)
        self.interval = interval
        self.feed_retry_s = feed_retry_s
        self.filters = data.Filters()
        self.loaded: Loaded | None = None
        self.models: list[data.ModelRow] = []
        self.error: str | None = None
        self.feed_state = "not started"
        #: the feed's lines as plain text (the log widget renders only once it is shown)
        self.feed_lines: deque[str] = deque(maxlen=2000)
        self._specs: Any = None

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("starting…", id="status")
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"), VerticalScroll(), Grid(id="overview-grid"):
                for i in range(PANELS):
                    yield Static(classes="panel", id=f"panel-{i}")
            with TabPane("Trades", id="trades"):
                yield Static(id="trades-caption")
                yield DataTable(id="trades-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Models", id="models"):
                yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Gates", id="gates"):
                yield DataTable(id="gates-table", cursor_type="row", zebra_stripes=True)
                yield Static(id="gates-reasons")
            with TabPane("Feed", id="feed"):
                yield RichLog(id="feed-log", max_lines=2000, markup=False, wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self._apply_width(self.size.width)
        self.action_refresh()
        self.set_interval(self.interval, self.action_refresh)
        self.follow_feed()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)
        self._fill_tables()

    def _apply_width(self, width: int) -> None:
        self.set_class(width >= 140, "-wide")

    # -- actions -------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        tables = self.query_one(f"#{tab}", TabPane).query(DataTable)
        if tables:  # so enter drills down straight away
            tables.first().focus()

    def action_refresh(self) -> None:
        self.load()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_filter(self) -> None:
        def done(result: data.Filters | None) -> None:
            if result is not None:
                self._set_filters(result)

        self.push_screen(FilterScreen(self.filters), done)

    def action_clear_filters(self) -> None:
        self._set_filters(data.Filters(kind=self.filters.kind))

    def action_toggle_blocked(self) -> None:
        self._set_filters(replace(self.filters, kind="blocked" if self.filters.kind == "taken" else "taken"))

    def _set_filters(self, filters: data.Filters) -> None:
        self.filters = filters
        self.action_tab("trades")
        self.load()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for tab in TABS:
            yield SystemCommand(f"Show {tab}", f"Switch to the {tab} tab", lambda t=tab: self.action_tab(t))
        yield SystemCommand("Refresh now", "Read everything again", self.action_refresh)
        yield SystemCommand("Filter trades…", "By mode, regime, symbol and days", self.action_filter)
        yield SystemCommand("Clear trade filters", "Show every trade", self.action_clear_filters)
        yield SystemCommand(
            "Show blocked signals" if self.filters.kind == "taken" else "Show taken trades",
            "Blocked signals carry what they would have made",
            self.action_toggle_blocked,
        )
        yield SystemCommand("Help", "Keys and what each tab shows", self.action_help)

    # -- loading -------------------------------------------------------------------------
    def _gate_specs(self) -> Any:
        if self._specs is None:
            from huracan.plugins.manager import get_plugins

            self._specs = get_plugins(self.settings).gates()
        return self._specs

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        specs, filters = self._gate_specs(), self.filters

        def read(conn: Any) -> Loaded:
            ov = data.load_overview(conn)
            return Loaded(ov, data.trades(conn, filters), data.gates(conn, ov.day, specs), data.models_signature(conn))

        try:
            loaded = self.source.read(read)
        except Exception as exc:  # shown on the status line; the next refresh may succeed
            self.call_from_thread(self._show_error, f"{type(exc).__name__}: {exc}".splitlines()[0])
            return
        self.call_from_thread(self._show, loaded, filters)

    @work(thread=True, exclusive=True, group="models")
    def load_models(self) -> None:
        try:
            rows = self.source.read(lambda conn: data.models(conn, self.settings))
        except Exception as exc:
            self.call_from_thread(self._show_error, f"models: {type(exc).__name__}: {exc}".splitlines()[0])
            return
        self.call_from_thread(self._show_models, rows)

    def _status(self) -> None:
        fresh = self.source.freshness
        line = Text(fresh.line())
        line.append(f"  ·  trades: {self.filters.kind}, filter {self.filters.describe()}", style="dim")
        line.append(f"  ·  feed: {self.feed_state}", style="dim")
        status = self.query_one("#status", Static)
        status.update(line)
        status.set_class(fresh.stale_since is not None or fresh.kind == "none", "-stale")

    def _show_error(self, message: str) -> None:
        self.error = message
        self._status()

    def _show(self, loaded: Loaded, filters: data.Filters) -> None:
        previous = self.loaded
        self.error = None
        self.loaded = loaded
        self._status()
        self._fill_overview()
        caption = "Blocked signals (what they would have made)" if filters.kind == "blocked" else "Shadow trades"
        self.query_one("#trades-caption", Static).update(
            Text(f"{caption} · {len(loaded.trades)} shown · filter: {filters.describe()} (/ to change, b to toggle)")
        )
        self._fill_tables()
        if previous is None or previous.models_signature != loaded.models_signature:
            self.load_models()

    def _show_models(self, rows: list[data.ModelRow]) -> None:
        self.models = rows
        self._fill_overview()
        self._fill_tables()

    def _fill_overview(self) -> None:
        if self.loaded is None:
            return
        ld = self.loaded
        panels = render.overview_panels(
            ld.overview, ld.gates, self.models, ld.trades if self.filters.kind == "taken" else None
        )
        for i in range(PANELS):
            title, body = panels[i] if i < len(panels) else ("", Text())
            panel = self.query_one(f"#panel-{i}", Static)
            panel.border_title = title
            panel.display = bool(title)
            body = body.copy()
            body.rstrip()  # the panels end with their text, not a blank line
            panel.update(body)

    # -- tables --------------------------------------------------------------------------
    def _fill(self, table_id: str, columns: list[Column], rows: list[tuple[str, list[Any]]]) -> None:
        table = self.query_one(table_id, DataTable)
        chosen = fit(columns, max(self.size.width - 4, 40))
        keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        table.clear(columns=True)
        for c in chosen:
            table.add_column(c.label, width=c.width, key=c.key)
        index = {c.key: i for i, c in enumerate(columns)}
        for key, cells in rows:
            table.add_row(*(cells[index[c.key]] for c in chosen), key=key)
        if keep is not None and keep in {k for k, _ in rows}:
            table.move_cursor(row=table.get_row_index(keep))

    def _fill_tables(self) -> None:
        if self.loaded is None:
            return
        blocked = self.filters.kind == "blocked"
        self._fill("#trades-table", TRADE_COLUMNS, [trade_cells(r, blocked) for r in self.loaded.trades])
        self._fill("#models-table", MODEL_COLUMNS, [model_cells(m) for m in self.models])
        rep = self.loaded.gates
        self._fill("#gates-table", GATE_COLUMNS, [gate_cells(g) for g in rep.gates])
        reasons = Text()
        for g in rep.gates:
            if g.verdict in ("too_strict", "too_loose"):
                reasons.append(f"{g.gate} ({g.mode}) {render.VERDICT_LABEL[g.verdict]}: ", style="bold")
                reasons.append(f"{g.verdict_reason}\n")
        self.query_one("#gates-reasons", Static).update(reasons)

    # -- drill-down ----------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is None:
            return
        if event.data_table.id == "trades-table":
            self.open_trade(key)
        elif event.data_table.id == "models-table":
            self.open_model(key)

    def _open(self, title: str, load: Callable[[Any], Any], show: Callable[[Any], Any]) -> None:
        try:
            detail = self.source.read(load)
        except Exception as exc:
            self.call_from_thread(self.notify, f"{title}: {exc}".splitlines()[0], severity="error")
            return
        self.call_from_thread(self.push_screen, DetailScreen(title, show(detail)))

    @work(thread=True, exclusive=True, group="detail")
    def open_trade(self, signal_id: str) -> None:
        """Push the explanation and trace of ``signal_id``."""
        specs = self._gate_specs()
        self._open(f"Signal {signal_id}", lambda conn: data.trade_detail(conn, signal_id, specs), render.trade_detail)

    @work(thread=True, exclusive=True, group="detail")
    def open_model(self, model_id: str) -> None:
        """Push the export tracker of ``model_id``."""
        self._open(
            f"Model {model_id[:12]}", lambda conn: data.model_detail(conn, self.settings, model_id), render.model_detail
        )

    # -- live feed -----------------------------------------------------------------------
    def _feed_state(self, state: str, note: str | None = None) -> None:
        self.feed_state = state
        if note:
            self._feed_write(Text(note, style="dim"))
        self._status()

    def _feed_write(self, line: Text) -> None:
        self.feed_lines.append(line.plain)
        self.query_one("#feed-log", RichLog).write(line)

    @work(exclusive=True, group="feed")
    async def follow_feed(self) -> None:
        """Follow ``/v1/feed``; when it closes, say so and reconnect (backing off to 10 s)."""
        import httpx

        from huracan.daemon.access import auth_headers

        delay = self.feed_retry_s
        while True:
            url = await asyncio.to_thread(self.source.daemon_url)
            if url is None:
                if self.feed_state != "waiting":
                    self._feed_state("waiting", "feed: no daemon answering; retrying until one does")
            else:
                try:
                    timeout = httpx.Timeout(10.0, read=30.0)  # the daemon sends a keep-alive every 5 s
                    async with (
                        httpx.AsyncClient(timeout=timeout, headers=auth_headers(self.settings)) as client,
                        client.stream("GET", f"{url}/v1/feed") as resp,
                    ):
                        if resp.status_code != 200:
                            raise httpx.HTTPStatusError(f"HTTP {resp.status_code}", request=resp.request, response=resp)
                        self._feed_state("connected", f"feed: connected to {url}")
                        delay = self.feed_retry_s
                        async for line in resp.aiter_lines():
                            if line.startswith("data: "):
                                self._feed_write(render.feed_line(json.loads(line[6:])))
                    self._feed_state("closed", "feed closed by the daemon; reconnecting")
                except (httpx.HTTPError, ValueError) as exc:
                    self._feed_state("closed", f"feed closed: {type(exc).__name__} {exc}; reconnecting")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
