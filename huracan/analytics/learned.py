"""What the Engine learned: the digest's first section, as bound claims (#12).

A short list of what changed since yesterday (the previous training, for the model) and
against the 7-day mean: the model (AUC, ECE, Brier with their significance), the
feature-importance shares that moved most (the one share scale of the CLI and the chart),
per-mode shadow performance moves that are significant, the market regimes whose
average return moved most against the 7 days before, thresholds moved that day —
by the Engine's tuner or by a person — (from → to, who, why, and the week's what-if at the old and new threshold), gates
that blocked more winners than losers with what the blocked signals would have made, and
live vs shadow per mode with the model Hamilton traded.

Every number is a placeholder of a snapshot metric (``{model_auc_change.low}``) written
in a sentence that names that metric, so :func:`render_learned` fills and verifies it
with the council's own :func:`~huracan.council.publish.publish`: a sentence whose number
or direction word is not true of the metric it names is removed, never published. A line
is left out when a metric it rests on is not judged (:attr:`MetricValue.judged`: no value,
or n below the metric's ``min_n`` in metrics.yaml) — the one rule every status obeys.

The lines (their placeholder text and the metrics they rest on) are built once, when the
snapshot is computed, and kept in ``snapshot.learned``; the digest, its archive and
``huracan learning summary`` render the same lines.
"""

from __future__ import annotations

import re
from typing import Any

from huracan.analytics.snapshot import MetricsSnapshot, MetricValue

__all__ = ["build_learned", "render_learned"]

_SAFE = re.compile(r"[^\w.:\-]+")


def _ident(text: str, limit: int = 40) -> str:
    """Event text used as a name (a feature, an author): word characters only, never a
    placeholder brace or markup, cut to ``limit``."""
    return _SAFE.sub("_", text).strip("_")[:limit] or "unnamed"


def _line(kind: str, text: str, ids: list[str]) -> dict[str, Any]:
    return {"kind": kind, "text": text, "metric_ids": ids}


def _judged(s: MetricsSnapshot, *ids: str) -> bool:
    return all((m := s.get(i)) is not None and m.judged for i in ids)


def _cmp(m: MetricValue, scope: str) -> Any:
    return m.vs_prev_day if scope == "1d" else m.vs_7d_mean


_VS = {"1d": "vs yesterday", "7d": "vs the 7-day mean"}


def _move(m: MetricValue, scope: str, name: str, only_significant: bool = False) -> str:
    """One sentence on ``m``'s change over ``scope``, worded from its significance."""
    c = _cmp(m, scope)
    if c is None or c.delta is None:
        return ""
    ph = f"{{{m.id}.delta_{scope}}}"
    if c.significant:
        word = "rose" if c.delta > 0 else "fell"
        return f"{name} {word} to {{{m.id}}} ({ph} {_VS[scope]}, a significant change)."
    if only_significant:
        return ""
    if c.significant is False:
        return f"{name} moved {ph} {_VS[scope]}, which is not significant."
    return f"{name} moved {ph} {_VS[scope]}, not judged (no interval)."


#: The AUC change's verdict (:func:`~huracan.analytics.wording.learning_verdict`, the one
#: wording of the verdict, learning summary and models diff) said without a direction word:
#: the change's sign is printed beside it, the interval decides the word.
_VERDICT = {
    "better": ": beyond noise, in the new model's favour.",
    "worse": ": beyond noise, against the new model.",
    "no significant change": ": not beyond noise.",
    "not judged": ", not judged (no interval).",
}


def _model(s: MetricsSnapshot) -> list[dict[str, Any]]:
    from huracan.analytics.wording import learning_verdict

    out = []
    ch = s.get("model_auc_change")
    if ch is not None and _judged(s, "model_auc_change"):
        text = "AUC change vs previous training is {model_auc_change}"
        if ch.interval is not None:
            text += ", with a 95 % interval of {model_auc_change.low} to {model_auc_change.high}"
        text += _VERDICT[learning_verdict(ch)[0]]
        out.append(_line("model", text, ["model_auc_change"]))
    for scope in ("1d", "7d"):
        said = []
        for mid, name in (("model_auc", "Model AUC (out-of-time)"), ("model_ece", "Model ECE (recomputed)"),
                          ("model_brier", "Brier score")):  # fmt: skip
            m = s.get(mid)
            if m is None or not m.judged or (scope == "1d" and mid == "model_auc" and ch is not None):
                continue  # the AUC's change since yesterday is the line above: vs the previous training
            if sentence := _move(m, scope, name):
                said.append((sentence, mid))
        if said:
            out.append(_line("model", " ".join(t for t, _ in said), [i for _, i in said]))
    return out


