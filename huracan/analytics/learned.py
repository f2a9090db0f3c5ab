"""What the Engine learned: the digest's first section, as bound claims (#12).

A short list of what changed since yesterday (the previous training, for the model) and
against the 7 days before: the model (AUC, ECE, Brier with their significance), the
feature-importance shares that moved most (the one share scale of the CLI and the chart)
against the previous training and the 7 days before, per-mode shadow performance moves
that are significant, the market regimes whose average return moved most against the 7
days before (and the same regime against yesterday), thresholds moved that day — by the
Engine's tuner or by a person — (from → to, who, why, and the week's what-if at the old
and new threshold), gates that blocked more winners than losers with what the blocked
signals would have made, and live vs shadow per mode with the model Hamilton traded.

Each line is written for a desk to read in one pass: subject, verb, the number with its
unit, the change with its sign (:func:`plus`), what it is compared with, and whether it
is beyond noise ("a significant fall", "within noise", "not judged")::

    The ECE is 0.042: -0.030 since yesterday, within noise, and +0.007 against its 7-day mean, within noise.

Every number is a placeholder of a snapshot metric (``{model_auc_change.low}``) written
in a sentence that names that metric, so :func:`render_learned` fills and verifies it
with the council's own :func:`~huracan.council.publish.publish`: a sentence whose number,
sign or direction word is not true of the metric it names is removed, never published.
The phrasings are the ones the verifier links without relabelling a number (each clause
names its metric; ranked parts are "the largest / second-largest / third-largest mover",
metrics.yaml's ``part_synonyms``). A line is left out when a metric it rests on is not
judged (:attr:`MetricValue.judged`: no value, or n below the metric's ``min_n`` in
metrics.yaml) — the one rule every status obeys.

The lines (their placeholder text, the metrics they rest on and the names they are about)
are built once, when the snapshot is computed, and kept in ``snapshot.learned``; the
digest, its archive and ``huracan learning summary`` render the same lines.
"""

from __future__ import annotations

import re
from typing import Any

from huracan.analytics.format import Which
from huracan.analytics.snapshot import MetricsSnapshot, MetricValue
from huracan.analytics.wording import judgement, plus

__all__ = ["build_learned", "published_lines", "render_learned"]

_SAFE = re.compile(r"[^\w.:\-]+")


def _ident(text: str, limit: int = 40) -> str:
    """Event text used as a name (a feature, an author): word characters only, never a
    placeholder brace or markup, cut to ``limit``."""
    return _SAFE.sub("_", text).strip("_")[:limit] or "unnamed"


def _line(kind: str, text: str, ids: list[str], **facts: Any) -> dict[str, Any]:
    return {"kind": kind, "text": text, "metric_ids": ids, **facts}


def _judged(s: MetricsSnapshot, *ids: str) -> bool:
    return all((m := s.get(i)) is not None and m.judged for i in ids)


def _cmp(m: MetricValue, scope: str) -> Any:
    return m.vs_prev_day if scope == "1d" else m.vs_7d_mean


#: How a metric is named as the subject of a sentence.
_SUBJECT = {"model_auc": "The AUC", "model_ece": "The ECE", "model_brier": "The Brier score"}
_SINCE = {"1d": "since yesterday", "7d": "against its 7-day mean"}


def _change(m: MetricValue, scope: str) -> str:
    """``+0.046 since yesterday, a significant rise``: the signed change, its base, its judgement
    (each in its own clause: the verifier reads a judgement against the comparison beside it)."""
    which: Which = "delta_1d" if scope == "1d" else "delta_7d"
    return f"{plus(m, which)}{{{m.id}.{which}}} {_SINCE[scope]}, {judgement(_cmp(m, scope))}"


def _moves(m: MetricValue, scopes: list[str], subject: str, only_significant: bool = False) -> str:
    """One sentence on ``m``: its level, then each change over ``scopes`` with its judgement."""
    said = [
        sc
        for sc in scopes
        if (c := _cmp(m, sc)) is not None and c.delta is not None and (c.significant or not only_significant)
    ]
    if not said:
        return ""
    return f"{subject} is {{{m.id}}}: " + ", and ".join(_change(m, sc) for sc in said) + "."


def _interval(m: MetricValue) -> str:
    """``-0.004 to +0.028``: a change's 95 % interval, each end signed like the change."""
    return f"{plus(m, 'low')}{{{m.id}.low}} to {plus(m, 'high')}{{{m.id}.high}}"


#: The AUC change's verdict (:func:`~huracan.analytics.wording.learning_verdict`, the one
#: wording of the verdict, learning summary and models diff), said after its interval and
#: without a direction word: the printed sign says which way, the interval whether it counts.
_VERDICT = {
    "better": "beyond noise, in the new model's favour",
    "worse": "beyond noise, against the new model",
    "no significant change": "not beyond noise",
    "not judged": "not judged",
}


