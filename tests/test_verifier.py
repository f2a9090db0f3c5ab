"""The number verifier: extraction, the no-claim policy, claim-bound matching, direction
words, dates, placeholders and removal by sentence (issue 11)."""

from __future__ import annotations

import pytest
from council_fixtures import make_snapshot, metric

from huracan.council.numbers import POLICY, extract_numbers, ignored_spans
from huracan.council.placeholders import PlaceholderError, render, resolve
from huracan.council.publish import publish
from huracan.council.verifier import verify

SNAP = make_snapshot()


def texts(s: str) -> list[str]:
    return [t.text for t in extract_numbers(s)]


def one(text: str, snap: object = SNAP) -> tuple[str | None, str | None, str | None]:
    r = render(text, SNAP)
    (n,) = verify(r.text, SNAP, r.spans).numbers
    return n.metric_id, n.field, n.failure


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
        ("seventy percent and seventy-four percent", ["seventy percent", "seventy-four percent"]),
        ("74 percent, 12 pct, 3 percentage points", ["74 percent", "12 pct", "3 percentage points"]),
        ("1.5 million events and 2 billion rows", ["1.5 million", "2 billion"]),
        ("ECE 4.1e-2", ["4.1e-2"]),
        ("odds of 3:1, a 70:30 split, 8 to 1", ["3:1", "70:30", "8 to 1"]),
        ("3x and 2.5-fold", ["3x", "2.5-fold"]),
        ("losses doubled, trades halved, winners tripled", ["doubled", "halved", "tripled"]),
        ("gap –2.74 bps", ["–2.74 bps"]),
        ("one hundred ninety-three live trades", ["one hundred ninety-three"]),
        ("AUC0.772 and auc=0.699", ["0.772", "0.699"]),
    ],
)
def test_extracts_what_a_reader_sees(text: str, expected: list[str]) -> None:
    assert [t.text for t in extract_numbers(text, ["auc"])] == expected


def test_values_signs_and_units() -> None:
    (t,) = extract_numbers("−3.10 pp")
    assert (t.value, t.unit, t.signed, t.tolerance) == (-3.1, "pp", True, pytest.approx(0.005))
    (k,) = extract_numbers("1.2k")
    assert (k.value, k.tolerance) == (1200, pytest.approx(50))
    (d,) = extract_numbers("–2.74 bps")  # an en dash before a number is a minus
    assert (d.value, d.signed) == (-2.74, True)
    (e,) = extract_numbers("4.1e-2")
    assert e.value == pytest.approx(0.041)
    (w,) = extract_numbers("seventy-four percent")
    assert (w.value, w.unit) == (74, "%")
    (r,) = extract_numbers("70:30")
    assert r.kind == "ratio" and r.share == pytest.approx(70)
    (m,) = extract_numbers("doubled")
    assert (m.kind, m.value) == ("multiplier", 2)


def test_ranges_share_the_unit_and_an_en_dash_between_numbers_is_no_minus() -> None:
    toks = extract_numbers("AUC between 0.65–0.70; win rate 61–64 %; CI 43.4 %–66.5 %")
    assert [(t.text, t.unit, t.value) for t in toks] == [
        ("0.65", "", 0.65), ("0.70", "", 0.70), ("61", "%", 61), ("64 %", "%", 64), ("43.4 %", "%", 43.4),
        ("66.5 %", "%", 66.5),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("ran at 00:15 UTC", "time"),
        ("model v42 and v1.2.3", "identifier"),
        ("written by gpt-4o and claude-3-5-haiku-20241022", "identifier"),
        ("see sharpe_7d and #123", "identifier"),
        ("1. first point", "list_marker"),
        ("https://example.com/run/42", "url"),
        ("over the last 7 days", "window"),
    ],
)
def test_policy_ignores_non_claims(text: str, reason: str) -> None:
    assert texts(text) == []
    assert reason in {r for _, _, r in ignored_spans(text)}
    assert reason in POLICY


@pytest.mark.parametrize(
    "text", ["sha 3f9a2c1 exported", "the 7d window", "a 7-day mean", "the 3rd gate", "one of them"]
)
def test_policy_ignores_numbers_glued_to_words_and_counts_of_nothing(text: str) -> None:
    assert texts(text) == []


def test_digits_inside_metric_names_are_not_claims() -> None:
    assert [t.text for t in extract_numbers("Top 3 share is high", names=["top 3 share"])] == []


def test_dates_are_not_numbers_but_claims_of_their_own() -> None:
    assert texts("On 2025-11-06 and Nov 6, 2025") == []
    report = verify("On 2026-11-29 the AUC was 0.712.", SNAP)
    (date,) = [n for n in report.numbers if n.kind == "date"]
    assert date.failure == "unverified" and not report.ok
    assert verify("On 2025-11-06 the AUC was 0.712.", SNAP).ok
    # the day before is a date the snapshot holds: its numbers are yesterday's
    assert verify("On 2025-11-05 the AUC was 0.700.", SNAP).ok
    assert not verify("On 2025-11-05 the AUC was 0.712.", SNAP).ok


