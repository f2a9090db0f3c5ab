"""`huracan dashboard`: a live view of the learning lab.

Tabs: overview (o), shadow trades (t), models (m), gates (g), live feed (f); r refreshes,
q quits. Data is re-read every ``interval`` seconds in a worker thread, so a slow query
never freezes the screen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, RichLog, Static, TabbedContent, TabPane

from huracan.tui.data import Overview, gate_rows, load_overview, model_rows, recent_trades

__all__ = ["Dashboard"]

ReaderFactory = Callable[[], AbstractContextManager[Any]]


def _pct(x: Any) -> str:
    return "–" if x is None else f"{float(x) * 100:.1f}%"


def _num(x: Any, fmt: str = ",.1f") -> str:
    return "–" if x is None else format(float(x), fmt)


def render_overview(ov: Overview, source: str) -> Text:
    t = Text()
    t.append(f"Huracan — {ov.day or 'no data yet'}   ", style="bold")
    t.append(f"[{source}]\n\n", style="dim")
    if ov.day is None:
        t.append("No events yet: run `huracan simulate` or point the Engine at the daemon.\n")
        return t
    rate = ov.passed / ov.signals if ov.signals else None
    t.append("Signals ", style="bold")
    t.append(f"{ov.signals:,}  passed all gates {ov.passed:,} ({_pct(rate)})\n")
    if rate == 0 and ov.signals:
        t.append("  ⚠ nothing passed the gates today — are they too strict?\n", style="bold red")
    t.append("\nShadow trades (paper)\n", style="bold")
    for mode, s in ov.trades_by_mode.items():
        t.append(
            f"  {mode:<7} {int(s['trades']):>5} trades  win {_pct(s['win_rate']):>6}  P&L {_num(s['pnl_bps'])} bps\n"
        )
    if not ov.trades_by_mode:
        t.append("  none closed\n")
    t.append("\nLearning\n", style="bold")
    tr = ov.training
    if tr:
        delta = ""
        if tr.get("auc_prev") is not None:
            d = float(tr["auc"]) - float(tr["auc_prev"])
            delta = f" ({d:+.3f} vs previous session)"
        t.append(
            f"  last training {str(tr['trained_at'])[:16]}: AUC {float(tr['auc']):.3f}{delta}, "
            f"ECE {float(tr['ece']):.3f} on {int(tr['samples']):,} samples\n"
        )
        t.append(f"  model {str(tr['model_id'])[:12]}\n", style="dim")
    else:
        t.append("  no training session yet\n")
    t.append(f"\nAlerts today: {len(ov.alerts)}\n", style="bold")
    for a in ov.alerts[:8]:
        style = {"CRITICAL": "bold red", "ERROR": "red", "WARNING": "yellow"}.get(a["severity"], "")
        t.append(f"  {str(a['ts'])[11:19]} {a['severity']:<8} {a['name']}: {a['message']}\n", style=style)
    return t


class Dashboard(App[None]):
    """The live dashboard. ``reader`` yields a connection-like object per refresh."""

    TITLE = "Huracan Observability"
    BINDINGS = [
        ("q", "quit", "Quit"),
        ("r", "refresh", "Refresh"),
        ("o", "tab('overview')", "Overview"),
        ("t", "tab('trades')", "Trades"),
        ("m", "tab('models')", "Models"),
        ("g", "tab('gates')", "Gates"),
        ("f", "tab('feed')", "Feed"),
    ]

    def __init__(self, reader: ReaderFactory, source: str, feed_url: str | None = None, interval: float = 5.0) -> None:
        super().__init__()
        self.reader = reader
        self.source = source
        self.feed_url = feed_url
        self.interval = interval
        self.overview: Overview | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"):
                yield Static(id="overview-text")
            with TabPane("Shadow trades", id="trades"):
                yield DataTable(id="trades-table", zebra_stripes=True)
            with TabPane("Models", id="models"):
                yield DataTable(id="models-table", zebra_stripes=True)
            with TabPane("Gates", id="gates"):
                yield DataTable(id="gates-table", zebra_stripes=True)
            with TabPane("Live feed", id="feed"):
                yield RichLog(id="feed-log", max_lines=2000, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#trades-table", DataTable).add_columns(
            "closed", "symbol", "mode", "regime", "side", "return bps", "held s", "exit"
        )
        self.query_one("#models-table", DataTable).add_columns(
            "model", "registered", "AUC", "ECE", "exported", "ready", "Hamilton ack"
        )
        self.query_one("#gates-table", DataTable).add_columns("gate", "mode", "evaluated", "pass rate", "threshold")
        log = self.query_one("#feed-log", RichLog)
        if self.feed_url:
            log.write(f"following {self.feed_url}/v1/feed …")
            self.follow_feed()
        else:
            log.write("The live feed needs a running daemon (`huracan daemon`).")
        self.action_refresh()
        self.set_interval(self.interval, self.action_refresh)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            with self.reader() as conn:
                ov = load_overview(conn)
                trades = recent_trades(conn)
                models = model_rows(conn)
                gates = gate_rows(conn, ov.day) if ov.day else []
        except Exception as exc:  # show it; the next refresh may succeed (daemon restarting)
            self.call_from_thread(self._show_error, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._show, ov, trades, models, gates)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.query_one("#overview-text", Static).update(Text(f"cannot read data: {message}", style="red"))

    def _show(
        self, ov: Overview, trades: list[dict[str, Any]], models: list[dict[str, Any]], gates: list[dict[str, Any]]
    ) -> None:
        self.error = None
        self.overview = ov
        self.query_one("#overview-text", Static).update(render_overview(ov, self.source))
        tt = self.query_one("#trades-table", DataTable)
        tt.clear()
        for r in trades:
            ret = float(r["return_bps"]) if r.get("return_bps") is not None else None
            tt.add_row(
                str(r.get("closed_at") or "")[:19],
                Text(str(r["symbol"])),
                r["mode"],
                Text(str(r["regime"])),
                r["side"],
                Text(_num(ret), style="green" if (ret or 0) > 0 else "red"),
                _num(r.get("holding_seconds"), ",.0f"),
                str(r.get("exit_reason") or ""),
            )
        mt = self.query_one("#models-table", DataTable)
        mt.clear()
        for r in models:
            mt.add_row(
                str(r["model_id"])[:12],
                str(r["registered_at"])[:16],
                _num(r["auc"], ".3f"),
                _num(r["ece"], ".3f"),
                str(r["exported_at"] or "–")[:16],
                {True: "yes", False: "no", None: "–"}[r["ready"]],
                Text(str(r["acked_at"])[:16], style="green")
                if r["acked_at"]
                else Text("pending" if r["exported_at"] else "–", style="yellow"),
            )
        gt = self.query_one("#gates-table", DataTable)
        gt.clear()
        for r in gates:
            rate = float(r["pass_rate"])
            gt.add_row(
                r["gate"],
                r["mode"],
                f"{int(r['evaluated']):,}",
                Text(_pct(rate), style="bold red" if rate == 0 else ""),
                _num(r["threshold"], ".3f"),
            )

    @work(exclusive=True, group="feed")
    async def follow_feed(self) -> None:
        import httpx

        log = self.query_one("#feed-log", RichLog)
        assert self.feed_url
        try:
            async with (
                httpx.AsyncClient(timeout=None) as client,
                client.stream("GET", f"{self.feed_url}/v1/feed") as resp,
            ):
                async for line in resp.aiter_lines():
                    if line.startswith("data: "):
                        item = json.loads(line[6:])
                        log.write(_feed_line(item))
        except httpx.HTTPError as exc:
            log.write(f"feed closed: {exc}")


def _feed_line(item: dict[str, Any]) -> Text:
    kind = item.get("type", "?")
    ts = str(item.get("ts", ""))[11:19]
    if kind == "training_session":
        body = f"trained {str(item.get('model_id'))[:12]}: AUC {item.get('auc'):.3f}, ECE {item.get('ece'):.3f}"
    elif kind == "alert":
        body = f"{item.get('severity')} {item.get('name')}: {item.get('message')}"
    elif kind in {"shadow_outcome", "live_outcome"}:
        body = f"{item.get('symbol')} {item.get('mode')} {float(item.get('return_bps', 0)):+.1f} bps"
    else:
        body = ", ".join(f"{k}={v}" for k, v in item.items() if k in {"model_id", "key", "ready", "symbol"})
    return Text(f"{ts} {kind:<17} {body}")
