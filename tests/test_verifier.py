"""The number verifier: extraction, the explicit no-match policy, matching, wording, removal."""

from __future__ import annotations

import pytest
from council_fixtures import make_snapshot, metric

from huracan.council.numbers import POLICY, extract_numbers, ignored_spans
from huracan.council.placeholders import REMOVED, PlaceholderError, render, resolve
from huracan.council.verifier import apply_fixes, verify

SNAP = make_snapshot()


def texts(s: str) -> list[str]:
    return [t.text for t in extract_numbers(s)]


# --- extraction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AUC 0.712 today", ["0.712"]),
        ("win rate 58.3 % and 61%", ["58.3 %", "61%"]),
        ("a change of +0.012 and −3.1 pp", ["+0.012", "−3.1 pp"]),
        ("5,412 signals; 1,284,503 events", ["5,412", "1,284,503"]),
        ("1.2k trades and $3M notional", ["1.2k", "$3M"]),
        ("edge 12 bps, 4 bp", ["12 bps", "4 bp"]),
        ("latency 450 ms or 2.5 s", ["450 ms", "2.5 s"]),
        ("profit factor 1.8x", ["1.8x"]),
        ("P&L -$1,240.55", ["-$1,240.55"]),
    ],
)
def test_extracts_every_number_form(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_range_ends_both_extracted_and_share_the_unit() -> None:
    toks = extract_numbers("AUC between 0.65–0.70; win rate 61–64 %")
    assert [(t.text, t.unit) for t in toks] == [("0.65", ""), ("0.70", ""), ("61", "%"), ("64 %", "%")]


def test_values_tolerance_and_sign() -> None:
    (t,) = extract_numbers("−3.10 pp")
    assert (t.value, t.unit, t.signed) == (-3.1, "pp", True)
    assert t.tolerance == pytest.approx(0.005)
    (k,) = extract_numbers("1.2k")
    assert (k.value, k.tolerance) == (1200, pytest.approx(50))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("on 2025-11-06 the", "date"),
        ("at 2025-11-06T00:15:00Z", "date"),
        ("ran at 00:15 UTC", "time"),
        ("model v42 and v1.2.3", "identifier"),
        ("written by gpt-4o and claude-3-5-haiku-20241022", "identifier"),
        ("see sharpe_7d and #123", "identifier"),
        ("1. first point", "list_marker"),
        ("https://example.com/run/42", "url"),
    ],
)
def test_policy_ignores_non_claims(text: str, reason: str) -> None:
    assert texts(text) == []
    assert reason in {r for _, _, r in ignored_spans(text)}
    assert reason in POLICY


@pytest.mark.parametrize("text", ["sha 3f9a2c1 exported", "the 7d window", "a 7-day mean", "the 3rd gate", "24h ago"])
def test_policy_ignores_numbers_glued_to_words(text: str) -> None:
    assert texts(text) == []


def test_digits_inside_metric_names_are_not_claims() -> None:
    assert texts("Sharpe 30d looks fine") == ["30d"][:0]  # glued anyway
    assert texts(
        "Top 3 share is high",
    ) == ["3"]
    assert [t.text for t in extract_numbers("Top 3 share is high", names=["Top 3 share"])] == []


def test_list_marker_only_at_line_start() -> None:
    assert texts("1. AUC is 0.712\n2) 5 gates") == ["0.712", "5"]


