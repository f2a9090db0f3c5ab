"""Rich renderables for the dashboard: pure functions of the data, so tests can read them.

Every string that came from an event (symbols, alert text, exit reasons, model notes,
export paths) goes through :func:`huracan.cli.term.cell` or :func:`~huracan.cli.term.clean`: no markup, no
control characters reach the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from huracan.cli.fmt import VERDICT_LABEL, VERDICT_STYLE, duration, gate_target, num, pct
from huracan.cli.term import cell, clean
from huracan.tui.data import ModelDetail, ModelRow, Overview, TradeDetail

__all__ = [
    "VERDICT_LABEL",
    "feed_line",
    "gate_target",
    "model_detail",
    "overview_panels",
    "pct",
    "trade_detail",
]

SEVERITY_STYLE = {"CRITICAL": "bold red", "ERROR": "red", "WARNING": "yellow"}


def bps(x: Any) -> str:
    return "–" if x is None else f"{float(x):+,.1f}"


def short_id(v: Any, n: int = 12) -> str:
    return clean(v)[:n] if v else "–"


def overview_panels(
    ov: Overview, gates: Any = None, models: list[ModelRow] | None = None, trades: list[dict[str, Any]] | None = None
) -> list[tuple[str, Text]]:
    """The overview as titled panels: the day, shadow trading, learning, alerts, then the
    gates against their targets, the newest models and the last trades (a wide screen
    shows them side by side)."""
    if ov.day is None:
        return [("Huracan", Text("No Engine data yet: run `huracan simulate`, or point the Engine at the daemon."))]
    day = Text()
    rate = ov.passed / ov.signals if ov.signals else None
    day.append("Signals ", style="bold")
    day.append(f"{ov.signals:,}\n")
    day.append("Passed every gate ", style="bold")
    day.append(f"{ov.passed:,} ({pct(rate)})\n")
    if ov.signals and rate == 0:
        day.append("⚠ nothing passed the gates — too strict?\n", style="bold red")
    trades_text = Text()
    for mode, st in ov.trades_by_mode.items():
        trades_text.append(f"{clean(mode):<7}", style="bold")
        trades_text.append(f" {int(st['trades']):>4} trades  win {pct(st['win_rate']):>6}  ")
        pnl = st["pnl_bps"]
        trades_text.append(f"{bps(pnl)} bps\n", style="green" if (pnl or 0) > 0 else "red")
    if not ov.trades_by_mode:
        trades_text.append("no shadow trade closed this day\n", style="dim")
    learning = Text()
    tr = ov.training
    if tr:
        learning.append(f"trained {str(tr['trained_at'])[:16]}\n")
        auc = tr.get("auc")
        learning.append("AUC ", style="bold")
        learning.append(num(auc) if auc is not None else "– (not reported)")
        if auc is not None and tr.get("auc_prev") is not None:
            learning.append(f" ({float(auc) - float(tr['auc_prev']):+.3f} vs previous)")
        ece = tr.get("ece")
        learning.append("\nECE ", style="bold")
        learning.append(num(ece) if ece is not None else "– (not reported)")
        learning.append(f"\n{int(tr['samples']):,} samples · model {short_id(tr['model_id'])}\n")
    else:
        learning.append("no training session yet\n", style="dim")
    alerts = Text()
    for a in ov.alerts[:10]:
        alerts.append(f"{str(a['ts'])[11:16]} ", style="dim")
        alerts.append(f"{clean(a['severity']):<8}", style=SEVERITY_STYLE.get(str(a["severity"]), ""))
        alerts.append_text(cell(f" {a['name']}: {a['message']}", 160))
        alerts.append("\n")
    if not ov.alerts:
        alerts.append("none\n", style="dim")
    panels = [
        (f"Day {ov.day} (UTC)", day),
        ("Shadow trades (paper)", trades_text),
        ("Learning", learning),
        (f"Alerts ({len(ov.alerts)})", alerts),
    ]
    if gates is not None and gates.gates:
        g = Text()
        for s in gates.gates:
            g.append_text(cell(f"{s.gate:<16} {s.mode:<7}"))
            g.append(f" {pct(s.pass_rate):>6} of {gate_target(s.targets):<8} ")
            g.append(VERDICT_LABEL[s.verdict], style=VERDICT_STYLE[s.verdict])
            g.append("\n")
        panels.append(("Gates: pass rate vs target", g))
    if models:
        m = Text()
        for row in models[:8]:
            v = row.version
            m.append(f"{v.model_id[:12]} AUC {num(v.metrics.get('auc')):<6} ECE {num(v.metrics.get('ece')):<7} ")
            m.append("ready " if v.ready else "not ready ", style="green" if v.ready else "yellow")
            m.append(row.state, style="dim")
            m.append("\n")
        panels.append(("Models (newest first)", m))
    if trades:
        t = Text()
        for r in trades[:10]:
            t.append(f"{str(r.get('closed_at') or '')[11:16]} ")
            t.append_text(cell(f"{r.get('symbol')} {r.get('mode')} {r.get('side')}", 28))
            ret = r.get("return_bps")
            t.append(f" {bps(ret)} bps\n", style="green" if (ret or 0) > 0 else "red")
        panels.append(("Last trades", t))
    return panels


def _verdict_text(passed: bool | None) -> Text:
    if passed is None:
        return Text("")
    return Text("PASS", style="green") if passed else Text("REJECT", style="bold red")


def trade_detail(d: TradeDetail) -> RenderableType:
    """``huracan explain`` + ``huracan trace`` for one signal, as one scrollable page."""
    from huracan.analytics.gate_explainer import format_delta, format_value

    ex = d.explanation
    head = Text()
    head.append_text(cell(ex.signal_id, style="bold"))
    when = f"{ex.ts:%Y-%m-%d %H:%M:%S} UTC" if ex.ts is not None else None
    for part in (ex.symbol, ex.mode, ex.side, when):
        if part is not None:
            head.append(" · ")
            head.append_text(cell(part))
    head.append(f"  →  {ex.verdict.upper()}\n", style="bold")
    head.append_text(cell(ex.summary, lines=True))
    gates = Table(title="Every gate", title_justify="left", expand=True, box=box.SIMPLE_HEAD)
    for col in ("gate", "verdict", "value", "threshold", "margin", "needs"):
        gates.add_column(col, no_wrap=col != "needs")
    for g in ex.gates:
        rel = f" ({g.margin_rel:+.1%})" if g.margin_rel is not None else ""
        gates.add_row(
            cell(g.gate),
            _verdict_text(g.passed),
            format_value(g.value, g.unit),
            f"{'≥' if g.direction == 'above' else '≤'} {format_value(g.threshold, g.unit)}",
            format_delta(g.margin, g.unit) + rel,
            cell(g.needs or ""),
        )
    why = Text()
    for g in ex.gates:
        why.append("• ")
        why.append_text(cell(g.sentence, style="" if g.passed else "red"))
        why.append("\n")
    outcome = Text()
    o = ex.outcome
    if o is None:
        outcome.append("No outcome recorded yet.", style="dim")
    else:
        what = "Counterfactual (had it traded)" if o.counterfactual else "Shadow trade outcome"
        outcome.append(f"{what}: ", style="bold")
        outcome.append(f"{bps(o.return_bps)} bps", style="green" if o.return_bps > 0 else "red")
        outcome.append(f", {'win' if o.win else 'loss'}")
        if o.exit_reason:
            outcome.append(", exit ")
            outcome.append_text(cell(o.exit_reason))
        if o.holding_seconds is not None:
            outcome.append(f", held {duration(o.holding_seconds)}")
        if ex.block_quality:
            outcome.append(f"  [{ex.block_quality.replace('_', ' ')}]", style="bold")
    parts: list[RenderableType] = [head, Text(""), gates, why, outcome]
    if d.trace is not None:
        tl = d.trace
        trace = Table(
            title=f"Decision trace: {clean(tl.outcome)}, {tl.total_ms:.2f} ms",
            title_justify="left",
            expand=True,
            box=box.SIMPLE_HEAD,
        )
        for col in ("step", "start ms", "ms", "share", "", "gate"):
            trace.add_column(col, justify="right" if col in ("start ms", "ms", "share") else "left", no_wrap=True)
        for s in tl.steps:
            bar = Text("█" * max(1, round((s.share or 0) * 24)), style="red" if s.bottleneck else "")
            trace.add_row(
                cell(s.name, style="bold red" if s.bottleneck else ""),
                f"{s.start_ms:.2f}",
                f"{s.duration_ms:.2f}",
                "-" if s.share is None else f"{s.share:.0%}",
                bar,
                _verdict_text(s.passed),
            )
        parts += [Text(""), trace]
    else:
        parts += [Text("\nNo decision trace was logged for this signal.", style="dim")]
    return Group(*parts)


def _live_by_mode(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    acc: dict[str, dict[str, float]] = {}
    for r in rows:
        a = acc.setdefault(str(r["mode"]), {"live_n": 0, "live_sum": 0.0, "shadow_n": 0, "shadow_sum": 0.0})
        ln, sn = int(r.get("live_trades") or 0), int(r.get("shadow_trades") or 0)
        a["live_n"] += ln
        a["live_sum"] += ln * float(r.get("live_avg_bps") or 0)
        a["shadow_n"] += sn
        a["shadow_sum"] += sn * float(r.get("shadow_avg_bps") or 0)
    out = []
    for mode, a in sorted(acc.items()):
        live = a["live_sum"] / a["live_n"] if a["live_n"] else None
        shadow = a["shadow_sum"] / a["shadow_n"] if a["shadow_n"] else None
        gap = live - shadow if live is not None and shadow is not None else None
        out.append({"mode": mode, "live_n": int(a["live_n"]), "live": live, "shadow_n": int(a["shadow_n"]),
                    "shadow": shadow, "gap": gap})  # fmt: skip
    return out


def model_detail(d: ModelDetail) -> RenderableType:
    """The export tracker: readiness, the attestation chain, lineage and Hamilton's live results."""
    v, chain = d.version, d.attestation
    head = Text()
    head.append(f"model {v.model_id}\n", style="bold")
    head.append_text(cell(f"{v.learner} · registered {v.registered_at:%Y-%m-%d %H:%M} UTC"))
    head.append("\nready for Hamilton: ", style="bold")
    if v.ready:
        head.append("yes", style="green")
    else:
        head.append("no", style="bold yellow")
        for reason in v.reasons:
            head.append("\n  • ")
            head.append_text(cell(reason))
    metrics = ", ".join(f"{clean(k)} {num(val)}" for k, val in sorted(v.metrics.items()))
    head.append(f"\nmetrics: {metrics}")
    if v.samples is not None:
        head.append(f" · {v.samples:,} training samples")
    steps = Table(title="Attestation chain", title_justify="left", expand=True, show_header=False, box=box.SIMPLE)
    steps.add_column("link", no_wrap=True, style="bold")
    steps.add_column("what")
    steps.add_row("data snapshot", cell(v.data_snapshot_id))
    steps.add_row("commit", cell(v.git_sha))
    art_style = {"verified": "green", "tampered": "bold red", "missing": "yellow"}.get(chain.artifact, "dim")
    art = cell(chain.artifact_path)
    art.append(f"  [{chain.artifact}]", style=art_style)
    steps.add_row("artifact (SHA256)", art)
    for e in chain.exports:
        line = Text(f"{e.ts:%Y-%m-%d %H:%M} → ")
        line.append_text(cell(e.export_path))
        line.append(" ready" if e.ready else " NOT ready", style="green" if e.ready else "yellow")
        if e.manifest_sha256:
            line.append(f" · manifest {e.manifest_sha256[:12]}", style="dim")
        if e.reasons:
            line.append_text(cell(" · " + "; ".join(e.reasons)))
        steps.add_row("export", line)
    if not chain.exports:
        steps.add_row("export", Text("not exported", style="dim"))
    for a in chain.acks:
        steps.add_row("Hamilton ack", Text(f"{a.ts:%Y-%m-%d %H:%M} loaded, SHA256 verified", style="green"))
    if not chain.acks:
        steps.add_row("Hamilton ack", Text("none", style="yellow" if chain.exports else "dim"))
    state_style = {"acknowledged": "green", "tampered": "bold red", "ack_overdue": "bold red"}.get(
        chain.state, "yellow"
    )
    state = Text(chain.state, style=state_style)
    state.append_text(cell(": " + chain.detail))
    steps.add_row("state", state)
    lineage = Text("lineage: ", style="bold")
    lineage.append(" → ".join(short_id(s["model_id"]) for s in d.lineage))
    live = Table(title="Hamilton live vs shadow (this model)", title_justify="left", expand=True, box=box.SIMPLE_HEAD)
    for col in ("mode", "live trades", "live avg bps", "shadow trades", "shadow avg bps", "gap bps"):
        live.add_column(col, justify="left" if col == "mode" else "right", no_wrap=True)
    for r in _live_by_mode(d.live):
        gap = r["gap"]
        live.add_row(
            cell(r["mode"]),
            f"{r['live_n']:,}",
            bps(r["live"]),
            f"{r['shadow_n']:,}",
            bps(r["shadow"]),
            Text(bps(gap), style="" if gap is None else ("green" if gap >= 0 else "red")),
        )
    parts: list[RenderableType] = [head, Text(""), steps, lineage, Text("")]
    parts.append(live if d.live else Text("Hamilton has reported no live trade for this model.", style="dim"))
    if v.notes:
        parts.append(cell(f"notes: {v.notes}", lines=True))
    return Group(*parts)


