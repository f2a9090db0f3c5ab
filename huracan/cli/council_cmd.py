"""`huracan council run|verify|cost`: the AI council and its number verifier."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, DateOpt, JsonOpt, console, fail, parse_day, print_json, settings
from huracan.cli.term import MAX_TEXT, cell, cells, safe

if TYPE_CHECKING:
    from huracan.analytics.snapshot import MetricsSnapshot
    from huracan.config import Settings
    from huracan.council.schema import CouncilResult, DirectionCheck, VerifiedNumber

app = typer.Typer(help="The AI council: analysts, judge, number verifier, cost.", no_args_is_help=True)

SnapshotOpt = Annotated[
    Path | None,
    typer.Option("--snapshot", "-s", help="A snapshot JSON as written by `huracan metrics --json` (skips computing)."),
]


def load_snapshot(path: Path) -> MetricsSnapshot:
    """Read a snapshot file, failing with a message that says what is wrong with it."""
    from pydantic import ValidationError

    from huracan.analytics.snapshot import MetricsSnapshot

    if not path.is_file():
        fail(f"no such snapshot file: {path}", hint="write one with `huracan metrics --json > snapshot.json`", code=2)
    try:
        return MetricsSnapshot.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        fail(
            f"{path} is not a metrics snapshot ({exc.error_count()} problem(s); first at {where}: {first['msg']})",
            hint="pass the JSON printed by `huracan metrics --json`",
            code=2,
        )


def _compute(cfg: Settings, day: date | None) -> MetricsSnapshot:
    try:
        from huracan.analytics.metrics import compute_snapshot
        from huracan.daemon.access import open_reader
        from huracan.plugins.manager import get_plugins
    except ImportError as exc:  # a partial install or an older tree
        fail(f"cannot compute a snapshot here ({exc})", hint="pass --snapshot FILE from `huracan metrics --json`")
    from huracan.analytics.days import report_day

    with open_reader(cfg) as conn:
        day = report_day(conn, day)
        if day is None:
            fail(
                "the store has no Engine data yet, so there is no day to report", hint="pass --date or --snapshot FILE"
            )
        return compute_snapshot(conn, day, get_plugins(cfg), cfg)


def _number_rows(numbers: list[VerifiedNumber]) -> list[dict[str, Any]]:
    return [
        {
            "number": n.text,
            "span": [n.start, n.end],
            "kind": n.kind,
            "metric": n.metric_id,
            "field": n.field,
            "failure": n.failure,
            "elsewhere": n.elsewhere,
            "ok": n.verified,
            "matched": (f"{n.metric_id}.{n.field}" if n.metric_id else n.field or "date") if n.verified else n.failure,
            "action": n.action,
            "detail": n.detail,
        }
        for n in numbers
    ]


def _direction_rows(directions: list[DirectionCheck]) -> list[dict[str, Any]]:
    return [
        {
            "word": d.text,
            "span": [d.start, d.end],
            "kind": d.kind,
            "negated": d.negated,
            "metric": d.metric_ids[0] if len(d.metric_ids) == 1 else (d.metric_ids or None),
            "actual": d.actual,
            "failure": d.failure,
            "ok": d.ok,
            "action": d.action,
        }
        for d in directions
    ]


def _print_table(numbers: list[VerifiedNumber], directions: list[DirectionCheck] = ()) -> None:  # type: ignore[assignment]
    from rich.table import Table

    table = Table("number", "metric", "matched", "action", title="numbers", title_justify="left")
    for row in _number_rows(numbers):
        style = None if row["ok"] else "red"
        matched = row["matched"] + (f" (is {row['elsewhere']})" if row["elsewhere"] and not row["ok"] else "")
        table.add_row(*cells(row["number"], row["metric"] or "—", matched, row["action"]), style=style)
    console.print(table)
    if directions:
        table = Table("word", "metric", "snapshot", "verdict", title="direction words", title_justify="left")
        for d in _direction_rows(directions):
            metric = d["metric"] if isinstance(d["metric"], str) else ", ".join(d["metric"] or ["—"])
            verdict = "ok" if d["ok"] else d["failure"]
            table.add_row(*cells(d["word"], metric, d["actual"], verdict), style=None if d["ok"] else "red")
        console.print(table)


def _print_result(r: CouncilResult) -> None:
    console.print(
        f"[bold]Council for {r.date}[/] — mode [bold]{r.mode}[/], judge {safe(r.judge_model or '(deterministic)')}"
    )
    for a in r.analyses:
        head = safe(f"[{a.label}] ") if a.label else ""
        state = {"ok": "[green]ok[/]", "failed": "[red]failed[/]", "substituted": "[yellow]offline stand-in[/]"}
        console.print(f"\n[bold]{head}{safe(a.role)}[/] ({safe(a.model)}) {state[a.status]}")
        # Model-written text: shown, never obeyed (issue 13).
        if a.error:
            console.print(cell(f"  {a.error}", MAX_TEXT, style="dim", lines=True), highlight=False)
        if a.analysis:
            console.print(cell(f"  {a.analysis.summary}", MAX_TEXT, lines=True), highlight=False)
            for f in a.analysis.findings:
                console.print(
                    cell(f"  - [{f.severity}] {f.title} ({', '.join(f.metric_ids)})", MAX_TEXT), highlight=False
                )
    console.print("\n[bold]Digest text[/]")
    console.print(cell(r.text, 100_000, lines=True), highlight=False)
    console.print()
    _print_table(r.verification, r.directions)
    for flag in r.flags:
        console.print(f"[yellow]flag[/] {safe(flag.kind)}: {safe(flag.detail)}", highlight=False)
    if r.canary:
        for case in r.canary.cases:
            mark = "[green]caught[/]" if case.caught else "[bold red]MISSED[/]"
            console.print(f"canary {safe(case.kind)}: {mark}", highlight=False)
            console.print(cell(f"  {case.sentence}", MAX_TEXT), highlight=False)
    c = r.cost
    console.print(
        f"cost: ${c.run_usd:.4f} this run ({len(c.calls)} calls), ${c.month_to_date_usd:.2f} of "
        f"${c.monthly_budget_usd:.2f} this month",
        highlight=False,
    )
    for note in r.notes:
        console.print(f"[dim]note:[/] {safe(note)}", highlight=False)


@app.command("run")
def run(
    ctx: typer.Context,
    date: DateOpt = None,
    snapshot: SnapshotOpt = None,
    seed: Annotated[int, typer.Option(help="Seeds the analysts' anonymous order and the canary.")] = 0,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Run the council on a day: analyses, the judge's verified text, the verification table, the cost."""
    from huracan.council import run_council

    # On a snapshot file the data dir only receives the cost ledger: it may be new.
    cfg = settings(ctx, config, data_dir, must_exist=snapshot is None)
    snap = load_snapshot(snapshot) if snapshot else _compute(cfg, parse_day(date))
    if json:
        result = run_council(snap, cfg, seed=seed)
        print_json(result)
        return
    with console.status("the council is deliberating…"):
        result = run_council(snap, cfg, seed=seed)
    _print_result(result)
    if result.canary is not None and not result.canary.caught:
        raise typer.Exit(3)


