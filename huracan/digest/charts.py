"""The digest's charts: PNGs sized for a phone, with direct labels and alt text.

matplotlib is imported lazily (inside :func:`draw_charts`) with the headless Agg
backend, so importing the digest package stays cheap and works without a display.
Each chart is drawn only when its history has data.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from huracan.analytics.snapshot import MetricsSnapshot, Targets
from huracan.digest.history import History
from huracan.digest.model import ChartImage

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["draw_charts"]

# 6.4 x 3.6 in at 150 dpi = 960 x 540 px: sharp on a phone, light in an email.
SIZE = (6.4, 3.6)
DPI = 150
#: one colour per trading mode; further modes cycle through the rest
PALETTE = ("#1f6feb", "#d97706", "#16a34a", "#9333ea", "#dc2626", "#0891b2")
GREY = "#6b7280"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 13,
            "axes.titlesize": 14,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
        }
    )
    return plt


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _dates(ax: Axes) -> None:
    import matplotlib.dates as mdates

    # Few, unrotated date ticks: rotated labels are unreadable at phone width.
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=5))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))


def span_text(days: Sequence[date]) -> str:
    """The span a chart covers, said as the data covers it (#12): never "30 days" for 10.

    >>> span_text([date(2025, 11, 2), date(2025, 11, 9), date(2025, 11, 30)])
    'on 3 days with data, 02 Nov to 30 Nov'
    >>> span_text([date(2025, 11, 30)])
    'on 30 Nov only'
    """
    distinct = sorted(set(days))
    if not distinct:
        return "with no data"
    if len(distinct) == 1:
        return f"on {distinct[0]:%d %b} only"
    return f"on {len(distinct)} days with data, {distinct[0]:%d %b} to {distinct[-1]:%d %b}"


def _end_label(ax: Axes, x: Any, y: float, text: str, color: str) -> None:
    ax.annotate(text, (x, y), xytext=(6, 0), textcoords="offset points", va="center", color=color, fontweight="bold")


def _learning(plt: Any, h: History, min_auc: float, max_ece: float) -> ChartImage:
    days = [p.day for p in h.training]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=SIZE, sharex=True)
    ax1.plot(days, [p.auc for p in h.training], color=PALETTE[0], lw=2.5, marker="o", ms=3)
    ax1.axhline(min_auc, color=GREY, ls="--", lw=1)
    ax1.set_title(f"Learning: AUC and ECE {span_text(days)}")
    ax1.set_ylabel("AUC")
    _end_label(ax1, days[-1], h.training[-1].auc, f"{h.training[-1].auc:.3f}", PALETTE[0])
    ax2.plot(days, [p.ece for p in h.training], color=PALETTE[1], lw=2.5, marker="o", ms=3)
    ax2.axhline(max_ece, color=GREY, ls="--", lw=1)
    ax2.set_ylabel("ECE")
    _end_label(ax2, days[-1], h.training[-1].ece, f"{h.training[-1].ece:.3f}", PALETTE[1])
    _dates(ax2)
    ax2.margins(x=0.12)
    first, last = h.training[0], h.training[-1]
    alt = (
        f"Two line charts {span_text(days)}. AUC (higher is better, dashed line at the "
        f"{min_auc:.2f} readiness minimum) went from {first.auc:.3f} to {last.auc:.3f}. "
        f"ECE (lower is better, dashed line at the {max_ece:.2f} maximum) went from "
        f"{first.ece:.3f} to {last.ece:.3f}."
    )
    return ChartImage("learning", "AUC and ECE", alt, _png(fig))


def _shadow_pnl(plt: Any, h: History) -> ChartImage:
    # Daily bars, not a cumulative line: a cumulative line makes the report's own day the
    # smallest step of the chart (issue 16). Today's bars carry their values.
    from datetime import datetime, time, timedelta

    def at(d: Any) -> datetime:  # a date plus a fraction of a day is still that date: use datetimes
        return datetime.combine(d, time(0))  # the day's bars centred on its date tick

    fig, ax = plt.subplots(figsize=SIZE)
    modes = sorted(h.shadow_pnl_bps)
    width = 0.8 / max(len(modes), 1)
    days_with_pnl = {d for series in h.shadow_pnl_bps.values() for d, _ in series}
    last = max(days_with_pnl)
    today, totals = [], []
    for i, mode in enumerate(modes):
        color = PALETTE[i % len(PALETTE)]
        series = h.shadow_pnl_bps[mode]
        offset = timedelta(days=(i - (len(modes) - 1) / 2) * width)
        ax.bar([at(d) + offset for d, _ in series], [v for _, v in series], width=width, color=color, label=mode)
        for d, v in series:
            if d == last:
                ax.annotate(f"{v:+,.0f}", (at(d) + offset, v), xytext=(0, 3 if v >= 0 else -3), textcoords="offset points",
                            ha="center", va="bottom" if v >= 0 else "top", color=color, fontweight="bold")  # fmt: skip
                today.append(f"{mode} {v:+,.0f} bps")
        totals.append(f"{mode} {sum(v for _, v in series):+,.0f}")
    ax.axhline(0, color=GREY, lw=1)
    ax.set_title("Daily shadow P&L by mode (bps, paper)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False, ncol=max(len(modes), 1))
    ax.margins(y=0.15)
    _dates(ax)
    alt = (
        f"Bar chart of simulated P&L per day and mode in basis points, {span_text(list(days_with_pnl))}. "
        f"On {last:%d %b}: " + ", ".join(today) + ". Totals over the period: " + ", ".join(totals) + "."
    )
    return ChartImage("shadow_pnl", "Shadow P&L by mode", alt, _png(fig))


def _gate_targets(snapshot: MetricsSnapshot) -> dict[tuple[str, str], Targets]:
    """Pass-rate targets from the snapshot, keyed (gate, mode), whatever the id order."""
    out: dict[tuple[str, str], Targets] = {}
    for mid, m in snapshot.metrics.items():
        if m.targets is None or not mid.startswith("gate_pass_rate."):
            continue
        parts = mid.split(".")[1:]
        if len(parts) == 2:
            out[(parts[0], parts[1])] = m.targets
            out[(parts[1], parts[0])] = m.targets
    return out


def _gates(plt: Any, h: History, snapshot: MetricsSnapshot) -> ChartImage:
    targets = _gate_targets(snapshot)
    rows = list(reversed(h.gate_pass))
    fig, ax = plt.subplots(figsize=(SIZE[0], max(SIZE[1], 0.38 * len(rows) + 1.0)))
    outside = []
    for y, g in enumerate(rows):
        t = targets.get((g.gate, g.mode))
        bad = False
        if t is not None and t.min is not None and t.max is not None:
            ax.barh(y, (t.max - t.min) * 100, left=t.min * 100, height=0.8, color="#bbf7d0", zorder=1)
            bad = not (t.min <= g.rate <= t.max)
        if t is not None and t.ideal is not None:
            ax.plot([t.ideal * 100] * 2, [y - 0.4, y + 0.4], color="#15803d", lw=2, zorder=3)
        color = "#dc2626" if bad else PALETTE[0]
        ax.barh(y, g.rate * 100, height=0.45, color=color, zorder=2)
        ax.annotate(f"{g.rate * 100:.0f}%", (g.rate * 100, y), xytext=(4, 0), textcoords="offset points", va="center")
        if bad:
            outside.append(f"{g.gate} ({g.mode}) at {g.rate * 100:.0f}%")
    ax.set_yticks(range(len(rows)), [f"{g.gate} · {g.mode}" for g in rows])
    ax.set_xlim(0, 105)
    ax.set_xlabel("pass rate, % (green band = target range, tick = ideal)")
    ax.set_title("Gate pass rates vs targets")
    alt = "Horizontal bar chart of each gate's pass rate per mode against its target band. " + (
        "Outside the target range: " + ", ".join(outside) + "." if outside else "Every gate is within its target range."
    )
    return ChartImage("gates", "Gate pass rates", alt, _png(fig))


def _reliability(plt: Any, h: History) -> ChartImage:
    fig, ax = plt.subplots(figsize=(SIZE[0], SIZE[1] * 1.2))
    ax.plot([0, 1], [0, 1], color=GREY, ls="--", lw=1, label="perfect calibration")
    xs = [b.mean_predicted for b in h.calibration]
    ys = [b.observed_rate for b in h.calibration]
    total = sum(b.count for b in h.calibration) or 1
    ax.plot(xs, ys, color=PALETTE[0], lw=2, label="model (dot size = predictions)")
    ax.scatter(xs, ys, s=[30 + 400 * b.count / total for b in h.calibration], color=PALETTE[0], zorder=3)
    # A legend in the corner the curve rarely reaches, not a label on top of the curve (issue 16).
    ax.legend(loc="upper left", frameon=False, fontsize=11)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted win probability")
    ax.set_ylabel("observed win rate")
    model = (h.calibration_model or "")[:12]
    ax.set_title(f"Reliability of model {model}" if model else "Reliability diagram")
    alt = (
        f"Reliability diagram of model {model}: {len(xs)} probability bins (dot size = number of "
        "predictions) against the dashed diagonal of perfect calibration; points below the "
        "diagonal mean the model is over-confident."
    )
    return ChartImage("reliability", "Reliability diagram", alt, _png(fig))


def _importance(plt: Any, h: History, top: int = 8) -> ChartImage:
    now, prev = h.importance_now, h.importance_prev
    names = sorted(now, key=lambda k: max(now.get(k, 0.0), prev.get(k, 0.0)), reverse=True)[:top]
    names.reverse()
    fig, ax = plt.subplots(figsize=(SIZE[0], max(SIZE[1], 0.4 * len(names) + 1.0)))
    labelled_prev = False
    for y, name in enumerate(names):
        a, b = prev.get(name), now[name]
        if a is not None:
            ax.plot([a, b], [y, y], color=GREY, lw=2, zorder=1)
            ax.scatter([a], [y], color="#d1d5db", s=60, zorder=2, label=None if labelled_prev else "previous model")
            labelled_prev = True
        ax.scatter([b], [y], color=PALETTE[0], s=70, zorder=3, label="latest model" if y == 0 else None)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("share of the model's total importance (as `learning features` shows it)")
    ax.set_title("Feature importance: what moved" if prev else "Feature importance (latest)")
    # Under the axis: inside, a legend always ends up on some feature's dots.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False, fontsize=11)
    movers = sorted(((now[n] - prev[n], n) for n in names if n in prev), key=lambda t: abs(t[0]), reverse=True)
    alt = f"Dot chart of the top {len(names)} features by their share of the model's total importance."
    if movers:
        alt += " Biggest shifts: " + ", ".join(f"{n} {d * 100:+.1f} pp" for d, n in movers[:3]) + "."
    return ChartImage("importance", "Feature importance shifts", alt, _png(fig))


def draw_charts(
    history: History,
    snapshot: MetricsSnapshot,
    *,
    min_auc: float = 0.65,
    max_ece: float = 0.10,
    only: Mapping[str, bool] | None = None,
) -> tuple[ChartImage, ...]:
    """Draw every chart whose history has data, in reading order.

    ``only`` switches charts off by key (``{"importance": False}``).
    """
    plt = _plt()
    want = dict(only or {})
    charts: list[ChartImage] = []
    if history.training and want.get("learning", True):
        charts.append(_learning(plt, history, min_auc, max_ece))
    if history.shadow_pnl_bps and want.get("shadow_pnl", True):
        charts.append(_shadow_pnl(plt, history))
    if history.gate_pass and want.get("gates", True):
        charts.append(_gates(plt, history, snapshot))
    if history.calibration and want.get("reliability", True):
        charts.append(_reliability(plt, history))
    if history.importance_now and want.get("importance", True):
        charts.append(_importance(plt, history))
    return tuple(charts)