# --- matching -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metric_id", "field"),
    [
        ("AUC 0.712", "auc", "value"),
        ("AUC 0.71", "auc", "value"),  # printed precision: 0.71 covers 0.7123
        ("AUC +0.012 vs yesterday", "auc", "delta_1d"),
        ("Shadow win rate 58.3 %", "shadow_win_rate", "value"),
        ("Shadow win rate 0.5834", "shadow_win_rate", "value"),  # fraction as a fraction
        ("Shadow win rate 5834 bps", "shadow_win_rate", "value"),  # fraction in bps
        ("Shadow win rate: low end 55.5 %", "shadow_win_rate", "low"),
        ("Pass rate (cost_gate) fell 4.4 pp", "gate_pass_rate.cost_gate", "delta_1d"),
        ("Pass rate (cost_gate) -4.4 pp", "gate_pass_rate.cost_gate", "delta_1d"),
        ("Average net edge 6.75 bps", "shadow_avg_edge_bps", "value"),
        ("Average net edge 0.0675 %", "shadow_avg_edge_bps", "value"),  # bps as a percent
        ("Shadow P&L (notional) $18,452.37", "shadow_pnl_usd", "value"),
        ("Shadow P&L (notional) $18.5k", "shadow_pnl_usd", "value"),
        ("Pipeline latency p95 184.2 ms", "pipeline_latency_p95", "value"),
        ("Pipeline latency p95 0.18 s", "pipeline_latency_p95", "value"),  # ms as seconds
        ("Training duration 412,700 ms", "training_duration", "value"),  # seconds as ms
        ("Profit factor 1.37x", "shadow_profit_factor", "value"),
        ("Events ingested 1.28M", "events_ingested", "value"),
        ("Shadow trades 1,204", "shadow_trades", "value"),
        ("AUC changed +1.7 % day over day", "auc", "pct_1d"),
        ("Live P&L -$1,240.55", "live_pnl_usd", "value"),
        ("ECE target at most 0.10", "ece", "target_max"),
    ],
)
def test_matches_snapshot_values_in_any_unit(text: str, metric_id: str, field: str) -> None:
    report = verify(text, SNAP)
    assert [n.metric_id for n in report.numbers] == [metric_id]
    assert report.numbers[0].field == field
    assert report.ok


@pytest.mark.parametrize(
    "text",
    [
        "AUC 0.75",  # no such value
        "AUC 0.7124",  # more precise than the truth allows: 0.7124 vs 0.7123
        "Shadow win rate 58.4 %",
        "AUC -0.0122",  # a signed number must match the signed value (+0.0122)
        "win rate +58.3 pp",  # a level is not a change
        "Average net edge 6.75 %",  # bps written as a percent would be 100x off
        "99.9 % of signals passed",
    ],
)
def test_unmatched_numbers_are_unverified(text: str) -> None:
    report = verify(text, SNAP)
    assert report.unverified and not report.ok


def test_unsigned_number_matches_the_magnitude_of_a_change() -> None:
    report = verify("the cost gate's pass rate fell by 4.4 pp", SNAP)
    assert report.numbers[0].field == "delta_1d"


def test_sentence_context_picks_the_metric() -> None:
    # 1,204 is both shadow_trades and precision_at_threshold.n: the sentence decides.
    r = verify("Shadow trades: 1,204.", SNAP)
    assert r.numbers[0].metric_id == "shadow_trades"
    r = verify("Precision at threshold rests on 1,204 signals.", SNAP)
    assert r.numbers[0].metric_id == "precision_at_threshold"


# --- wording ------------------------------------------------------------------------------


def test_change_words_about_insignificant_changes_are_flagged() -> None:
    # ece: vs_prev_day and vs_7d_mean both not significant.
    report = verify("ECE improved to 0.041.", SNAP)
    assert [f.metric_id for f in report.wording] == ["ece"]
    assert not report.ok


@pytest.mark.parametrize("word", ["rose", "fell", "increased", "decreased", "jumped", "dropped", "worsened", "better"])
def test_every_change_word_counts(word: str) -> None:
    assert verify(f"Shadow Sharpe {word} to 2.14.", SNAP).wording


def test_significant_changes_may_be_called_changes() -> None:
    assert not verify("AUC improved to 0.712 (+0.012).", SNAP).wording
    # flat wording about a non-significant change is fine
    assert not verify("ECE was flat at 0.041.", SNAP).wording


def test_wording_binds_to_the_nearest_metric_of_its_clause() -> None:
    report = verify("AUC improved to {auc}; ECE was flat at {ece}.".format(auc="0.712", ece="0.041"), SNAP)
    assert report.ok
    report = verify("AUC held at 0.712; ECE rose to 0.041.", SNAP)
    assert [f.metric_id for f in report.wording] == ["ece"]