def _auc_change(s: MetricsSnapshot, ch: MetricValue) -> dict[str, Any]:
    from huracan.analytics.wording import learning_verdict

    word = learning_verdict(ch)[0]
    ids = ["model_auc_change"]
    if _judged(s, "model_auc"):
        text = "The new model's AUC is {model_auc}, and the AUC change vs the previous training is "
        ids.insert(0, "model_auc")
    else:
        text = "The AUC change vs the previous training is "
    text += f"{plus(ch)}{{model_auc_change}}"
    if ch.interval is not None:
        text += f" (95 % interval {_interval(ch)}: {_VERDICT[word]})."
    else:
        text += ", with no interval to judge it by: not judged."
    return _line("model", text, ids, verdict=word)


def _model(s: MetricsSnapshot) -> list[dict[str, Any]]:
    out = []
    ch = s.get("model_auc_change")
    if ch is not None and _judged(s, "model_auc_change"):
        out.append(_auc_change(s, ch))
    for mid in ("model_auc", "model_ece", "model_brier"):
        m = s.get(mid)
        if m is None or not m.judged:
            continue
        # the AUC's change since yesterday is the line above: vs the previous training
        scopes = ["7d"] if mid == "model_auc" and ch is not None else ["1d", "7d"]
        if sentence := _moves(m, scopes, _SUBJECT[mid]):
            out.append(_line("model", sentence, [mid]))
    return out


#: How a ranked part (``top1`` …) is said: the part words of metrics.yaml's ``part_synonyms``.
_RANK = {1: "largest", 2: "second-largest", 3: "third-largest"}


def _entered(move: Any) -> str:
    """A sentence without numbers on the feature's place among the model's features."""
    if move is None:
        return ""
    if move.rank_before is None:
        return " It is new to the model."
    if move.rank_after is None:
        return " It is no longer in the model."
    if move.rank_after <= 3 < move.rank_before:
        return " It is now among the model's top three features."
    if move.rank_before <= 3 < move.rank_after:
        return " It has left the model's top three features."
    return ""


def _features(s: MetricsSnapshot, names: list[str], moves: list[Any] | None = None) -> list[dict[str, Any]]:
    out = []
    for k, feature in enumerate(names[:3], 1):
        now, before = f"feature_share.top{k}", f"feature_share_before.top{k}"
        if not _judged(s, now, before):
            continue
        move = moves[k - 1] if moves and len(moves) >= k else None
        # The name is an identifier, never a word about a number ("confidence", "high").
        week = f"feature_share_7d.top{k}"
        # the 7 days before, when they trained and the share rests on enough predictions
        over_week = f" (its share over the 7 days before: {{{week}}})" if _judged(s, week) else ""
        # No "up"/"down": the verifier would read it against yesterday's share of that rank,
        # which is another feature's; the two numbers say which way it went.
        text = (
            f"{_ident(feature)}, the {_RANK[k]} mover, now carries {{{now}}} of the model's importance, "
            f"against {{{before}}} at the previous training{over_week}.{_entered(move)}"
        )
        ids = [now, before, week] if over_week else [now, before]
        facts: dict[str, Any] = {"feature": _ident(feature)}
        if move is not None:
            facts |= {"rank_before": move.rank_before, "rank_after": move.rank_after}
        out.append(_line("features", text, ids, **facts))
    return out


_MODE_SUBJECT = (("shadow_win_rate", "the shadow win rate"), ("shadow_avg_return_bps", "the average shadow return"))


def _modes(s: MetricsSnapshot, modes: list[str]) -> list[dict[str, Any]]:
    said = []
    for scope in ("1d", "7d"):
        for mode in modes:
            for base, name in _MODE_SUBJECT:
                mid = f"{base}.{mode}"
                m = s.get(mid)
                subject = f"In {_ident(mode)} mode {name}"
                if m is not None and m.judged and (t := _moves(m, [scope], subject, only_significant=True)):
                    said.append(_line("modes", t, [mid]))
    return said