@app.command("verify")
def verify(
    snapshot: Annotated[Path, typer.Option("--snapshot", "-s", help="Snapshot JSON from `huracan metrics --json`.")],
    text: Annotated[Path, typer.Option("--text", "-t", help="The text to check ('-' for stdin).")],
    json: JsonOpt = False,
) -> None:
    """Check every number, date and direction word of a text against the metric it names.

    Placeholders such as {model_auc} are rendered first. Each number is linked to the
    metric its clause names (id, name or synonym) and must be a value of *that* metric
    (``wrong_record`` if it is another's, ``unverified`` if it is nobody's); each
    direction word ("rose", "improved", "is ready") must match the metric's change, its
    significance, or the readiness verdict (``wrong_direction``). Exit 0 only if all hold;
    the sentences that would be removed before publishing are listed.
    """
    import sys

    from huracan.council.numbers import POLICY
    from huracan.council.placeholders import render
    from huracan.council.publish import publish
    from huracan.council.verifier import verify as verify_text

    snap = load_snapshot(snapshot)
    if str(text) == "-":
        raw = sys.stdin.read()
    elif text.exists() and not text.is_dir():  # files and pipes (<(...))
        raw = text.read_text(encoding="utf-8")
    else:
        fail(f"no such text file: {text}", code=2)
    rendered = render(raw, snap)
    report = verify_text(rendered.text, snap, rendered.spans)
    # What publishing removes (every unit, including any a first removal exposed), in the
    # rendered text's coordinates: published == rendered minus exactly these.
    published = publish(raw, snap)
    removed = published.removed
    numbers = [n.model_copy(update={"action": "removed" if any(u.start <= n.start < u.end for u in removed) else "kept"})
               for n in report.numbers]  # fmt: skip
    directions = [d.model_copy(update={"action": "removed" if any(u.start <= d.start < u.end for u in removed) else "kept"})
                  for d in report.directions]  # fmt: skip
    ok = report.ok and not rendered.errors and not removed
    if json:
        print_json(
            {
                "ok": ok,
                "text": rendered.text,
                "numbers": _number_rows(numbers),
                "directions": _direction_rows(directions),
                "removed": [
                    {"span": [u.start, u.end], "kind": u.kind, "text": u.text, "reasons": list(u.reasons)}
                    for u in removed
                ],
                "published": published.text,
                "unknown_placeholders": [{"placeholder": p, "error": e} for p, e in rendered.errors],
                "wording": [d for d in _direction_rows(directions) if not d["ok"]],
                "policy": POLICY,
            }
        )
    else:
        _print_table(numbers, directions)
        for p, e in rendered.errors:
            console.print(f"[red]unknown placeholder[/] {safe(p)}: {safe(e)}", highlight=False)
        for n in numbers:
            if not n.verified:
                console.print(cell(f"{n.failure} {n.text}: {n.detail}", MAX_TEXT, style="red"), highlight=False)
        n_bad = len(report.unverified) + len(rendered.errors) + len(report.wrong_directions)
        summary = "every claim verified" if ok else f"{n_bad} problem(s); {len(removed)} sentence(s) would be removed"
        console.print(f"{len(numbers)} number(s), {len(directions)} direction word(s): {summary}")
    raise typer.Exit(0 if ok else 1)


