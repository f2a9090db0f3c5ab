"""A sparse, real-calendar Engine: one FX symbol, 2017-11-01 .. 2018-02-09 (#12).

What a replayed real-market Engine looks like, and what the simulator never produces:

* one symbol (``EUR-USD``), hourly bars (``market_snapshot``) on trading days only — no
  data at all on weekends, Christmas Day and New Year's Day;
* a handful of signals a day, days with **zero signals** although bars came in, and days
  on which the gates **passed nothing**;
* a daily retrain whose out-of-time evaluation holds 1, 2, 3, 8, 40, 150 or 400
  predictions (**single-prediction days** included);
* runner trades opened late on a Friday that close on the Monday (decision day and close
  day differ), one threshold the Engine moved itself, models exported and acknowledged,
  a few of Hamilton's live trades;
* timestamps years in the past, and after the last Engine day only Huracan's own alert
  (a Saturday) and Hamilton's live trade (a Monday) — neither is a day of Engine data.

Everything is drawn from one seeded ``random.Random`` with the real event models, so a
test can recompute any number from :attr:`Sparse.events`.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from huracan.analytics.calibration import auc, brier, ece_mce, log_loss, reliability_bins
from huracan.events import (
    Alert,
    Calibration,
    ConfigChange,
    EventBase,
    FeatureImportance,
    GateDecision,
    LiveOutcome,
    MarketSnapshot,
    ModelExport,
    ModelLoaded,
    ModelRegistered,
    Severity,
    ShadowOutcome,
    ShadowTrade,
    Signal,
    TrainingSession,
)

START = date(2017, 11, 1)
END = date(2018, 2, 9)  # a Friday: the last day of Engine data
HOLIDAYS = frozenset({date(2017, 12, 25), date(2018, 1, 1)})
SYMBOL = "EUR-USD"
#: evaluation sizes of the daily retrain, cycled: tiny samples on purpose
EVAL_SIZES = (1, 2, 3, 8, 40, 150, 400)
#: the threshold the Engine moved itself (who, why)
AUTOTUNE_DAY = date(2018, 1, 17)
AUTOTUNE = ("regime_gate", "scalp", 0.40, 0.34, "engine:autotune", "scalp pass rate below target for 5 days")
# gate: (input, direction, {mode: threshold}) as in the packaged gates.yaml
GATES = {
    "meta_label": ("meta_prob", "above", {"scalp": 0.45, "runner": 0.55}),
    "cost_gate": ("net_edge_bps", "above", {"scalp": 2.0, "runner": 5.0}),
    "confidence_gate": ("confidence", "above", {"scalp": 0.55, "runner": 0.60}),
    "regime_gate": ("regime_score", "above", {"scalp": 0.40, "runner": 0.55}),
    "spread_gate": ("spread_bps", "below", {"scalp": 6.0, "runner": 10.0}),
    "volume_gate": ("volume_ratio", "above", {"scalp": 0.70, "runner": 0.50}),
}
FEATURES = ("net_edge_bps", "regime_score", "spread_bps", "volume_ratio", "momentum_1h", "atr_bps")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def trading_days() -> list[date]:
    """Weekdays from START to END without the two holidays."""
    out, d = [], START
    while d <= END:
        if d.weekday() < 5 and d not in HOLIDAYS:
            out.append(d)
        d += timedelta(days=1)
    return out


def _at(d: date, seconds: float) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(seconds=seconds)


@dataclass
class Sparse:
    """The events, and the facts the tests check against."""

    events: list[EventBase] = field(default_factory=list)
    trading_days: list[date] = field(default_factory=list)
    zero_signal_days: list[date] = field(default_factory=list)
    zero_pass_days: list[date] = field(default_factory=list)
    eval_size: dict[date, int] = field(default_factory=dict)
    #: runner trades decided on a Friday and closed on the next Monday: (decided, closed)
    carried: list[tuple[date, date]] = field(default_factory=list)
    alert_day: date = END + timedelta(days=1)  # Saturday: only Huracan's own alert
    hamilton_day: date = END + timedelta(days=3)  # Monday: only Hamilton's live trade
    #: ready exports Hamilton never acknowledged: the first (superseded later), the last (pending)
    superseded_model: str = ""
    pending_model: str = ""

    @property
    def last_day(self) -> date:
        return self.trading_days[-1]

    @property
    def weekend_days(self) -> list[date]:
        return [
            START + timedelta(days=k) for k in range((END - START).days) if (START + timedelta(days=k)).weekday() >= 5
        ]

    def of_type(self, etype: str) -> list[EventBase]:
        return [e for e in self.events if e.type == etype]


def build(seed: int = 2017) -> Sparse:
    """The whole sparse history (about 4,000 events)."""
    r = random.Random(seed)
    out = Sparse(trading_days=trading_days())
    price = 1.1600
    prev_model: str | None = None
    thresholds = {g: dict(t) for g, (_, _, t) in GATES.items()}
    for i, d in enumerate(out.trading_days):
        # Hourly bars: the day is a trading day even when no signal comes.
        for h in range(24):
            price *= math.exp(r.gauss(0.0, 0.0008))
            out.events.append(
                MarketSnapshot(
                    ts=_at(d, h * 3600 + 59 * 60),
                    symbol=SYMBOL,
                    price=round(price, 5),
                    regime=r.choice(("trend", "range")),
                    volatility_bps=round(abs(r.gauss(8, 2)), 3),
                    spread_bps=round(abs(r.gauss(0.8, 0.2)), 3),
                    volume_usd=round(abs(r.gauss(2e8, 3e7)), 0),
                )
            )
        prev_model = _train(out, d, i, r, prev_model)
        if d == AUTOTUNE_DAY:
            gate, mode, old, new, author, why = AUTOTUNE
            thresholds[gate][mode] = new
            out.events.append(
                ConfigChange(
                    ts=_at(d, 6 * 3600),
                    key=f"gates.{gate}.thresholds.{mode}",
                    old_value=old,
                    new_value=new,
                    author=author,
                    reason=why,
                    gate=gate,
                    mode=mode,
                )
            )
        n_signals = 0 if i % 11 == 5 else r.choice((1, 2, 3, 4, 6))
        if n_signals == 0:
            out.zero_signal_days.append(d)
        shut = i % 7 == 3 and n_signals > 0  # the day the gates pass nothing
        if shut:
            out.zero_pass_days.append(d)
        passed_any = False
        for k in range(n_signals):
            passed_any |= _signal(out, d, k, r, price, thresholds, shut, prev_model)
        if not shut and n_signals and not passed_any:
            out.zero_pass_days.append(d)
        if i % 5 == 2 and prev_model is not None:
            _live(out, d, r, prev_model)
    out.events.append(
        Alert(
            ts=_at(out.alert_day, 0.25 * 3600),
            severity=Severity.CRITICAL,
            name="digest_not_delivered",
            message=f"the digest for {END} was not delivered by 06:00 UTC",
            component="daemon",
        )
    )
    assert prev_model is not None
    _live(out, out.hamilton_day, r, prev_model)
    # Hamilton never acknowledges the first and the last ready export.
    loaded = [e for e in out.events if isinstance(e, ModelLoaded)]
    out.superseded_model, out.pending_model = loaded[0].model_id, loaded[-1].model_id
    out.events = [e for e in out.events if e not in (loaded[0], loaded[-1])]
    return out


def _signal(
    out: Sparse,
    d: date,
    k: int,
    r: random.Random,
    price: float,
    thresholds: dict[str, dict[str, float]],
    shut: bool,
    model: str | None,
) -> bool:
    last = d == END
    friday = d.weekday() == 4 and not last
    # Late on a Friday a runner stays open over the weekend and closes on Monday.
    carry = friday and k == 0
    mode = "runner" if carry or r.random() < 0.4 else "scalp"
    t0 = 20.5 * 3600 if carry else r.uniform(7 * 3600, 17 * 3600)
    sid = f"sig-{d:%Y%m%d}-{k}"
    features = {
        "net_edge_bps": round(r.uniform(1.0, 14.0), 3),
        "regime_score": round(r.uniform(0.3, 1.0), 3),
        "spread_bps": round(r.uniform(0.4, 3.0), 3),
        "volume_ratio": round(r.uniform(0.6, 2.2), 3),
        "momentum_1h": round(r.gauss(0, 5), 3),
        "atr_bps": round(abs(r.gauss(9, 2)), 3),
    }
    side = r.choice(("long", "short"))
    sig = Signal(
        ts=_at(d, t0),
        signal_id=sid,
        symbol=SYMBOL,
        mode=mode,
        regime="trend",
        side=side,
        price=round(price, 5),
        confidence=round(r.uniform(0.62, 0.95), 3),
        features=features,
    )
    out.events.append(sig)
    meta = 0.05 if shut else round(r.uniform(0.58, 0.9) if carry else r.uniform(0.3, 0.9), 3)
    inputs = {**features, "confidence": sig.confidence, "meta_prob": meta}
    failed = []
    for gate, (key, direction, _) in GATES.items():
        thr = thresholds[gate][mode]
        value = inputs[key]
        passed = value >= thr if direction == "above" else value <= thr
        out.events.append(
            GateDecision(
                ts=_at(d, t0 + 0.02),
                signal_id=sid,
                gate=gate,
                mode=mode,
                passed=passed,
                value=value,
                threshold=thr,
                direction=direction,  # type: ignore[arg-type]
                model_id=model if gate == "meta_label" else None,
            )
        )
        if not passed:
            failed.append(gate)
    win = r.random() < 0.5
    ret = round(r.uniform(3, 40) if win else -r.uniform(3, 30), 2)
    if carry:  # traded or blocked, the outcome is known on the next trading day (Monday)
        closed_day = d + timedelta(days=3)
        while closed_day in HOLIDAYS:
            closed_day += timedelta(days=1)
        hold = (closed_day - d).days * 86400 + 8 * 3600 - t0
        if not failed:
            out.carried.append((d, closed_day))
    else:
        hold = r.uniform(600, min(4 * 3600, 23.5 * 3600 - t0))
    sign = 1 if side == "long" else -1
    kw = dict(
        ts=_at(d, t0 + hold + 2),
        signal_id=sid,
        symbol=SYMBOL,
        mode=mode,
        regime="trend",
        side=side,
        entry_price=round(price, 5),
        exit_price=round(price * (1 + sign * ret / 1e4), 6),
        return_bps=ret,
        win=ret > 0,
        holding_seconds=round(hold, 1),
        exit_reason="take_profit" if win else "stop_loss",
        model_id=model,
        decision_timestamp=_at(d, t0),
        label_cutoff_timestamp=_at(d, t0 + hold),
    )
    if failed:
        out.events.append(ShadowOutcome(counterfactual=True, blocked_by=failed, **kw))  # type: ignore[arg-type]
        return False
    trade = ShadowTrade(
        ts=_at(d, t0 + 0.05),
        trade_id=f"t-{sid}",
        signal_id=sid,
        symbol=SYMBOL,
        mode=mode,
        regime="trend",
        side=side,
        entry_price=round(price, 5),
        model_id=model,
        predicted_win_prob=meta,
    )
    out.events += [trade, ShadowOutcome(trade_id=trade.trade_id, **kw)]  # type: ignore[arg-type]
    return True


def _train(out: Sparse, d: date, i: int, r: random.Random, parent: str | None) -> str:
    n = EVAL_SIZES[i % len(EVAL_SIZES)]
    out.eval_size[d] = n
    preds = [round(r.uniform(0.2, 0.8), 3) for _ in range(n)]
    outcomes = [int(r.random() < p) for p in preds]
    if n >= 2 and len(set(outcomes)) == 1:
        outcomes[0] = 1 - outcomes[0]  # both classes, so AUC is defined (still noise at this n)
    model = sha(f"eurusd-model-{d}")
    at = _at(d, 5 * 60)
    ece, mce = ece_mce(reliability_bins(preds, outcomes))
    session = TrainingSession(
        ts=at + timedelta(seconds=40),
        session_id=f"train-{d:%Y%m%d}",
        model_id=model,
        trained_at=at,
        data_cutoff_timestamp=at - timedelta(minutes=5),
        duration_s=round(r.uniform(20, 90), 1),
        samples_historical=1500 + 3 * i,
        samples_shadow=2 * i,
        auc=auc(preds, outcomes) or 0.5,
        ece=ece or 0.0,
        mce=mce or 0.0,
        brier=brier(preds, outcomes) or 0.0,
        log_loss=log_loss(preds, outcomes) or 0.0,
        eval_samples=n,
    )
    imps = {f: round(abs(r.gauss(1.0, 0.4)) * (6 - j), 4) for j, f in enumerate(FEATURES)}
    out.events += [
        session,
        Calibration(
            ts=at + timedelta(seconds=41), session_id=session.session_id, model_id=model,
            predictions=preds, outcomes=outcomes,
        ),
        FeatureImportance(ts=at + timedelta(seconds=42), session_id=session.session_id, model_id=model, importances=imps),
        ModelRegistered(
            ts=at + timedelta(seconds=43), model_id=model, parent_model_id=parent, git_sha="abc1234",
            data_snapshot_id=f"snap-{d}", metrics={"auc": session.auc, "ece": session.ece},
        ),
    ]  # fmt: skip
    if i % 3 == 0:
        ready = n >= 150 and session.auc >= 0.65
        out.events.append(
            ModelExport(
                ts=at + timedelta(seconds=50), model_id=model, export_path=f"/exports/{model[:12]}", ready=ready
            )
        )
        if ready:
            out.events.append(ModelLoaded(ts=at + timedelta(minutes=20), model_id=model, verified_sha256=model))
    return model


def _live(out: Sparse, d: date, r: random.Random, model: str) -> None:
    t0 = r.uniform(8 * 3600, 15 * 3600)
    ret = round(r.gauss(2, 15), 2) or 0.5
    out.events.append(
        LiveOutcome(
            ts=_at(d, t0 + 1800),
            live_trade_id=f"live-{d:%Y%m%d}",
            model_id=model,
            symbol=SYMBOL,
            mode="scalp",
            regime="trend",
            side="long",
            return_bps=ret,
            win=ret > 0,
            slippage_bps=0.3,
            fees_bps=0.2,
            holding_seconds=1700.0,
            decision_timestamp=_at(d, t0),
            label_cutoff_timestamp=_at(d, t0 + 1700),
        )
    )
