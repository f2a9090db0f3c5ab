"""The second reading of a number (:mod:`huracan.council.rescue`) and the rules added with it,
each with the lie it must still catch.

A true sentence whose number sits away from its metric's name is published; the same
sentence with the number swapped, tightly bound to another metric, narrowed or widened to
another part, or only named by a subject the sentence never ties to a metric, is not.
Snapshot: the red team's round-4 day F (2026-10-01; tests/data/redteam/round4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.placeholders import render
from huracan.council.verifier import verify

F = MetricsSnapshot.model_validate_json(
    (Path(__file__).parent / "data" / "redteam" / "round4" / "snapshot_f.json").read_text(encoding="utf-8")
)


def ok(text: str, snap: MetricsSnapshot = F) -> bool:
    r = render(text, snap)
    return not r.errors and verify(r.text, snap, r.spans).ok


@pytest.mark.parametrize(
    ("true", "lie"),
    [
        # a part named after its number ("… and Hamilton 78"), and the same numbers swapped
        ("The Engine sent 8,064 events and Hamilton 78.", "The Engine sent 78 events and Hamilton 8,064."),
        (
            "Of the 8,142 events stored, 8,064 came from the Engine and 78 from Hamilton.",
            "Of the 8,142 events stored, 78 came from the Engine and 8,064 from Hamilton.",
        ),
        (
            "The training set held 8,043 samples (4,437 historical, 3,606 shadow).",
            "The training set held 8,043 samples (3,606 historical, 4,437 shadow).",
        ),
        ("Of 853 signals, 111 passed every gate.", "Of 853 signals, 742 passed every gate."),
        # "respectively" with qualifiers and with an elided list of gates, and the pairs swapped
        (
            "The confidence and cost gates passed 42.6 % and 46.3 % of signals, respectively.",
            "The confidence and cost gates passed 46.3 % and 42.6 % of signals, respectively.",
        ),
        (
            "Pass rates at the confidence, cost and regime gates were 42.6 %, 46.3 % and 53.6 %, respectively.",
            "Pass rates at the confidence, cost and regime gates were 42.6 %, 53.6 % and 46.3 %, respectively.",
        ),
        # a share of a narrower sample is that sample's share
        (
            "The regime gate passed 44.7 % of the 591 scalp signals.",
            "The regime gate passed 53.6 % of the 591 scalp signals.",
        ),
        # hedged round numbers: within the last digit and 5 %, not beyond
        ("The Engine saw about 850 signals.", "The Engine saw about 900 signals."),
        ("Roughly 8,000 training samples went into the model.", "Roughly 8,500 training samples went into the model."),
        # a gate's bare name is its pass rate, not another of its numbers
        ("| Cost gate | 46.3 % | 853 |", "| Cost gate | 53.6 % | 853 |"),
        # a gate beside the count it is a share of is still its pass rate; beside an unknown
        # metric word it is not
        ("- Meta-label (scalp): 33.0 % of 591 signals", "- Meta-label (scalp): 31.2 % of 591 signals"),
        ("Confidence gate, runners: 0.351 on 262 signals.", "Confidence gate, runners: 0.426 on 262 signals."),
        ("| Regime gate | 53.6 % | 853 |", "Signal-to-noise ratio at the regime gate was 53.6 %."),
        # a live word asks for a live metric
        ("The 30-day Sharpe ratio was 20.09.", "Hamilton's 30-day Sharpe ratio was 20.09."),
        # readiness criteria after "failed readiness on"
        ("The model failed readiness on AUC.", "The model failed readiness on both AUC and ECE."),
        # a subject names its ranked metric; another feature's share under its name is a lie
        (
            "is_runner's share of importance is 29.5 %; before this training it was 23.9 %.",
            "is_runner's share of importance is 1.8 %; before this training it was 23.9 %.",
        ),
    ],
)
def test_a_true_reading_passes_and_its_twin_lie_does_not(true: str, lie: str) -> None:
    assert ok(true), true
    assert not ok(lie), lie


@pytest.mark.parametrize(
    "lie",
    [
        # tightly bound to the metric it names: another metric of the sentence does not save it
        "The cost gate pass rate was 42.6 %, above the confidence gate.",
        "The runner pass rate of the regime gate was 44.7 %, against the scalp side.",
        # a gap between two metrics is not either metric's change
        "Live trades trailed shadow trades by 84 today.",
        # a feature named with an invented metric: its subject alone ties no literal number
        "is_runner's drift score was 29.5 %.",
        # a signed level after a copula is the level, not the change
        "Live P&L was +1,281.9 bps.",
        # a ratio read as a share is as exact as the ratio
        "Shadow trades won 3 to 1.",
    ],
)
def test_lies_the_second_reading_must_not_rescue(lie: str) -> None:
    assert not ok(lie), lie


def test_a_range_is_not_a_ratio() -> None:
    from huracan.council.numbers import extract_numbers

    toks = extract_numbers("Live P&L 598.8 bps, 95 % CI -455.4 to 1,653.0 bps.", ())
    assert [t.text for t in toks] == ["598.8 bps", "95 %", "-455.4", "1,653.0 bps"]
    assert [t.kind for t in extract_numbers("Blocked signals outnumbered passed ones 8 to 1.", ())] == ["ratio"]


def test_a_change_metric_is_judged_by_its_own_interval() -> None:
    change = F.metrics["model_auc_change"]
    assert change.interval is not None and change.value is not None
    beyond = not (change.interval.low <= 0 <= change.interval.high)
    said = "beyond noise" if beyond else "within noise"
    other = "within noise" if beyond else "beyond noise"
    sign = "rose" if change.value > 0 else "fell"
    assert ok(f"The AUC change vs the previous training is {{model_auc_change}}: {said}.")
    if beyond:  # a significant change: the verdict word of the other side is a lie
        assert not ok(f"The AUC change vs the previous training is {{model_auc_change}}, significant: {other}.")
    moved = f"The AUC {sign} {{model_auc_change}} against the previous training"
    if beyond:
        assert ok(moved + ".")
    else:  # a move within noise is a plain move only when the sentence says so
        assert not ok(moved + ".")
        assert ok(moved + ", which is within noise (not significant).")


def test_a_bare_rate_at_most_one_is_the_fraction() -> None:
    """ "Overall pass rate: 0.9." reads as 90 %, not as 0.9 % without its sign (day E: 0.9 %)."""
    e = MetricsSnapshot.model_validate_json(
        (Path(__file__).parent / "data" / "redteam" / "round4" / "snapshot_e.json").read_text(encoding="utf-8")
    )
    assert round((e.metrics["gate_overall_pass_rate"].value or 0) * 100, 1) == 0.9
    assert ok("Overall pass rate: 0.009.", e) and ok("Overall pass rate: 0.9 %.", e)
    assert not ok("Overall pass rate: 0.9.", e)
    assert ok("Overall pass rate: 13.0.") and ok("Overall pass rate: 0.13.")  # day F: 13.0 %


def test_a_before_metric_is_the_baseline_of_what_the_clause_names() -> None:
    """ "… from {feature_share_before.top2}": the before-metric of the metric the clause names,
    same part; another part's before-metric, or the metric itself, is not."""
    assert ok("is_runner's importance share rose to {feature_share.top2} from {feature_share_before.top2}.")
    assert not ok("is_runner's importance share rose to {feature_share.top2} from {feature_share_before.top3}.")
    assert not ok("is_runner's importance share rose to {feature_share.top2} from {feature_share.top1}.")