def _features(s: MetricsSnapshot, names: list[str]) -> list[dict[str, Any]]:
    out = []
    for k, feature in enumerate(names[:3], 1):
        now, before = f"feature_share.top{k}", f"feature_share_before.top{k}"
        if not _judged(s, now, before):
            continue
        out.append(
            _line(
                "features",
                # The name in a sentence of its own: a feature called "confidence" or "high"
                # must not read as a word about the number beside it.
                f"Importance move top{k}: feature {_ident(feature)}. "
                f"Feature importance share, top{k} is {{{now}}}; feature importance share before, top{k} was {{{before}}}.",
                [now, before],
            )
        )
    return out


def _modes(s: MetricsSnapshot, modes: list[str]) -> list[dict[str, Any]]:
    said = []
    for scope in ("1d", "7d"):
        for mode in modes:
            for base, name in (
                ("shadow_win_rate", "Shadow win rate"),
                ("shadow_avg_return_bps", "Average shadow return"),
            ):
                mid = f"{base}.{mode}"
                m = s.get(mid)
                if m is not None and m.judged and (t := _move(m, scope, f"{name}, {mode}", only_significant=True)):
                    said.append(_line("modes", t, [mid]))
    return said


def _regimes(s: MetricsSnapshot, names: list[str]) -> list[dict[str, Any]]:
    from huracan.analytics.wording import interval_significance

    out = []
    for k, regime in enumerate(names[:3], 1):
        mid = f"regime_return_change.top{k}"
        m = s.get(mid)
        if m is None or not m.judged or m.interval is None:
            continue
        beyond = interval_significance(m.interval.low, m.interval.high)
        if k > 1 and not beyond:
            continue  # the largest move always; the others only when they are beyond noise
        out.append(
            _line(
                "regimes",
                f"Regime move top{k}: regime {_ident(regime)}, against the 7 days before. "
                f"Regime return change, top{k} is {{{mid}}}, with a 95 % interval of {{{mid}.low}} to {{{mid}.high}}"
                + (": beyond noise." if beyond else ": not beyond noise."),
                [mid],
            )
        )
    return out


def _thresholds(s: MetricsSnapshot, changes: dict[str, Any]) -> list[dict[str, Any]]:
    # What counts as a number in a reason is what the verifier would check ("two sessions").
    from huracan.council.numbers import extract_numbers

    out = []
    for part, c in sorted(changes.items()):
        set_, before = f"gate_threshold_set.{part}", f"gate_threshold_before.{part}"
        if not _judged(s, set_, before):
            continue
        gate, mode = _ident(c.gate), _ident(c.mode)
        who = _ident(c.author) if c.author else "an unnamed author"
        reason = " ".join(str(c.reason).split())
        if not reason:
            why = "It logged no reason."
        elif "{" in reason or "}" in reason or len(reason) > 160 or extract_numbers(reason):
            # The author's own numbers are not the snapshot's: not restated, pointed to.
            why = "Its reason carries numbers Huracan does not check: huracan gates history shows it."
        else:
            why = f"Its reason: “{reason}”."
        # Who moved it is the event's author: the Engine's tuner, or a person on the desk.
        text = (
            f"The {gate} threshold in {mode} mode was moved by {who}. "
            f"Threshold before the change, {gate}, {mode} was {{{before}}}; "
            f"threshold after the change, {gate}, {mode} is {{{set_}}}. {why}"
        )
        ids = [before, set_]
        wi = [f"gate_threshold_whatif_bps.{part}", f"gate_threshold_whatif_before_bps.{part}"]
        if _judged(s, *wi):
            text += (
                f" Replayed on the gate's decisions of the last 7 days, what-if P&L at the new threshold, "
                f"{gate}, {mode} is {{{wi[0]}}}; what-if P&L at the old threshold, {gate}, {mode} is {{{wi[1]}}}."
            )
            ids += wi
            best = f"gate_threshold_whatif_best.{part}"
            if _judged(s, best):
                text += f" Best threshold on the what-if grid, {gate}, {mode} is {{{best}}}."
                ids.append(best)
        out.append(_line("thresholds", text, ids))
    return out