# --- claim-bound matching ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metric_id", "field"),
    [
        ("AUC 0.712", "auc", "value"),
        ("AUC 0.71", "auc", "value"),  # one decimal coarser than printed is fine
        ("AUC +0.012 vs yesterday", "auc", "delta_1d"),
        ("Shadow win rate 58.3 %", "shadow_win_rate", "value"),
        ("Shadow win rate 0.583", "shadow_win_rate", "value"),  # a fraction as a fraction
        ("Shadow win rate: low end 55.5 %", "shadow_win_rate", "low"),
        ("Pass rate (cost_gate) fell 4.4 pp", "gate_pass_rate.cost_gate", "delta_1d"),
        ("Pass rate (cost_gate) -4.4 pp vs yesterday", "gate_pass_rate.cost_gate", "delta_1d"),
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
        ("Precision at threshold rests on 1,204 signals", "precision_at_threshold", "n"),
        ("AUC was 0.700 yesterday", "auc", "baseline_1d"),
        ("AUC 0.712 against a 7-day mean of 0.691", "auc", "value"),
    ],
)
def test_a_number_matches_a_field_of_the_metric_its_clause_names(text: str, metric_id: str, field: str) -> None:
    report = verify(text, SNAP)
    assert report.ok, report.numbers
    assert (report.numbers[0].metric_id, report.numbers[0].field) == (metric_id, field)


@pytest.mark.parametrize(
    ("text", "linked", "elsewhere"),
    [
        ("The live win rate was 58.3 %.", "live_win_rate", "shadow_win_rate.value"),  # wrong metric
        ("AUC was 0.650.", "auc", "auc.target_min"),  # a target stated as the value
        ("AUC was 0.726.", "auc", "auc.high"),  # an interval end stated as the value
        ("AUC was 0.700.", "auc", "auc.baseline_1d"),  # yesterday stated as today
        ("The cost gate pass rate was 64.1 %.", "gate_pass_rate.cost_gate", "gate_pass_rate.meta_label.value"),
    ],
)
def test_a_true_number_of_another_record_is_a_wrong_record(text: str, linked: str, elsewhere: str) -> None:
    (n,) = verify(text, SNAP).numbers
    assert (n.metric_id, n.failure, n.elsewhere) == (linked, "wrong_record", elsewhere)


@pytest.mark.parametrize(
    "text",
    [
        "AUC 0.75",  # no such value
        "AUC 0.7124",  # more precise than the truth allows: 0.7124 vs 0.7123
        "AUC 0.7",  # rounded too coarsely to check
        "Shadow win rate 58.4 %",  # a near miss
        "AUC -0.0122 vs yesterday",  # a signed number must match the signed change
        "Average net edge 6.75 %",  # bps written as a percent would be 100x off
        "Shadow win rate 5834 bps",  # a level in bps is not a rate
        "99.9 % of signals passed",  # a share nobody computed
        "The model's F1 score was 0.71.",  # a metric the snapshot does not have
    ],
)
def test_numbers_true_of_nothing_they_name_fail(text: str) -> None:
    report = verify(text, SNAP)
    assert report.unverified and not report.ok


def test_a_number_whose_clause_names_no_metric_fails() -> None:
    (n,) = verify("Things went well at 58.3 %.", SNAP).numbers
    assert n.failure == "unverified" and n.metric_id is None


# --- direction words -----------------------------------------------------------------------


def test_change_words_about_insignificant_changes_fail() -> None:
    # ece: vs_prev_day and vs_7d_mean both not significant.
    report = verify("ECE improved to 0.041.", SNAP)
    assert [d.metric_ids for d in report.wrong_directions] == [["ece"]]
    assert not report.ok


@pytest.mark.parametrize(
    "word", ["rose", "fell", "increased", "decreased", "jumped", "dropped", "worsened", "improved"]
)
def test_every_change_word_counts(word: str) -> None:
    assert verify(f"Shadow Sharpe {word} to 2.14.", SNAP).wrong_directions  # not significant


def test_supported_changes_pass_and_so_does_honest_wording() -> None:
    assert verify("AUC improved to 0.712 (+0.012).", SNAP).ok  # significant, higher is better
    assert verify("ECE was flat at 0.041.", SNAP).ok
    assert verify("ECE rose 0.001 vs yesterday, which is not significant.", SNAP).ok  # disclosed
    assert not verify("ECE jumped 0.001 vs yesterday, which is not significant.", SNAP).ok  # strong word


def test_wrong_sign_of_change_and_negation() -> None:
    assert not verify("AUC fell to 0.712.", SNAP).ok
    assert verify("AUC did not fall.", SNAP).ok
    assert not verify("AUC did not rise.", SNAP).ok  # it rose, significantly


