"""One definition per number (#12): every per-day face tells the same story about a day.

For the same day, on the sparse real-calendar fixture and on simulated data, this runs
``huracan metrics``, ``gates report``, ``trades stats --date``, ``learning summary``,
``models show``, ``models alerts``, the digest and the dashboard's data layer, and checks
that the numbers they share are equal:

* shadow trading counts on the **close day** — metrics, ``trades stats`` and the dashboard;
* gates count on the **decision day** — metrics and ``gates report`` (and the dashboard);
* readiness and acknowledgement come from one function — metrics, the digest, ``models
  show``, ``learning summary``, the dashboard and ``models alerts``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sparse_calendar import END, Sparse, build
from typer.testing import CliRunner

from huracan.analytics.format import format_value
from huracan.analytics.readiness import end_of_day
from huracan.cli import app
from huracan.config import load_config
from huracan.store import Store
from huracan.store.registry import ModelRegistry
from huracan.testing import simulated_data_dir
from huracan.tui.data import gates, load_overview, models

runner = CliRunner()


def _json(data_dir: Path, *args: str) -> Any:
    res = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def sparse() -> Sparse:
    return build()


@pytest.fixture(scope="module")
def sparse_dir(tmp_path_factory: pytest.TempPathFactory, sparse: Sparse) -> Path:
    data = tmp_path_factory.mktemp("sparse") / "data"
    with Store.open(load_config(data_dir=data)) as store:
        store.write_events(sparse.events)
    return data


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_data_dir(tmp_path_factory.mktemp("sim") / "data", days=5, signals_per_day=300, seed=11)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check_day(data_dir: Path, day: date, tmp: Path) -> dict[str, int]:
    """Run every face for ``day`` and compare; returns how many numbers were compared."""
    d = day.isoformat()
    snap = _json(data_dir, "metrics", "--json", "--date", d)
    m = {k: v for k, v in snap["metrics"].items()}

    def val(mid: str) -> float | None:
        return m[mid]["value"] if mid in m else None

    compared = {"trades": 0, "gates": 0, "dashboard": 0, "readiness": 0}
    # -- shadow trading: close day --------------------------------------------------------
    stats = _json(data_dir, "trades", "stats", "--date", d, "--by", "mode", "--json")["groups"]
    total = _json(data_dir, "trades", "stats", "--date", d, "--json")["groups"].get("all")
    assert (val("shadow_closed") or 0) == (total["count"] if total else 0)
    if total:
        assert _close(val("shadow_pnl_bps"), total["total_bps"])
        assert _close(val("shadow_win_rate"), total["win_rate"])
        assert _close(val("shadow_avg_return_bps"), total["avg_bps"])
        assert _close(val("shadow_avg_holding_s"), total["avg_holding_seconds"])
        assert _close(val("shadow_profit_factor"), total["profit_factor"])
        assert _close(val("shadow_max_drawdown_bps"), total["max_drawdown_bps"])
        compared["trades"] += 7
    for mode, s in stats.items():
        assert val(f"shadow_closed.{mode}") == s["count"]
        assert _close(val(f"shadow_win_rate.{mode}"), s["win_rate"])
        assert _close(val(f"shadow_pnl_bps.{mode}"), s["total_bps"])
        compared["trades"] += 3
    # -- gates: decision day ------------------------------------------------------------------
    rep = _json(data_dir, "gates", "report", "--date", d, "--json")
    assert rep["day"] == d
    per_gate: dict[str, dict[str, float]] = {}
    for g in rep["gates"]:
        if g["n"]:
            assert _close(val(f"gate_pass_rate.{g['gate']}.{g['mode']}"), g["pass_rate"]), g
            compared["gates"] += 1
        acc = per_gate.setdefault(g["gate"], {"n": 0, "passed": 0, "known": 0, "good": 0, "pnl": 0.0})
        acc["n"] += g["n"]
        acc["passed"] += g["passed"]
        acc["known"] += g["blocks_with_outcome"]
        acc["good"] += g["good_blocks"]
        acc["pnl"] += g["blocked_pnl_bps"]
    for gate, acc in per_gate.items():
        if acc["n"]:
            assert _close(val(f"gate_pass_rate.{gate}"), acc["passed"] / acc["n"]), gate
            assert m[f"gate_pass_rate.{gate}"]["n"] == acc["n"]
        if acc["known"]:
            assert _close(val(f"gate_accuracy.{gate}"), acc["good"] / acc["known"]), gate
            assert m[f"gate_accuracy.{gate}"]["n"] == acc["known"]
            assert _close(val(f"gate_blocked_pnl_bps.{gate}"), acc["pnl"]), gate
            compared["gates"] += 3
        else:
            assert val(f"gate_accuracy.{gate}") is None
    # -- the dashboard's data layer -----------------------------------------------------------
    cfg = load_config(data_dir=data_dir)
    with Store.open(cfg, read_only=True) as store:
        conn = store.cursor()
        ov = load_overview(conn, day)
        assert (ov.signals, ov.passed) == (val("signals") or 0, val("signals_passed") or 0)
        for mode, t in ov.trades_by_mode.items():
            assert t["trades"] == val(f"shadow_closed.{mode}")
            assert _close(t["pnl_bps"], val(f"shadow_pnl_bps.{mode}"))
            assert _close(t["win_rate"], val(f"shadow_win_rate.{mode}"))
            compared["dashboard"] += 3
        for g in gates(conn, day, None).gates:
            if g.n:
                assert _close(g.pass_rate, val(f"gate_pass_rate.{g.gate}.{g.mode}"))
                compared["dashboard"] += 1
        dashboard_models = {r.version.model_id: r.version for r in models(conn, cfg, limit=200)}
        registry = ModelRegistry(cfg, store=conn)
        pending_at_end = registry.pending_ack_alerts(end_of_day(day))
    assert val("exports_pending_ack") == len(pending_at_end)
    compared["readiness"] += 1
    # -- readiness: one function --------------------------------------------------------------
    r = snap["readiness"]
    learning = _json(data_dir, "learning", "summary", "--json", "--date", d)
    if r is None:
        assert learning["latest"] is None
        return compared
    mid = r["model_id"]
    show = _json(data_dir, "models", "show", mid, "--json")
    assert (show["ready"], show["reasons"]) == (r["ready"], r["reasons"])
    assert (learning["ready"], learning["readiness_reasons"]) == (r["ready"], r["reasons"])
    assert val("model_ready") == (1.0 if r["ready"] else 0.0)
    assert dashboard_models[mid].ready == r["ready"] and dashboard_models[mid].reasons == r["reasons"]
    assert _close(dashboard_models[mid].judged_on.get("auc"), r["auc"])
    if r["source"] == "recomputed" and m["model_auc"]["value"] is not None:
        assert _close(r["auc"], m["model_auc"]["value"]) and _close(r["ece"], m["model_ece"]["value"])
    compared["readiness"] += 5
    # -- the digest says what the snapshot says ------------------------------------------------
    out = tmp / f"digest-{d}"
    _json(data_dir, "digest", "render", "--no-charts", "--json", "--out", str(out), "--date", d)
    md = (out / "digest.md").read_text()
    from huracan.analytics.snapshot import MetricsSnapshot

    ms = MetricsSnapshot.model_validate(snap)
    for mid_ in ("signals", "shadow_closed", "exports_pending_ack"):
        if ms.metrics[mid_].value is not None:
            assert format_value(ms.metrics[mid_]) in md, mid_
    assert ("Ready for Hamilton" in md) and (("| **yes** |" in md) == r["ready"])
    return compared


def test_sparse_calendar_faces_agree(sparse_dir: Path, sparse: Sparse, tmp_path: Path) -> None:
    # The last day; a Monday that closes a runner trade decided on Friday; that Friday.
    friday, monday = sparse.carried[-1]
    counts = [check_day(sparse_dir, d, tmp_path) for d in (END, monday, friday)]
    assert sum(c["trades"] for c in counts) >= 10 and sum(c["gates"] for c in counts) >= 20
    assert sum(c["readiness"] for c in counts) >= 6


def test_decision_day_and_close_day_are_each_stated_and_kept(sparse_dir: Path, sparse: Sparse) -> None:
    friday, monday = sparse.carried[-1]
    fri = _json(sparse_dir, "metrics", "--json", "--date", friday.isoformat())["metrics"]
    mon = _json(sparse_dir, "metrics", "--json", "--date", monday.isoformat())["metrics"]
    # The runner trade decided on Friday closes on Monday: counted there as a closed trade,
    assert mon["shadow_closed.runner"]["value"] >= 1
    # while its gates' decisions belong to Friday.
    assert fri["gate_pass_rate.meta_label.runner"]["n"] >= 1
    assert "closed" in fri["shadow_closed"]["formula"] and "decided" in fri["gate_pass_rate.meta_label"]["formula"]


def test_pending_acknowledgement_is_the_same_everywhere(sparse_dir: Path, sparse: Sparse) -> None:
    cfg = load_config(data_dir=sparse_dir)
    snap = _json(sparse_dir, "metrics", "--json", "--date", END.isoformat())["metrics"]
    assert snap["exports_pending_ack"]["value"] == 1
    with Store.open(cfg, read_only=True) as store:
        reg = ModelRegistry(cfg, store=store.cursor())
        (alert,) = reg.pending_ack_alerts(end_of_day(END))
        assert alert.message.startswith(f"model {sparse.pending_model[:12]}")
        assert alert.data_day is not None
        # The first unacknowledged export was superseded by later acknowledged ones.
        assert reg.attestation(sparse.superseded_model, end_of_day(END)).state == "superseded"
        assert reg.attestation(sparse.pending_model, end_of_day(END)).state == "ack_overdue"
    alerts = _json(sparse_dir, "models", "alerts", "--json")
    assert [a["message"][:18] for a in alerts] == [f"model {sparse.pending_model[:12]}"]


def test_simulated_faces_agree(sim_dir: Path, tmp_path: Path) -> None:
    cfg = load_config(data_dir=sim_dir)
    with Store.open(cfg, read_only=True) as store:
        from huracan.analytics.days import last_data_day

        last = last_data_day(store.cursor())
    assert last is not None
    counts = [check_day(sim_dir, d, tmp_path) for d in (last, last - timedelta(days=2))]
    assert sum(c["trades"] for c in counts) >= 20 and sum(c["gates"] for c in counts) >= 40
    assert all(c["readiness"] >= 6 for c in counts)