def _estimate_snapshot(cfg: Settings, path: Path | None, day: date | None) -> tuple[MetricsSnapshot, str]:
    """The snapshot whose prompts the estimate counts: a file, the store's day, else synthetic."""
    if path is not None:
        return load_snapshot(path), f"snapshot file {path}"
    from datetime import UTC, datetime

    from huracan.council.estimate import synthetic_snapshot

    try:
        from huracan.analytics.days import report_day
        from huracan.analytics.metrics import compute_snapshot
        from huracan.daemon.access import open_reader
        from huracan.plugins.manager import get_plugins

        with open_reader(cfg) as conn:
            found = report_day(conn, day)
            if found is not None:
                return compute_snapshot(conn, found, get_plugins(cfg), cfg), f"the store's day {found.isoformat()}"
    except Exception:  # no store or an unreadable one: the estimate needs only the catalog
        pass
    snap = synthetic_snapshot(cfg, day or datetime.now(UTC).date())
    return snap, f"every registered metric ({len(snap.metrics)}), synthetic: no data in the store yet"


def _print_estimate(est: Any) -> None:
    from rich.table import Table

    table = Table(
        "model", "roles", "calls", "prompt tok", "answer tok", "$ / run", title="per run", title_justify="left"
    )
    for m in est.models:
        usd = f"{m.usd:.4f}" if m.priced else "unpriced"
        table.add_row(
            *cells(m.model, ", ".join(m.roles), m.calls, f"{m.prompt_tokens:,}", f"{m.completion_tokens:,}", usd)
        )
    console.print(table)
    for m in est.models:
        if m.note:
            console.print(cell(f"  {m.model}: {m.note}", MAX_TEXT, style="dim"))
    assumed = [m.model for m in est.models if not m.measured_answers and not m.note]
    if assumed:
        from huracan.council.estimate import ANALYST_OUTPUT_TOKENS, JUDGE_OUTPUT_TOKENS

        console.print(
            cell(
                f"  answer sizes assumed for {len(assumed)} model(s) with no paid call in the ledger yet: "
                f"{ANALYST_OUTPUT_TOKENS:,} tokens an analysis, {JUDGE_OUTPUT_TOKENS:,} a judge draft",
                MAX_TEXT,
                style="dim",
            )
        )
    verdict = "within" if est.usd_per_month <= est.monthly_budget_usd else "OVER"
    console.print(
        f"${est.usd_per_run:.4f} a run (with {est.revision_rounds} judge revision(s)) × {est.runs_per_month} runs "
        f"= [bold]${est.usd_per_month:.2f} a month[/], {verdict} the ${est.monthly_budget_usd:.2f} budget",
        highlight=False,
    )
    console.print(cell(f"prompts counted on {est.snapshot_source}; prices from litellm's local price map", MAX_TEXT))


