"""The day's deterministic insights, ranked by importance.

Each insight is a sentence built only from snapshot numbers, formatted by
:func:`huracan.analytics.format.format_value` (so the number verifier finds every one
of them in the snapshot), plus the metric ids it rests on::

    {"text": "AUC change vs the previous training +0.012; reported AUC 0.713; 5,412 training samples; model …",
     "metric_ids": ["model_auc_change", "model_auc_reported", "samples_total", "model_ready"],
     "importance": 0.9, "kind": "learning"}

Kinds: ``alert``, ``self_check``, ``learning``, ``readiness``, ``gates``, ``shadow``,
``live``, ``data_quality``, ``change``. Importance is 0..1; ties sort by text so the
order is stable.
"""

from __future__ import annotations

from typing import Any

from huracan.analytics.format import format_number, format_value
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.analytics.wording import learning_verdict

__all__ = ["build_insights"]

#: A change on fewer samples than this is called out as noise when it looks large.
_NOISE_N = 30
_MAX_CHANGES = 6
_MAX_NOISE = 3


def _ins(text: str, ids: list[str], importance: float, kind: str) -> dict[str, Any]:
    return {"text": text, "metric_ids": ids, "importance": round(min(max(importance, 0.0), 1.0), 3), "kind": kind}


def _has(m: MetricValue | None) -> bool:
    return m is not None and m.value is not None


def _label(m: MetricValue) -> str:
    return m.name[0].lower() + m.name[1:] if not m.name[:2].isupper() else m.name


def _alerts(s: MetricsSnapshot) -> list[dict[str, Any]]:
    out = []
    for m in s.metrics.values():
        if m.status == "critical" and m.value is not None:
            out.append(_ins(f"critical: {_label(m)} is {format_value(m)}", [m.id], 1.0, "alert"))
    for p in s.self_check.problems:
        out.append(_self_check(s, p))
    return out


def _self_check(s: MetricsSnapshot, problem: str) -> dict[str, Any]:
    # Only numbers the snapshot holds: the values, never the (unstored) sum of the parts.
    ids = [w for w in problem.replace(",", " ").split() if w in s.metrics]
    shown = ", ".join(f"{mid} {format_value(s.metrics[mid])}" for mid in ids)
    if "but its parts" in problem and ids:
        text = f"self-check failed: {ids[0]} is not the sum of {' + '.join(ids[1:])} ({shown})"
    elif "declared range" in problem and ids:
        text = f"self-check failed: {ids[0]} is outside its declared range ({shown})"
    else:
        text = f"self-check failed: {', '.join(ids) or 'see snapshot.self_check'}"
    return _ins(text, ids, 0.95, "self_check")


def _learning(s: MetricsSnapshot) -> list[dict[str, Any]]:
    change, samples = s.get("model_auc_change"), s.get("samples_total")
    auc = s.get("model_auc") if _has(s.get("model_auc")) else s.get("model_auc_reported")
    if not (_has(change) and _has(auc)) or change is None or auc is None:
        return []
    # Each number next to the name of its own metric: the council's verifier binds a number to
    # the metric its clause names (issue 11), so "AUC +0.012" would read as model_auc's change.
    # The word for it is the evidence's (#12): significant only when its interval excludes 0.
    change_text = format_number(change.value, change.unit, change.precision, signed=True)
    word, _ = learning_verdict(change)
    judged = {"better": "beyond noise", "worse": "beyond noise", "no significant change": "within noise"}
    text = f"AUC change vs the previous training {change_text} ({judged.get(word, 'not judged')})"
    text += f"; {'reported AUC' if auc.id == 'model_auc_reported' else 'model AUC'} {format_value(auc)}"
    ids = [change.id, auc.id]
    if _has(samples) and samples is not None:
        text += f"; {format_value(samples)} training samples"
        ids.append(samples.id)
    r = s.readiness
    if r is not None and r.model_id:
        text += f"; model {r.model_id[:8]} {'ready' if r.ready else 'not ready'} for Hamilton"
        if "model_ready" in s.metrics:
            ids.append("model_ready")
    big = abs(change.value or 0.0) >= 0.01
    return [_ins(text, ids, 0.9 if big else 0.6, "learning")]


def _readiness(s: MetricsSnapshot) -> list[dict[str, Any]]:
    r = s.readiness
    if r is None or r.ready or not r.model_id:
        return []
    parts, ids = [], []
    for check, mid, word in (
        ("auc", "model_auc", "below"),
        ("ece", "model_ece", "above"),
        ("samples", "samples_total", "below"),
    ):
        m = s.get(mid)
        if r.checks.get(check) is False and m is not None and m.value is not None:
            parts.append(f"{_label(m)} {format_value(m)} {word} the readiness limit")
            ids.append(mid)
    why = "; ".join(parts) if parts else "; ".join(r.reasons) or "readiness rule not met"
    return [_ins(f"model {r.model_id[:8]} is not ready for Hamilton: {why}", ids, 0.85, "readiness")]


