"""`huracan learning summary|sessions|calibration|features`: what the Engine learned."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, DateOpt, JsonOpt, console, fail, parse_day, print_json, settings
from huracan.cli.term import cells, safe
from huracan.cli.trades_cmd import ModelOpt, SinceOpt, UntilOpt, _day

app = typer.Typer(help="Training sessions, feature drift, calibration history, daily summary.", no_args_is_help=True)


def change_mark(d: dict[str, Any]) -> str:
    """The word for a change, with its evidence: only a significant change is better or worse."""
    word = d["word"]
    style = {"better": "green", "worse": "red"}.get(word, "dim")
    if d.get("low") is not None:
        evidence = f"95% CI {d['low']:+.4f} to {d['high']:+.4f}"
    elif d.get("source") == "reported":
        evidence = "reported numbers: no predictions to test it on"
    else:
        evidence = "too few predictions to test it"
    return f"[{style}]{word}[/] [dim]({evidence})[/]"


def _f(v: float | None, fmt: str = ".3f") -> str:
    return "-" if v is None else format(v, fmt)


@app.command("summary")
def summary(
    ctx: typer.Context,
    date: DateOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Feature moves to show.")] = 5,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """The day's learning: what the Engine learned (the digest's lines), samples trained, metric
    deltas vs the previous session, top feature moves."""
    from huracan.analytics.days import report_day
    from huracan.analytics.learned import published_lines
    from huracan.analytics.learning import daily_summary
    from huracan.analytics.metrics import compute_snapshot
    from huracan.cli.plugins_cmd import load_plugins
    from huracan.daemon.access import open_reader

    cfg = settings(ctx, config, data_dir)
    with open_reader(cfg) as conn:
        day = report_day(conn, parse_day(date))
        if day is None:
            fail(
                "no Engine data (signals or outcomes) in the store yet",
                hint="the Engine logs training_session after each retrain; `huracan demo` fills a store",
            )
        s = daily_summary(conn, day, cfg, top=top)
        # The digest's "What the Engine learned" lines: the same snapshot, the same verifier.
        lines, withheld = published_lines(compute_snapshot(conn, day, load_plugins(cfg), cfg))
    learned = [line["text"] for line in lines]
    if json:
        print_json({**s.to_dict(), "learned": learned, "learned_lines": lines, "learned_withheld": len(withheld)})
        return
    from huracan.digest.learned_view import NOTHING, withheld_note

    console.print(f"[bold]Learning on {day}[/] (UTC)")
    console.print("[bold]What the Engine learned[/] (as in the digest)")
    for line in learned or [NOTHING]:
        console.print(f"  • {safe(line, 600)}", highlight=False)
    if withheld:
        console.print(f"  • {withheld_note(len(withheld))}", highlight=False)
    if s.latest is None:
        console.print("no training session that day")
    else:
        console.print(
            f"trained {len(s.sessions)} session(s) on {s.samples_total:,} samples "
            f"({s.samples_historical:,} historical + {s.samples_shadow:,} shadow); "
            f"latest model {safe(s.latest['model_id'][:12])}"
        )
        for m, d in s.metric_deltas.items():
            console.print(f"  {safe(m):<8} {d['before']:.4f} → {d['after']:.4f} ({d['delta']:+.4f}) {change_mark(d)}")
        if not s.metric_deltas:
            console.print("  no previous session to compare with")
    if s.drift is not None:
        console.print(f"feature drift: L1 {s.drift.l1:.3f}, Spearman {_f(s.drift.spearman)}")
        for mv in s.top_moves:
            rank = (
                f"rank {mv.rank_before}→{mv.rank_after}"
                if mv.rank_change is not None
                else "new"
                if mv.rank_before is None
                else "gone"
            )
            console.print(
                f"  {safe(mv.feature, 60):<22} {mv.before:.3f} → {mv.after:.3f} ({mv.delta:+.3f}, {rank})",
                highlight=False,
            )
    for c in s.calibration:
        r = c["report"]
        console.print(
            f"calibration (recomputed, {r.samples} predictions): ECE {_f(r.ece)}, MCE {_f(r.mce)}, "
            f"Brier {_f(r.brier)}, AUC {_f(r.auc)}"
        )
    for regime, st in s.performance_by_regime.items():
        console.print(
            f"  {safe(regime, 60):<10} {st.count} closed shadow trades, win {_f(st.win_rate, '.1%')}, "
            f"avg {_f(st.avg_bps, '+.1f')} bps"
        )
    if s.ready is not None:
        console.print(
            "ready for Hamilton" if s.ready else "[yellow]not ready:[/] " + safe("; ".join(s.readiness_reasons))
        )
    for flag in s.flags:
        console.print(f"[red]flag:[/] {safe(flag)}", highlight=False)


@app.command("sessions")
def sessions(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: UntilOpt = None,
    model: ModelOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Training sessions: samples (historical / shadow), duration, AUC, ECE, MCE, Brier, log loss."""
    from rich.table import Table

    from huracan.analytics.learning import training_sessions
    from huracan.daemon.access import open_reader

    with open_reader(settings(ctx, config, data_dir)) as conn:
        rows = training_sessions(conn, since=_day("--since", since), until=_day("--until", until), model_id=model)
    if json:
        print_json(rows)
        return
    t = Table(title="Training sessions (metrics as reported by the Engine)", title_justify="left")
    for col in ("day", "session", "model", "hist", "shadow", "secs", "AUC", "ECE", "MCE", "Brier", "logloss"):
        t.add_column(col, justify="left" if col in ("day", "session", "model") else "right", no_wrap=True)
    for r in rows:
        t.add_row(
            *cells(r["day"], r["session_id"], r["model_id"][:12]),
            f"{r['samples_historical']:,}",
            f"{r['samples_shadow']:,}",
            "–" if r["duration_s"] is None else f"{r['duration_s']:.0f}",
            *("–" if r[m] is None else f"{r[m]:.4f}" for m in ("auc", "ece", "mce", "brier", "log_loss")),
        )
    console.print(t)


