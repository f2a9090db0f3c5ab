"""Readiness and acknowledgement: one rule, judged on enough evidence (#12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from huracan.analytics.readiness import AckHistory, judge, model_readiness, pending_acks
from huracan.config import load_config
from huracan.events import Calibration, ModelExport, ModelLoaded, TrainingSession
from huracan.store import Store

T0 = datetime(2018, 1, 10, tzinfo=UTC)
CFG = load_config()


def test_judge_needs_enough_predictions_before_thresholds() -> None:
    ok = judge(0.71, 400, 0.04, 400, 5000, CFG)
    assert ok == (True, [], {"auc": True, "ece": True, "samples": True})
    ready, reasons, checks = judge(0.99, 3, 0.0, 3, 5000, CFG)
    assert not ready and checks == {"auc": False, "ece": False, "samples": True}
    assert reasons == [
        "AUC 0.990 rests on only 3 predictions (at least 50 are needed)",
        "ECE 0.000 rests on only 3 predictions (at least 100 are needed)",
    ]
    # Enough for the AUC, not yet for the ECE.
    assert judge(0.70, 60, 0.05, 60, 5000, CFG)[2] == {"auc": True, "ece": False, "samples": True}
    # Unknown n (a registration's own numbers): judged on the value alone.
    assert judge(0.60, None, 0.05, None, 5000, CFG)[1] == ["AUC 0.600 is below the minimum 0.650"]


def _model(i: int) -> str:
    return f"{i:x}" * 64 if i < 16 else f"{i:064x}"


def test_model_readiness_uses_the_recomputed_numbers(tmp_path: Path) -> None:
    mid = _model(1)
    preds = [0.1, 0.9] * 100
    outs = [0, 1] * 100
    events = [
        TrainingSession(
            ts=T0, session_id="s1", model_id=mid, trained_at=T0, data_cutoff_timestamp=T0, duration_s=1,
            samples_historical=4000, samples_shadow=100, auc=0.40, ece=0.40, mce=0.4, brier=0.3, log_loss=0.7,
            eval_samples=200,
        ),
        Calibration(ts=T0, session_id="s1", model_id=mid, predictions=preds, outcomes=outs),
    ]  # fmt: skip
    with Store.open(load_config(data_dir=tmp_path / "d")) as store:
        store.write_events(events)
        r = model_readiness(store.cursor(), [mid, _model(2)], CFG)
    # The producer reported AUC 0.40; the predictions say 1.0: the recomputed one decides.
    assert r[mid].ready and r[mid].source == "recomputed" and r[mid].auc == 1.0 and r[mid].predictions == 200
    assert not r[_model(2)].ready and r[_model(2)].reasons[0].startswith("AUC unknown")


def test_pending_acknowledgement_rules(tmp_path: Path) -> None:
    a, b, c, d = (_model(i) for i in (3, 4, 5, 6))
    h = timedelta(hours=1)
    events = [
        ModelExport(ts=T0, model_id=a, export_path="/x/a", ready=True),  # superseded by c
        ModelExport(ts=T0 + h, model_id=b, export_path="/x/b", ready=False),  # never chased
        ModelExport(ts=T0 + 2 * h, model_id=c, export_path="/x/c", ready=True),
        ModelLoaded(ts=T0 + 3 * h, model_id=c, verified_sha256=c),
        ModelExport(ts=T0 + 20 * h, model_id=d, export_path="/x/d", ready=True),
        ModelExport(ts=T0 + 21 * h, model_id=d, export_path="/x/d2", ready=True),  # counts from the first
        ModelLoaded(ts=T0 + 40 * h, model_id=d, verified_sha256=d),
    ]
    with Store.open(load_config(data_dir=tmp_path / "d")) as store:
        store.write_events(events)
        conn = store.cursor()

        def ids(at: datetime) -> list[str]:
            return [p.model_id for p in pending_acks(conn, at, 6.0)]

        assert ids(T0 + 2 * h) == []  # a: within its 6 h
        assert ids(T0 + 2.5 * h) == []  # nothing exported 6 h ago yet
        assert ids(T0 + 7 * h) == []  # a is overdue but c (later) was acknowledged: superseded
        assert ids(T0 + 25 * h) == []  # d within 6 h of its first ready export
        (p,) = pending_acks(conn, T0 + 27 * h, 6.0)
        assert (p.model_id, p.export_path, round(p.hours, 3)) == (d, "/x/d", 7.0)
        assert ids(T0 + 41 * h) == []  # acknowledged at 40 h


@settings(max_examples=200, deadline=None)
@given(
    exports=st.lists(st.tuples(st.integers(0, 100), st.booleans()), min_size=1, max_size=6),
    acked=st.lists(st.booleans(), min_size=6, max_size=6),
    at=st.integers(0, 150),
)
def test_pending_is_never_acknowledged_never_superseded_and_overdue(
    exports: list[tuple[int, bool]], acked: list[bool], at: int
) -> None:
    h = timedelta(hours=1)
    exported = {_model(i + 1): (T0 + t * h, f"/x/{i}") for i, (t, ready) in enumerate(exports) if ready}
    acks = {m: t + 2 * h for k, (m, (t, _)) in enumerate(exported.items()) if acked[k]}
    now = T0 + at * h
    pending = AckHistory(exported, acks).pending(now, 6.0)
    got = {p.model_id for p in pending}
    acked_by_now = {m for m, t in acks.items() if t <= now}
    for m, (t, _) in exported.items():
        overdue = t <= now - 6 * h
        superseded = any(exported[o][0] > t for o in acked_by_now)
        assert (m in got) == (overdue and m not in acked_by_now and not superseded), (m, t, now)
