"""`huracan models list|show|diff|export|verify|config|alerts`: the model registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from huracan.cli.common import ConfigOpt, DataDirOpt, JsonOpt, console, fail, print_json, settings
from huracan.cli.fmt import num
from huracan.cli.term import cell, cells, safe
from huracan.cli.trades_cmd import SinceOpt, UntilOpt, _day

if TYPE_CHECKING:
    from huracan.config import Settings

app = typer.Typer(
    help="Registered models: lineage, readiness, exports to Hamilton, verification.", no_args_is_help=True
)

IdArg = Annotated[str, typer.Argument(help="Model id (SHA256) or a unique prefix of it.")]


@contextmanager
def _registry(cfg: Settings) -> Iterator[Any]:
    from huracan.daemon.access import open_reader
    from huracan.store.registry import ModelRegistry

    with open_reader(cfg) as conn:
        yield ModelRegistry(cfg, store=conn)


@contextmanager
def _writable_registry(cfg: Settings) -> Iterator[Any]:
    """A registry whose events reach the store: via the daemon when it runs, else directly."""
    from huracan.daemon.access import RemoteConnection, auth_headers, find_daemon
    from huracan.store.registry import ModelRegistry

    url = find_daemon(cfg)
    if url:
        from huracan.ingest.client import DaemonSink

        conn, sink = RemoteConnection(url, auth_headers(cfg)), DaemonSink(url, auth_headers(cfg))
        emit: Callable[[Any], Any] = lambda e: sink.write_events([e])  # noqa: E731
        try:
            yield ModelRegistry(cfg, emit, store=conn)
        finally:
            sink.close()
            conn.close()
        return
    from huracan.store import Store

    store = Store.open(cfg)
    try:
        yield ModelRegistry(cfg, lambda e: store.write_events([e]), store=store.cursor())
    finally:
        store.close()


def _resolve(reg: Any, model_id: str) -> str:
    from huracan.store.registry import UnknownModelError

    try:
        return str(reg.resolve(model_id))
    except UnknownModelError as exc:
        fail(str(exc), code=2)


def _f(v: float | None, fmt: str = ".4f") -> str:
    return "-" if v is None else format(v, fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    learner: Annotated[str | None, typer.Option("--learner", help="Only this learner's models.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Every model, oldest first: metrics, readiness, and where it is on the attestation chain."""
    from rich.table import Table

    from huracan.analytics.evolution import model_line

    now = datetime.now(UTC)
    with _registry(settings(ctx, config, data_dir)) as reg:
        reg.preload()  # one query for every model's history, not several per model (issue 14)
        line = model_line(reg, learner)
        states = {
            row["version"].model_id: reg.attestation(row["version"].model_id, now, verify_artifact=False)
            for row in line
        }
    if json:
        print_json(
            [
                {
                    **row["version"].to_dict(),
                    "sha256": row["version"].model_id,
                    "deltas_vs_parent": row["deltas_vs_parent"],
                    "state": states[row["version"].model_id].state,
                }
                for row in line
            ]
        )
        return
    t = Table(title=f"{len(line)} model(s)", title_justify="left")
    for col in ("registered", "model", "learner", "parent", "AUC", "ΔAUC", "ECE", "ready", "state"):
        t.add_column(col, no_wrap=True)
    for row in line:
        v = row["version"]
        d = row["deltas_vs_parent"].get("auc")
        t.add_row(
            *cells(f"{v.registered_at:%Y-%m-%d %H:%M}", v.model_id[:12], v.learner, (v.parent_model_id or "-")[:12]),
            _f(v.metrics.get("auc")),
            _f(d["delta"], "+.4f") if d else "-",
            _f(v.metrics.get("ece")),
            "yes" if v.ready else "[yellow]no[/]",
            cell(states[v.model_id].state),
        )
    console.print(t)