def test_placeholder_field_selects_the_comparison() -> None:
    # shadow_win_rate: day-over-day not significant, vs 7-day mean significant.
    r7 = render("Shadow win rate rose {shadow_win_rate.delta_7d} against its 7-day mean.", SNAP)
    assert not verify(r7.text, SNAP, r7.spans).wording
    r1 = render("Shadow win rate rose {shadow_win_rate.delta_1d} vs yesterday.", SNAP)
    assert verify(r1.text, SNAP, r1.spans).wording


# --- removal ------------------------------------------------------------------------------


def test_apply_fixes_removes_unverified_and_rewords() -> None:
    report = verify("AUC 0.712 and 99.9 % coverage. ECE improved to 0.041.", SNAP)
    text, numbers, flags = apply_fixes(report)
    assert "99.9" not in text and REMOVED in text
    assert "improved" not in text and "not significantly" in text
    assert {f.kind for f in flags} == {"unverified_number", "unsupported_wording"}
    assert [n.action for n in numbers] == ["kept", "removed", "kept"]
    for n in numbers:  # spans point into the cleaned text
        assert text[n.start : n.end] == (REMOVED if n.action == "removed" else n.text)
    assert verify(text, SNAP).ok


# --- placeholders -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "metric_id", "field", "shown"),
    [
        ("auc", "auc", "value", "0.712"),
        ("auc.delta_1d", "auc", "delta_1d", "+0.012"),
        ("auc.mean_7d", "auc", "mean_7d", "0.691"),
        ("gate_pass_rate.cost_gate", "gate_pass_rate.cost_gate", "value", "48.7 %"),
        ("gate_pass_rate.cost_gate.delta_1d", "gate_pass_rate.cost_gate", "delta_1d", "-4.4 pp"),
        ("shadow_win_rate.scalp.n", "shadow_win_rate.scalp", "n", "402"),
        ("shadow_win_rate.low", "shadow_win_rate", "low", "55.5 %"),
        ("shadow_win_rate.high", "shadow_win_rate", "high", "61.1 %"),
        ("ece.target_max", "ece", "target_max", "0.100"),
    ],
)
def test_placeholders_resolve_by_longest_prefix(expr: str, metric_id: str, field: str, shown: str) -> None:
    r = resolve(expr, SNAP)
    assert (r.metric_id, r.field, r.text) == (metric_id, field, shown)


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("aucc", "Did you mean {auc}"),
        ("auc.delta_2d", "'delta_2d' is not a field"),
        ("no_data_metric", "has no value today"),
        ("auc.n.low", "has no field"),
        ("log_loss.low", "has no low today"),
    ],
)
def test_unknown_placeholders_explain_themselves(expr: str, says: str) -> None:
    with pytest.raises(PlaceholderError, match=says.replace("{", r"\{").replace("}", r"\}")):
        resolve(expr, SNAP)


def test_render_keeps_or_removes_bad_placeholders() -> None:
    kept = render("AUC {auc}, bogus {nope}", SNAP)
    assert kept.text == "AUC 0.712, bogus {nope}" and len(kept.errors) == 1
    assert kept.spans[0].metric_id == "auc"
    removed = render("AUC {auc}, bogus {nope}", SNAP, on_error="remove")
    assert removed.text == f"AUC 0.712, bogus {REMOVED}"


def test_snapshot_dates_and_policy_in_a_realistic_paragraph() -> None:
    text = (
        "Verdict for 2025-11-06: model sha256:3f9a2c1d (v42) is not ready.\n"
        "1. AUC is 0.712 (+0.012), trained by the 00:15 job.\n"
        "2. Sharpe 30d is 1.42 on a 7-day window."
    )
    report = verify(text, make_snapshot([metric("x_extra", "Extra", "misc", "count", 7, 0)]))
    assert [(n.text, n.metric_id) for n in report.numbers] == [
        ("0.712", "auc"),
        ("+0.012", "auc"),
        ("1.42", "sharpe_30d"),
    ]