@app.command("cost")
def cost(
    ctx: typer.Context,
    estimate: Annotated[
        bool, typer.Option("--estimate", help="Forecast a month of the configured council (needs no key).")
    ] = False,
    snapshot: SnapshotOpt = None,
    date: DateOpt = None,
    days: Annotated[int, typer.Option(min=1, help="Runs a month (with --estimate).")] = 30,
    revisions: Annotated[int, typer.Option(min=0, help="Judge revision rounds a run (with --estimate).")] = 1,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Month-to-date council spend against the budget, per model, from the ledger.

    With --estimate: what a month of the configured council will cost, from the token
    count of the prompts its analysts and judge would be sent (for --snapshot FILE, the
    store's --date or latest day, or every registered metric when there is no data yet)
    and litellm's local price map. Works without any API key.
    """
    from datetime import UTC, datetime

    from huracan.council.budget import Ledger

    cfg = settings(ctx, config, data_dir)
    if estimate:
        from huracan.council.estimate import estimate as forecast

        snap, source = _estimate_snapshot(cfg, snapshot, parse_day(date))
        est = forecast(cfg, snap, snapshot_source=source, runs_per_month=days, revision_rounds=revisions)
        if json:
            print_json(est.as_dict())
        else:
            _print_estimate(est)
        return
    ledger = Ledger.for_settings(cfg)
    now = datetime.now(UTC)
    month = now.strftime("%Y-%m")
    per_model: dict[str, dict[str, float]] = {}
    for r in ledger.records():
        if r.get("kind") == "call" and str(r.get("ts", "")).startswith(month):
            m = per_model.setdefault(str(r.get("model")), {"calls": 0, "tokens": 0, "usd": 0.0})
            m["calls"] += 1
            m["tokens"] += int(r.get("prompt_tokens", 0)) + int(r.get("completion_tokens", 0))
            m["usd"] += float(r.get("cost_usd", 0.0))
    spent = sum(m["usd"] for m in per_model.values())
    out = {
        "month": month,
        "spent_usd": round(spent, 6),
        "monthly_budget_usd": cfg.council.monthly_budget_usd,
        "per_run_cap_usd": cfg.council.per_run_cap_usd,
        "models": per_model,
        "ledger": str(ledger.path),
    }
    if json:
        print_json(out)
        return
    console.print(f"council spend {month}: ${spent:.4f} of ${cfg.council.monthly_budget_usd:.2f}")
    for model, m in sorted(per_model.items()):
        console.print(
            f"  {safe(model, 60):<40} {int(m['calls']):>5} calls {int(m['tokens']):>9} tokens  ${m['usd']:.4f}"
        )
    if not per_model:
        console.print(f"  no calls this month (ledger: {ledger.path})", highlight=False)