@app.command("show")
def show(
    ctx: typer.Context, model_id: IdArg, config: ConfigOpt = None, data_dir: DataDirOpt = None, json: JsonOpt = False
) -> None:
    """One model: metadata, sha256, artifact path, readiness, lineage and attestation chain."""
    from huracan.analytics.evolution import lineage, model_version

    with _registry(settings(ctx, config, data_dir)) as reg:
        mid = _resolve(reg, model_id)
        v = model_version(reg, mid)
        chain = reg.attestation(mid, datetime.now(UTC))
        steps = lineage(reg, mid)
    data = {
        **v.to_dict(),
        "sha256": mid,
        "artifact_path": chain.artifact_path,
        "attestation": chain.to_dict(),
        "lineage": [{"model_id": s["model_id"], "known": s["known"], "deltas": s["deltas"]} for s in steps],
    }
    if json:
        print_json(data)
        return
    console.print(f"[bold]model {safe(mid)}[/] ({safe(v.learner)})", highlight=False)
    console.print(f"artifact   {safe(chain.artifact_path)} {safe('[' + str(chain.artifact) + ']')}", highlight=False)
    console.print(
        f"chain      data {safe(v.data_snapshot_id)} → commit {safe(v.git_sha)} → sha256 {safe(mid[:12])} → "
        f"{len(chain.exports)} export(s) → {len(chain.acks)} Hamilton ack(s)",
        highlight=False,
    )
    console.print(f"state      {safe(chain.state)}: {safe(chain.detail)}", highlight=False)
    console.print("metrics    " + safe(", ".join(f"{k} {num(val)}" for k, val in sorted(v.metrics.items()))))
    console.print("ready      " + ("yes" if v.ready else "no — " + safe("; ".join(v.reasons))))
    j = v.judged_on
    if j.get("auc") is not None and j.get("ece") is not None:
        on = f"{j['predictions']:,} predictions" if j.get("predictions") else "its reported numbers"
        console.print(
            f"judged on  AUC {j['auc']:.3f}, ECE {j['ece']:.3f} ({safe(str(j['source']))}, {on}); "
            "the same rule as `huracan metrics` and the digest",
            highlight=False,
        )
    console.print("lineage    " + safe(" → ".join(s["model_id"][:12] for s in steps)))
    if v.notes:
        console.print(f"notes      {safe(v.notes, lines=True)}", highlight=False)