def test_a_placeholder_label_is_no_scope_word() -> None:
    """ "moved {model_auc.delta_7d} vs yesterday" prints "(change vs the 7-day mean)" after the
    number; that label must not make the 7-day change pass as yesterday's."""
    assert ok("The AUC moved {model_auc.delta_1d} vs yesterday.")
    assert not ok("The AUC moved {model_auc.delta_7d} vs yesterday.")
    assert ok("The AUC moved {model_auc.delta_7d} against its 7-day mean.")


def test_acknowledged_no_model_is_a_claim() -> None:
    e = MetricsSnapshot.model_validate_json(
        (Path(__file__).parent / "data" / "redteam" / "round4" / "snapshot_e.json").read_text(encoding="utf-8")
    )
    assert not ok("Hamilton acknowledged no model today.", e)  # day E: acknowledged
    assert ok("Hamilton acknowledged no model today.")  # day F: nothing exported


def test_a_placeholder_label_names_no_metric() -> None:
    """The label printed after a placeholder of another gate ("(winners blocked, regime
    gate)") must not make the sentence's gate read as that gate."""
    assert ok("The regime gate blocked {gate_blocked_winners_share.regime_gate} of the day's winners.")
    assert not ok("The meta-label gate blocked {gate_blocked_winners_share.regime_gate} of the day's winners.")