@app.command("calibration")
def calibration(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: UntilOpt = None,
    model: ModelOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Calibration recomputed from the predictions (reliability bins); flags producer disagreements."""
    from huracan.analytics.learning import calibration_history
    from huracan.daemon.access import open_reader

    with open_reader(settings(ctx, config, data_dir)) as conn:
        hist = calibration_history(conn, since=_day("--since", since), until=_day("--until", until), model_id=model)
    if json:
        print_json([{**h, "report": h["report"].to_dict()} for h in hist])
        return
    if not hist:
        fail("no calibration events match", hint="the Engine logs one calibration event per training session")
    for h in hist:
        r = h["report"]
        console.print(
            f"[bold]{safe(h['session_id'])}[/] model {safe(h['model_id'][:12])}: ECE {_f(r.ece)} MCE {_f(r.mce)} "
            f"Brier {_f(r.brier)} AUC {_f(r.auc)} on {r.samples} predictions"
        )
        for b in r.bins:
            if b.count:
                console.print(
                    f"  [{b.lower:.1f}, {b.upper:.1f}) n={b.count:<5} predicted {b.mean_predicted:.3f} "
                    f"observed {b.observed_rate:.3f}",
                    highlight=False,
                )
        for msg in r.disagreements:
            console.print(f"  [red]flag:[/] {safe(msg)}", highlight=False)


@app.command("features")
def features(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: UntilOpt = None,
    model: ModelOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Feature-importance evolution: drift (L1, Spearman) and rank moves between consecutive sessions."""
    from huracan.analytics.learning import feature_drift, importance_history
    from huracan.daemon.access import open_reader

    with open_reader(settings(ctx, config, data_dir)) as conn:
        hist = importance_history(conn, since=_day("--since", since), until=_day("--until", until), model_id=model)
    out: list[dict[str, Any]] = []
    for prev, cur in zip([None, *hist[:-1]], hist, strict=True):
        drift = feature_drift(prev["importances"], cur["importances"]) if prev else None
        out.append({**cur, "drift": drift.to_dict() if drift else None})
    if json:
        print_json(out)
        return
    for row in out:
        d = row["drift"]
        head = f"[bold]{safe(row['session_id'])}[/] model {safe(row['model_id'][:12])}"
        if d is None:
            console.print(head + " (first session shown)")
        else:
            console.print(head + f": L1 {d['l1']:.3f}, Spearman {_f(d['spearman'])}")
            for mv in d["moves"][:3]:
                console.print(
                    f"  {safe(mv['feature'], 60):<22} {mv['before']:.3f} → {mv['after']:.3f} ({mv['delta']:+.3f})",
                    highlight=False,
                )