@app.command("diff")
def diff(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="Older model id or prefix.")],
    b: Annotated[str, typer.Argument(help="Newer model id or prefix.")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Compare two models: metric deltas (b − a), feature-importance shifts, readiness, lineage."""
    from huracan.analytics.evolution import compare_models
    from huracan.analytics.model_change import HIGHER_IS_BETTER
    from huracan.cli.learning_cmd import change_mark

    with _registry(settings(ctx, config, data_dir)) as reg:
        c = compare_models(reg, _resolve(reg, a), _resolve(reg, b))
    if json:
        print_json(c.to_dict())
        return
    console.print(
        f"[bold]{safe(c.a.model_id[:12])} → {safe(c.b.model_id[:12])}[/]: {safe(c.relation)}; "
        f"readiness {safe(c.readiness_change)}"
    )
    for m, d in c.metric_deltas.items():
        mark = change_mark(d) if m in HIGHER_IS_BETTER else ""
        sign = "+" if d["delta"] > 0 else ""
        console.print(f"  {safe(m, 60):<10} {num(d['before'])} → {num(d['after'])} ({sign}{num(d['delta'])}) {mark}")
    if c.drift is not None:
        console.print(f"features: L1 {c.drift.l1:.3f}, Spearman {_f(c.drift.spearman, '.3f')}")
        for mv in c.drift.moves[:5]:
            console.print(f"  {safe(mv.feature, 60):<22} {mv.before:.3f} → {mv.after:.3f} ({mv.delta:+.3f})")
    if not c.b.ready:
        console.print("[yellow]not ready:[/] " + safe("; ".join(c.b.reasons)))


@app.command("export")
def export(
    ctx: typer.Context,
    model_id: IdArg,
    export_dir: Annotated[Path | None, typer.Option("--export-dir", help="Where Hamilton reads models.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Export a model that is not ready; recorded as forced.")
    ] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Verify and copy a model for Hamilton with its manifest; logs a model_export event.

    A model that is not ready is refused (exit 1, nothing written) unless --force; a forced
    export says so in its manifest and its model_export event.
    """
    from huracan.store.registry import NotReadyError, RegistryError

    with _writable_registry(settings(ctx, config, data_dir)) as reg:
        mid = _resolve(reg, model_id)
        try:
            m = reg.export(mid, ts=datetime.now(UTC), export_dir=export_dir, force=force)
        except NotReadyError as exc:
            fail(str(exc), hint="check `huracan models show` for its metrics and readiness")
        except RegistryError as exc:
            fail(str(exc))
    if json:
        print_json(
            {
                **m.model_dump(mode="json"),
                "artifact_path": m.artifact_path,
                "manifest_path": m.manifest_path,
                "manifest_sha256": m.manifest_sha256,
            }
        )
        return
    console.print(f"exported {mid[:12]} to {safe(m.artifact_path)}", highlight=False)
    console.print(f"manifest {safe(m.manifest_path)} (sha256 {m.manifest_sha256[:12]})", highlight=False)
    if m.ready:
        console.print("ready for Hamilton")
    else:
        console.print("[bold yellow]FORCED export of a model that is not ready:[/] " + safe("; ".join(m.reasons)))


@app.command("verify")
def verify(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="Model id/prefix, an artifact path or an export manifest.")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Recompute an artifact's SHA256; exit 1 if it does not match what it is registered as."""
    from huracan.store.registry import ForgedManifestError, RegistryError, TamperedArtifactError

    cfg = settings(ctx, config, data_dir)
    path = Path(target)
    with _registry(cfg) as reg:
        try:
            if path.exists():
                sha = reg.verify(path)
            else:
                mid = _resolve(reg, target)
                path = reg.artifact_path(mid)
                sha = reg.verify(path, mid)
        except TamperedArtifactError as exc:
            if json:
                print_json({"ok": False, "path": str(exc.path), "expected": exc.expected, "actual": exc.actual})
                raise typer.Exit(1) from None
            fail(str(exc))
        except ForgedManifestError as exc:
            if json:
                print_json({"ok": False, "path": str(exc.path), "problems": exc.problems})
                raise typer.Exit(1) from None
            fail(str(exc))
        except RegistryError as exc:
            fail(str(exc), code=2)
    if json:
        print_json({"ok": True, "path": str(path), "sha256": sha})
    else:
        console.print(f"[green]ok[/] {safe(path)}: sha256 {sha}", highlight=False)


@app.command("config")
def config_history_cmd(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Option("--key", help="Dotted key or prefix, e.g. gates.meta_label.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Engine configuration changes (e.g. a gate threshold moved) with diffs, author and reason."""
    from huracan.analytics.evolution import config_history
    from huracan.daemon.access import open_reader

    with open_reader(settings(ctx, config, data_dir)) as conn:
        rows = config_history(conn, since=_day("--since", since), until=_day("--until", until), key=key)
    if json:
        print_json([r.to_dict() for r in rows])
        return
    for r in rows:
        console.print(
            f"[bold]{r.ts:%Y-%m-%d %H:%M}[/] {safe(r.author)}: {safe(r.reason or 'no reason given')}", highlight=False
        )
        console.print(cell(r.diff, lines=True), highlight=False)


@app.command("alerts")
def alerts(ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, json: JsonOpt = False) -> None:
    """Ready exports Hamilton has not acknowledged within readiness.export_ack_timeout_h."""
    with _registry(settings(ctx, config, data_dir)) as reg:
        found = reg.pending_ack_alerts(datetime.now(UTC))
    if json:
        print_json([a.model_dump(mode="json") for a in found])
        return
    if not found:
        console.print("[green]every ready export is acknowledged, within its timeout, or superseded[/]")
    for a in found:
        console.print(f"[yellow]{safe(a.name)}[/] {safe(a.message)}", highlight=False)