_MOVED = {1: "moved most", 2: "moved second most", 3: "moved third most"}


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
        # The name in a sentence of its own: a regime called "range" or "high" must not read
        # as a word about the numbers ("range" names an interval).
        text = (
            f"Trades in the {_ident(regime)} regime {_MOVED[k]}. Their change in the regime's average return "
            f"against the 7 days before, the {_RANK[k]} move, is {plus(m)}{{{mid}}} "
            f"(95 % interval {_interval(m)}: {'beyond noise' if beyond else 'not beyond noise'})."
        )
        ids = [mid]
        day = s.get(f"regime_return_change_1d.top{k}")
        if day is not None and day.judged:
            text += (
                f" For the regime of the {_RANK[k]} move, the change in the regime's average return since yesterday "
                f"is {plus(day)}{{{day.id}}}"
            )
            if day.interval is not None:
                said = (
                    "beyond noise" if interval_significance(day.interval.low, day.interval.high) else "not beyond noise"
                )
                text += f" (95 % interval {_interval(day)}: {said})."
            else:
                text += ", not judged."
            ids.append(day.id)
        out.append(_line("regimes", text, ids, regime=_ident(regime)))
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
        # Who moved it is the event's author: the Engine's tuner, or a person on the desk.
        who = _ident(c.author) if c.author else "An unnamed author"
        reason = " ".join(str(c.reason).split())
        if not reason:
            why = "It logged no reason."
        elif "{" in reason or "}" in reason or len(reason) > 160 or extract_numbers(reason):
            # The author's own numbers are not the snapshot's: not restated, pointed to.
            why = "Its reason carries numbers Huracan does not check: huracan gates history shows it."
        else:
            why = f"Its reason: “{reason}”."
        # Each clause names its gate and mode: the verifier links a threshold by them.
        text = (
            f"{who} moved the {gate} threshold in {mode} mode: its threshold before the change was {{{before}}}, "
            f"and the {gate}'s {mode} threshold after the change is {{{set_}}}. {why}"
        )
        ids = [before, set_]
        wi = [f"gate_threshold_whatif_bps.{part}", f"gate_threshold_whatif_before_bps.{part}"]
        if _judged(s, *wi):
            text += (
                f" Replayed on the last 7 days of {gate} decisions in {mode} mode, the what-if P&L at the new "
                f"threshold is {{{wi[0]}}}, and the {mode} {gate} what-if P&L at the old threshold is {{{wi[1]}}}."
            )
            ids += wi
            best = f"gate_threshold_whatif_best.{part}"
            if _judged(s, best):
                text += f" The best threshold on the {gate}'s {mode} what-if grid is {{{best}}}."
                ids.append(best)
        out.append(_line("thresholds", text, ids, gate=gate, mode=mode, author=who))
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
        text = f"The {gate}'s block accuracy is {{{acc}}} on {{{acc}.n}} blocks, so it blocked more winners than losers"
        ids = [acc]
        if _judged(s, pnl):
            text += f", and the signals the {gate} blocked would have made {plus(s.metrics[pnl])}{{{pnl}}}"
            ids.append(pnl)
        out.append(_line("gates", text + ".", ids, gate=gate))
    return out


def _live(s: MetricsSnapshot, models: dict[str, list[str]]) -> list[dict[str, Any]]:
    out = []
    for mode in sorted(models):
        mid = f"live_shadow_gap_bps.{mode}"
        if not _judged(s, mid):
            continue
        # "sha-" keeps an all-digit prefix (309431539305) from reading as a number
        ids = [f"sha-{_ident(i)[:12]}" for i in sorted(models[mode])]
        who = f"model {ids[0]}" if len(ids) == 1 else "models " + ", ".join(ids[:-1]) + " and " + ids[-1]
        m = s.metrics[mid]
        out.append(
            _line(
                "live",
                f"In {_ident(mode)} mode the live vs shadow gap is {plus(m)}{{{mid}}} on {{{mid}.n}} live trades "
                f"(Hamilton traded {who}).",
                [mid],
                models=ids,
            )
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
    top = moves.drift.moves[:3] if moves else []
    live = {str(r[0]): [str(x) for x in r[1]] for r in rows}
    modes = sorted(known_modes())
    return [
        *_model(snapshot),
        *_features(snapshot, [m.feature for m in top], top),
        *_modes(snapshot, modes),
        *_regimes(snapshot, regimes),
        *_thresholds(snapshot, changes),
        *_gates(snapshot, sorted(known_gates())),
        *_live(snapshot, live),
    ]


def published_lines(snapshot: MetricsSnapshot) -> tuple[list[dict[str, Any]], list[str]]:
    """(published lines as ``{kind, text, metric_ids, …}``, what was withheld) of ``snapshot.learned``.

    Each line goes through the council's :func:`~huracan.council.publish.publish`: its
    placeholders filled from the snapshot, every number and direction word verified
    against the metric its sentence names, a failing sentence removed (and said). ``text``
    is the published sentence; the other keys are the line's own (the names it is about).
    """
    from huracan.council.publish import publish

    lines: list[dict[str, Any]] = []
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
            lines.append({**line, "text": out.text.strip()})
        withheld += [f.detail for f in out.flags]
    return lines, withheld


def render_learned(snapshot: MetricsSnapshot) -> tuple[list[str], list[str]]:
    """(published sentences, what was withheld) of ``snapshot.learned``: :func:`published_lines`' texts."""
    lines, withheld = published_lines(snapshot)
    return [line["text"] for line in lines], withheld
