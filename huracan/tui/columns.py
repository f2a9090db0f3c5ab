"""The dashboard's tables: their columns, which fit the screen, and the cells of each row.

Each column has a width and a priority (1 = always shown). :func:`fit` keeps the most
important columns that fit the screen, in their display order, so nothing is cut to
"ex" or "Hamilton ack" on a narrow terminal and a wide one is used.

>>> [c.key for c in fit(TRADE_COLUMNS, 80)]
['closed', 'signal', 'symbol', 'mode', 'side', 'ret', 'held']
>>> len(fit(TRADE_COLUMNS, 200)) == len(TRADE_COLUMNS)
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from huracan.cli.fmt import VERDICT_LABEL, VERDICT_STYLE, duration, gate_target, num, pct
from huracan.cli.term import cell
from huracan.tui.data import ModelRow
from huracan.tui.render import bps, short_id

__all__ = [
    "GATE_COLUMNS",
    "MODEL_COLUMNS",
    "TRADE_COLUMNS",
    "Column",
    "fit",
    "gate_cells",
    "model_cells",
    "trade_cells",
]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    priority: int


# The cell order of the row builders in huracan.tui.app follows these lists.
TRADE_COLUMNS = [
    Column("closed", "closed", 11, 1),
    Column("signal", "signal", 16, 2),
    Column("symbol", "symbol", 9, 1),
    Column("mode", "mode", 6, 1),
    Column("side", "side", 5, 2),
    Column("ret", "bps", 8, 1),
    Column("held", "held", 7, 2),
    Column("regime", "regime", 8, 3),
    Column("what", "exit / blocked by", 17, 3),
    Column("trade", "trade", 16, 4),
    Column("model", "model", 12, 4),
]
MODEL_COLUMNS = [
    Column("registered", "registered", 11, 1),
    Column("model", "model", 12, 1),
    Column("auc", "AUC", 6, 1),
    Column("dauc", "ΔAUC", 7, 2),
    Column("ece", "ECE", 6, 1),
    Column("ready", "ready", 5, 1),
    Column("state", "state", 18, 1),
    Column("learner", "learner", 10, 3),
    Column("parent", "parent", 12, 3),
    Column("detail", "why / detail", 60, 4),
]
GATE_COLUMNS = [
    Column("gate", "gate", 16, 1),
    Column("mode", "mode", 7, 1),
    Column("n", "n", 6, 2),
    Column("pass", "pass", 6, 1),
    Column("target", "target", 8, 1),
    Column("verdict", "verdict", 7, 1),
    Column("threshold", "threshold", 9, 2),
    Column("acc", "acc.", 5, 3),
    Column("blocked", "blocked bps", 11, 3),
]

_PADDING = 2  # DataTable's cell padding


def fit(columns: list[Column], width: int) -> list[Column]:
    """The columns to show in ``width`` cells: by priority, then in display order."""
    chosen: set[str] = set()
    used = 0
    for c in sorted(columns, key=lambda c: c.priority):
        need = c.width + _PADDING
        if c.priority == 1 or used + need <= width:
            chosen.add(c.key)
            used += need
    return [c for c in columns if c.key in chosen]


def trade_cells(r: dict[str, Any], blocked: bool) -> tuple[str, list[Any]]:
    """A trade (or blocked signal) row keyed by its signal id, cells in TRADE_COLUMNS order."""
    ret = r.get("return_bps")
    style = "green" if (ret or 0) > 0 else "red"
    if blocked:
        raw = r.get("blocked_by")
        names = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        what: Any = cell(",".join(names))
    else:
        what = cell(r.get("exit_reason") or "")
    cells = [
        str(r.get("closed_at") or "")[5:16].replace("T", " "),
        cell(r.get("signal_id")),
        cell(r.get("symbol")),
        cell(r.get("mode")),
        cell(r.get("side")),
        Text(bps(ret), style=style),
        duration(r.get("holding_seconds"), compact=True),
        cell(r.get("regime")),
        what,
        cell(r.get("trade_id") or ""),
        short_id(r.get("model_id")),
    ]
    return str(r.get("signal_id")), cells


def model_cells(m: ModelRow) -> tuple[str, list[Any]]:
    """A model row keyed by its id, cells in MODEL_COLUMNS order."""
    v = m.version
    state_style = {"acknowledged": "green", "tampered": "bold red", "ack_overdue": "bold red"}.get(m.state, "yellow")
    cells = [
        f"{v.registered_at:%m-%d %H:%M}",
        v.model_id[:12],
        num(v.metrics.get("auc")),
        "-" if m.auc_delta is None else f"{m.auc_delta:+.4f}",
        num(v.metrics.get("ece")),
        Text("yes", style="green") if v.ready else Text("no", style="yellow"),
        Text(m.state, style=state_style),
        cell(v.learner),
        short_id(v.parent_model_id),
        cell("; ".join(v.reasons) if not v.ready else m.detail),
    ]
    return v.model_id, cells


def gate_cells(g: Any) -> tuple[str, list[Any]]:
    """A gate/mode row of the gate report, cells in GATE_COLUMNS order."""
    cells = [
        cell(g.gate),
        cell(g.mode),
        f"{g.n:,}",
        pct(g.pass_rate),
        gate_target(g.targets),
        Text(VERDICT_LABEL[g.verdict], style=VERDICT_STYLE[g.verdict]),
        num(g.threshold),
        pct(g.accuracy, 0),
        bps(g.blocked_pnl_bps),
    ]
    return f"{g.gate}/{g.mode}", cells