def feed_line(item: dict[str, Any]) -> Text:
    """One live-feed event as a line: what happened, with its mode, side and probability."""
    kind = str(item.get("type", "?"))
    t = Text(f"{str(item.get('ts', ''))[11:19]} ", style="dim")
    t.append(f"{clean(kind):<16} ", style="bold")
    g = item.get
    who = " ".join(clean(x) for x in (g("symbol"), g("mode"), g("side")) if x)
    if kind == "training_session":
        auc, ece = g("auc"), g("ece")
        body = f"trained {short_id(g('model_id'))}: AUC {num(auc)}, ECE {num(ece)}"
    elif kind == "model_registered":
        body = f"registered {short_id(g('model_id'))} ({clean(g('learner'))})"
    elif kind == "model_export":
        ready = "ready" if g("ready") else "NOT ready: " + "; ".join(clean(r) for r in g("reasons") or [])
        body = f"exported {short_id(g('model_id'))} → {clean(g('export_path'), 60)} ({ready})"
    elif kind == "model_loaded":
        verified = g("verified_sha256") == g("model_id")
        body = f"Hamilton loaded {short_id(g('model_id'))}" + (
            " (SHA256 verified)" if verified else " (SHA256 MISMATCH)"
        )
    elif kind == "shadow_trade":
        body = f"{who} opened, p(win) {pct(g('predicted_win_prob'), 0)}"
    elif kind == "shadow_outcome":
        if g("counterfactual"):
            blocked = ",".join(clean(b) for b in g("blocked_by") or [])
            body = f"{who} blocked by {blocked}: would have made {bps(g('return_bps'))} bps"
        else:
            body = f"{who} closed {bps(g('return_bps'))} bps ({clean(g('exit_reason'))})"
    elif kind == "live_outcome":
        body = f"LIVE {who} {bps(g('return_bps'))} bps, slippage {num(g('slippage_bps'))} bps"
    elif kind == "alert":
        t.append(f"{clean(g('severity'))} ", style=SEVERITY_STYLE.get(str(g("severity")), ""))
        body = f"{clean(g('name'))}: {clean(g('message'), 200)}"
    elif kind == "config_change":
        body = (
            f"{clean(g('key'))}: {clean(g('old_value'))} → {clean(g('new_value'))} "
            f"by {clean(g('author'))} ({clean(g('reason'), 80)})"
        )
    else:
        body = clean(", ".join(f"{k}={v}" for k, v in item.items() if k not in {"type", "ts"}), 160)
    t.append(body)
    return t