def _gates(s: MetricsSnapshot) -> list[dict[str, Any]]:
    out = []
    for mid, m in s.metrics.items():
        if m.value is None:
            continue
        gate = mid.split(".")[1] if "." in mid else ""
        if mid.startswith("gate_blocked_winners_share.") and m.value >= 0.3 and (m.n or 0) >= _NOISE_N:
            text = f"{gate} blocked {format_value(m)} of the day's {format_value(m, 'n')} winning trades"
            out.append(_ins(text, [mid], 0.5 + m.value / 2, "gates"))
        elif mid.startswith("gate_accuracy.") and m.status != "ok" and (m.n or 0) >= _NOISE_N:
            text = f"{gate} blocks were right {format_value(m)} of the time ({format_value(m, 'n')} blocks)"
            out.append(_ins(text, [mid], 0.7, "gates"))
        elif mid.startswith("gate_pass_rate.") and mid.count(".") == 2 and m.status != "ok" and m.targets:
            mode = mid.split(".")[2]
            lo, hi = m.targets.min, m.targets.max
            if lo is not None and m.value < lo:
                bound, side = lo, "below its minimum"
            elif hi is not None and m.value > hi:
                bound, side = hi, "above its maximum"
            else:
                # a warning inside the band (its interval reaches a bound) is no standing to
                # state: "82.6 %, above its maximum of 85.0 %" was printed, and was false
                continue
            limit = format_number(bound, m.unit, m.precision)
            text = f"{gate} passes {format_value(m)} of {mode} signals, {side} of {limit}"
            out.append(_ins(text, [mid], 0.65, "gates"))
    return out


def _shadow(s: MetricsSnapshot) -> list[dict[str, Any]]:
    pnl, n, wr = s.get("shadow_pnl_bps"), s.get("shadow_closed"), s.get("shadow_win_rate")
    if not (_has(pnl) and _has(n) and _has(wr)) or pnl is None or n is None or wr is None:
        return []
    text = (
        f"shadow P&L {format_number(pnl.value, pnl.unit, pnl.precision, signed=True)} on {format_value(n)} "
        f"closed trades, win rate {format_value(wr)}"
    )
    return [_ins(text, [pnl.id, n.id, wr.id], 0.7, "shadow")]


def _live(s: MetricsSnapshot) -> list[dict[str, Any]]:
    gap, trades = s.get("live_shadow_gap_bps"), s.get("live_trades")
    if not (_has(gap) and _has(trades)) or gap is None or trades is None or gap.value is None:
        return []
    word = "behind" if gap.value < 0 else "ahead of"
    text = (
        f"live trades ran {format_number(abs(gap.value), gap.unit, gap.precision)} per trade {word} shadow "
        f"({format_value(trades)} live trades)"
    )
    return [_ins(text, [gap.id, trades.id], 0.55 + min(abs(gap.value) / 40, 0.3), "live")]


def _quality(s: MetricsSnapshot) -> list[dict[str, Any]]:
    out = []
    for mid in (
        "duplicate_event_ids",
        "late_outcomes",
        "orphan_outcomes",
        "signals_missing_features",
        "signals_ungated",
    ):
        m = s.get(mid)
        if m is not None and m.value:
            out.append(_ins(f"{_label(m)}: {format_value(m)}", [mid], 0.6, "data_quality"))
    return out


def _changes(s: MetricsSnapshot, seen: set[str]) -> list[dict[str, Any]]:
    real, noise = [], []
    for mid, m in s.metrics.items():
        c = m.vs_prev_day
        if mid in seen or m.value is None or c is None or c.direction in (None, "flat") or c.pct_change is None:
            continue
        if c.delta is None:
            continue
        # The direction word carries the sign: "down 0.58 bps", not "down -0.58 bps".
        size = format_number(abs(c.delta), m.unit, m.precision, delta=True)
        if c.significant:
            text = f"{_label(m)} {c.direction} {size} to {format_value(m)} vs yesterday"
            if m.n is not None:
                text += f" (n = {format_value(m, 'n')}, significant)"
            real.append((abs(c.pct_change), _ins(text, [mid], 0.4 + min(abs(c.pct_change), 1) / 4, "change")))
        elif c.significant is False and m.unit != "count" and m.n and m.n < _NOISE_N and abs(c.pct_change) >= 0.2:
            # Say out loud that a big-looking move on a handful of samples is noise.
            text = f"{_label(m)} {c.direction} {size} on only {format_value(m, 'n')} samples: not significant"
            noise.append((abs(c.pct_change), _ins(text, [mid], 0.3, "change")))
    real.sort(key=lambda t: (-t[0], t[1]["text"]))
    noise.sort(key=lambda t: (-t[0], t[1]["text"]))
    return [i for _, i in real[:_MAX_CHANGES]] + [i for _, i in noise[:_MAX_NOISE]]


def build_insights(snapshot: MetricsSnapshot) -> list[dict[str, Any]]:
    """The snapshot's insights, most important first."""
    out = [
        *_alerts(snapshot),
        *_learning(snapshot),
        *_readiness(snapshot),
        *_gates(snapshot),
        *_shadow(snapshot),
        *_live(snapshot),
        *_quality(snapshot),
    ]
    seen = {mid for i in out for mid in i["metric_ids"]}
    out += _changes(snapshot, seen)
    out.sort(key=lambda i: (-i["importance"], i["text"]))
    return out