def _gates(s: MetricsSnapshot, gates: list[str]) -> list[dict[str, Any]]:
    out = []
    for gate in gates:
        acc, pnl = f"gate_accuracy.{gate}", f"gate_blocked_pnl_bps.{gate}"
        m = s.get(acc)
        # Block accuracy = blocks that would have lost / blocks with an outcome: below half,
        # the gate blocked more winners than losers.
        if m is None or not m.judged or m.value is None or m.value >= 0.5:
            continue
        text = f"Gate block accuracy, {gate} is {{{acc}}} on {{{acc}.n}} blocks: it blocked more winners than losers."
        ids = [acc]
        if _judged(s, pnl):
            text += f" P&L of blocked signals, {gate} is {{{pnl}}}."
            ids.append(pnl)
        out.append(_line("gates", text, ids))
    return out


def _live(s: MetricsSnapshot, models: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for mode in sorted(models):
        mid = f"live_shadow_gap_bps.{mode}"
        if not _judged(s, mid):
            continue
        # "sha-" keeps an all-digit prefix (309431539305) from reading as a number
        ids = [f"sha-{_ident(i)[:12]}" for i in sorted(models[mode])]
        who = f"model {ids[0]}" if len(ids) == 1 else "models " + ", ".join(ids)
        out.append(
            _line("live", f"Live vs shadow gap, {_ident(mode)} is {{{mid}}} on {{{mid}.n}} live trades ({who}).", [mid])
        )
    return out


_LIVE_MODELS_SQL = """SELECT mode, list(DISTINCT model_id ORDER BY model_id) AS models
FROM v_live_outcome WHERE day = CAST(? AS DATE) AND model_id IS NOT NULL GROUP BY mode"""


def build_learned(snapshot: MetricsSnapshot, ctx: Any = None) -> list[dict[str, Any]]:
    """The section's lines for ``snapshot.date``: ``{kind, text (with placeholders), metric_ids}``.

    ``ctx`` is the computer's :class:`~huracan.analytics.metric_context.MetricContext` of
    the day: the names the numbers are about (features, gates, models) come from the same
    functions the metrics use. Without it only the lines that need no name are built.
    """
    from huracan.analytics.engine_moves import feature_moves, regime_moves, threshold_changes
    from huracan.analytics.metric_context import NoDataError
    from huracan.events import known_gates, known_modes

    moves, changes, rows, regimes = None, {}, [], []
    if ctx is not None:
        try:
            moves = feature_moves(ctx)
            changes = threshold_changes(ctx)
        except NoDataError:  # a store without those tables yet
            pass
        try:
            regimes = [m.regime for m in regime_moves(ctx)]
        except NoDataError:
            pass
        try:
            rows = ctx.cache.conn.execute(_LIVE_MODELS_SQL, [snapshot.date]).fetchall()
        except Exception:  # no live outcome table yet: nothing traded live
            rows = []
    names = [m.feature for m in moves.drift.moves] if moves else []
    live = {str(r[0]): [str(x) for x in r[1]] for r in rows}
    modes = sorted(known_modes())
    return [
        *_model(snapshot),
        *_features(snapshot, names),
        *_modes(snapshot, modes),
        *_regimes(snapshot, regimes),
        *_thresholds(snapshot, changes),
        *_gates(snapshot, sorted(known_gates())),
        *_live(snapshot, live),
    ]


def render_learned(snapshot: MetricsSnapshot) -> tuple[list[str], list[str]]:
    """(published lines, what was withheld) of ``snapshot.learned``.

    Each line goes through the council's :func:`~huracan.council.publish.publish`: its
    placeholders filled from the snapshot, every number and direction word verified
    against the metric its sentence names, a failing sentence removed (and said).
    """
    from huracan.council.publish import publish

    lines: list[str] = []
    withheld: list[str] = []
    for line in snapshot.learned:
        try:
            out = publish(str(line.get("text", "")), snapshot)
        except Exception as exc:  # a name the verifier cannot read: withheld, never published unchecked
            withheld.append(f"a {line.get('kind', '')} line could not be verified ({type(exc).__name__})")
            continue
        if out.removed:
            # A line's sentences belong together: its numbers without the sentence naming the
            # feature or gate they are about would be true and misleading. All or nothing.
            why = "; ".join(f.detail for f in out.flags) or "a sentence failed verification"
            withheld.append(f"a {line.get('kind', '')} line was withheld: {why}")
            continue
        if out.text.strip():
            lines.append(out.text.strip())
        withheld += [f.detail for f in out.flags]
    return lines, withheld
