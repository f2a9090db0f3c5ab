"""The dashboard's pushed screens: a drill-down page, the filter form and the help."""

from __future__ import annotations

from datetime import date

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, Static

from huracan.cli.term import clean
from huracan.tui.data import Filters

__all__ = ["HELP_TEXT", "DetailScreen", "FilterScreen", "HelpScreen"]

HELP_TEXT = """\
[b]Huracan dashboard[/b]: what the learning lab is doing, live.

[b]Tabs[/b]
  o  Overview  signals, gate pass rate, shadow P&L, learning, alerts
  t  Trades    closed shadow trades; b shows blocked signals and
               what they would have made
  m  Models    AUC, ECE, readiness (the CLI's rule), export/ack state
  g  Gates     pass rate vs target per gate and mode, verdict
               (STRICT / LOOSE), block accuracy, blocked P&L
  f  Feed      learning activity as it happens (reconnects itself)

[b]Keys[/b]
  enter   trade: every gate's explanation, the outcome or what it
          would have made, and the decision trace
          model: the export tracker (lineage, readiness reasons,
          exports, artifact check, Hamilton's ack, live results)
  /       filter trades: mode, regime, symbol, days
  c       clear the filter      b  taken ⇄ blocked
  r       refresh now           ?  this help
  ctrl+p  every action          escape  back      q  quit

[b]Status line[/b]
  "live": read through the daemon. When it stops answering, the
  dashboard reads the store and marks the data STALE since the
  first failed read (new events wait in the Engine's spool). It
  goes live again by itself when the daemon is back.
"""


class DetailScreen(Screen[None]):
    """A scrollable page for one trade or one model; escape goes back."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("q", "app.pop_screen", "Back", show=False)]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__()
        self.page_title = title
        self.body = body

    def compose(self) -> ComposeResult:
        yield Static(Text(clean(self.page_title, 200), style="bold reverse"), id="detail-title")
        with VerticalScroll(id="detail-scroll"):
            yield Static(self.body, id="detail-body")
        yield Footer()


class HelpScreen(ModalScreen[None]):
    """The keys and what each tab shows."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Close"), Binding("question_mark", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP_TEXT, id="help-text")


class FilterScreen(ModalScreen[Filters | None]):
    """Mode, regime, symbol and a day range for the trade list; enter applies, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    FilterScreen { align: center middle; }
    FilterScreen > Vertical { width: 60; max-width: 100%; height: auto; border: round $accent;
        background: $surface; padding: 0 1; }
    FilterScreen Input { margin: 0; }
    FilterScreen #filter-error { color: $error; height: auto; }
    """

    def __init__(self, current: Filters) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical():
            yield Label("Filter trades (empty = any)")
            yield Input(c.mode or "", placeholder="mode, e.g. scalp", id="f-mode")
            yield Input(c.regime or "", placeholder="regime, e.g. trend", id="f-regime")
            yield Input(c.symbol or "", placeholder="symbol, e.g. BTC-USD", id="f-symbol")
            yield Input(str(c.since or ""), placeholder="from day YYYY-MM-DD", id="f-since")
            yield Input(str(c.until or ""), placeholder="to day YYYY-MM-DD", id="f-until")
            yield Static("", id="filter-error")
            yield Button("Apply", variant="primary", id="f-apply")

    def _value(self, name: str) -> str | None:
        return self.query_one(f"#f-{name}", Input).value.strip() or None

    def _day(self, name: str) -> date | None:
        text = self._value(name)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{name} {text!r} is not a day: use YYYY-MM-DD") from None

    def _apply(self) -> None:
        try:
            since, until = self._day("since"), self._day("until")
            if since and until and since > until:
                raise ValueError(f"from {since} is after to {until}")
        except ValueError as exc:
            self.query_one("#filter-error", Static).update(Text(str(exc)))
            return
        self.dismiss(
            Filters(
                mode=self._value("mode"),
                regime=self._value("regime"),
                symbol=self._value("symbol"),
                since=since,
                until=until,
                kind=self.current.kind,
            )
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._apply()

    def action_cancel(self) -> None:
        self.dismiss(None)