def test_direction_words_bind_to_the_metric_named_by_id_name_or_synonym() -> None:
    report = verify("AUC held at 0.712; ECE rose to 0.041.", SNAP)
    assert [d.metric_ids for d in report.wrong_directions] == [["ece"]]
    assert not verify("Expected calibration error rose.", SNAP).ok
    assert not verify("auc fell.", SNAP).ok
    report = verify("AUC and ECE both improved.", SNAP)  # one word, two claims
    assert [d.metric_ids for d in report.directions] == [["auc", "ece"]] and not report.ok


def test_readiness_and_learning_words() -> None:
    assert verify("The model is not ready for Hamilton.", SNAP).ok  # readiness is false
    assert not verify("The model is ready for Hamilton.", SNAP).ok
    assert verify("The Engine is learning: AUC rose to 0.712 vs the 7-day mean.", SNAP).ok
    assert not verify("The Engine is learning.", SNAP).ok  # names no metric: nothing supports it


def test_placeholder_field_selects_the_comparison() -> None:
    # shadow_win_rate: day-over-day not significant, vs 7-day mean significant.
    r7 = render("Shadow win rate rose {shadow_win_rate.delta_7d} against its 7-day mean.", SNAP)
    assert verify(r7.text, SNAP, r7.spans).ok
    r1 = render("Shadow win rate rose {shadow_win_rate.delta_1d} vs yesterday.", SNAP)
    assert not verify(r1.text, SNAP, r1.spans).ok


# --- placeholders ------------------------------------------------------------------------


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


def test_render_keeps_bad_placeholders_for_the_model() -> None:
    kept = render("AUC {auc}, bogus {nope}", SNAP)
    assert kept.text == "AUC 0.712, bogus {nope}" and len(kept.errors) == 1
    assert kept.spans[0].metric_id == "auc"


def test_a_placeholder_prints_its_metric_label_where_the_sentence_does_not_name_it() -> None:
    r = render("Performance held at {shadow_win_rate}.", SNAP)
    assert r.text == "Performance held at 58.3 % (shadow win rate)."
    assert verify(r.text, SNAP, r.spans).ok
    assert render("The shadow win rate was {shadow_win_rate}.", SNAP).text == "The shadow win rate was 58.3 %."
    r = render("Yesterday it was {shadow_win_rate.prev}.", SNAP)
    assert r.text == "Yesterday it was 57.1 % (shadow win rate, yesterday)."


def test_a_placeholder_under_another_metrics_name_fails() -> None:
    # Relabelled it would read "The live win rate was 58.3 % (shadow win rate)": still a
    # live win rate claim in the sentence, so the sentence fails and is removed.
    r = render("The live win rate was {shadow_win_rate}.", SNAP)
    (n,) = verify(r.text, SNAP, r.spans).numbers
    assert (n.metric_id, n.failure, n.elsewhere) == ("live_win_rate", "wrong_record", "shadow_win_rate.value")
    assert publish("The live win rate was {shadow_win_rate}. AUC was {auc}.", SNAP).text == "AUC was 0.712."


# --- removal by sentence ---------------------------------------------------------------------


def test_failed_claims_take_their_whole_sentence_bullet_or_row_no_hole() -> None:
    text = (
        "AUC was 0.712. Max drawdown widened to -150.0 bps. ECE improved to 0.041.\n\n"
        "Where the analysts disagree:\n- Drawdown (A, B): it reached -151.0 bps.\n\n"
        "| Metric | Value |\n|---|---|\n| AUC | 0.712 |\n| Live win rate | 58.3 % |\n"
    )
    out = publish(text, SNAP)
    assert out.text == "AUC was 0.712.\n\n| Metric | Value |\n|---|---|\n| AUC | 0.712 |"
    assert "removed" not in out.text and "[" not in out.text
    kinds = [f.kind for f in out.flags]
    assert kinds == ["unverified_number", "wrong_direction", "unverified_number", "wrong_record"]
    # flags say what was removed without repeating a failed number
    assert all("150.0" not in f.detail and "151.0" not in f.detail and "58.3" not in f.detail for f in out.flags)
    assert verify(out.text, SNAP).ok
    removed = [n for n in out.numbers if n.action == "removed"]
    assert {n.text for n in removed} >= {"-150.0 bps", "-151.0 bps", "58.3 %"}


def test_a_realistic_paragraph_with_policy_tokens() -> None:
    text = (
        "Verdict for 2025-11-06: model sha256:3f9a2c1d (v42) is not ready.\n"
        "1. AUC is 0.712 (+0.012), trained by the 00:15 job.\n"
        "2. Sharpe 30d is 1.42 on a 7-day window."
    )
    report = verify(text, make_snapshot([metric("x_extra", "Extra", "misc", "count", 7, 0)]))
    assert report.ok
    assert [(n.text, n.metric_id) for n in report.numbers if n.kind != "date"] == [
        ("0.712", "auc"),
        ("+0.012", "auc"),
        ("1.42", "sharpe_30d"),
    ]
