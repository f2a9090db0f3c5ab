"""The verifier's grammar of the red-team round (issue 11): quantifiers, partitions, lists,
readiness wording, ranges, table columns, qualifiers before a number, comparatives.

Each class is tested the way it is attacked: the true sentence verifies, the near miss,
the wrong metric (or part) and the one-trade day fail. Snapshots are the red team's
(``tests/data/redteam``): ``a`` a day with a ready model, ``b`` a day without scalp trades
and with a model that is not ready (AUC below its minimum; ECE and samples pass).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.publish import publish
from huracan.council.verifier import verify

DATA = Path(__file__).parent / "data" / "redteam"


def _snap(x: str) -> MetricsSnapshot:
    return MetricsSnapshot.model_validate_json((DATA / f"snapshot_{x}.json").read_text(encoding="utf-8"))


A, B = _snap("a"), _snap("b")


def _with(snap: MetricsSnapshot, **values: float) -> MetricsSnapshot:
    """``snap`` with some metrics' values replaced (ids with dots as ``__``)."""
    metrics = dict(snap.metrics)
    for key, v in values.items():
        mid = key.replace("__", ".")
        metrics[mid] = metrics[mid].model_copy(update={"value": v})
    return snap.model_copy(update={"metrics": metrics})


def ok(text: str, snap: MetricsSnapshot) -> bool:
    """Published unchanged (nothing removed)."""
    out = publish(text, snap)
    return not out.removed and out.text.strip() == out.rendered.strip()


# --- quantifiers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "snap", "true"),
    [
        ("No scalp trades were opened.", B, True),  # scalp 0 on b
        ("The Engine opened no scalp trades today.", B, True),
        ("No runner trades were opened.", B, False),  # 68 runner trades: the near part
        ("No shadow trades were opened today.", A, False),
        ("No events were dropped and the kill switch never fired.", A, True),
        ("Nothing was dropped at ingest.", B, True),
        ("None of the runner trades won.", A, False),  # a rate: 0 % is not 40.0 %
        ("Nothing passed the meta-label gate.", B, False),  # names no countable metric: fails closed
        ("No significant change in the AUC.", A, True),  # not a quantity
    ],
)
def test_zero_quantifiers_are_the_number_zero(text: str, snap: MetricsSnapshot, true: bool) -> None:
    assert ok(text, snap) is true


@pytest.mark.parametrize(
    ("text", "snap", "true"),
    [
        ("All 68 shadow trades were runners.", B, True),
        ("All 153 shadow trades were runners.", A, False),  # 28 of them were
        ("Every signal was blocked.", A, False),  # blocked 867 of 1,020
        ("All exports were acknowledged by Hamilton.", A, False),
        ("Every gate blocked more than half of its signals.", A, False),  # one number can't carry six
        ("All gates met their pass-rate targets.", B, False),
        ("Every signal received a gate decision.", A, True),  # = no signal without one
        ("The overall pass rate was 15.0 % of all signals.", A, True),  # "of all": not a quantifier
    ],
)
def test_total_quantifiers_state_part_equals_whole(text: str, snap: MetricsSnapshot, true: bool) -> None:
    assert ok(text, snap) is true


def test_a_complement_quantifier_fails_on_a_day_with_ungated_signals() -> None:
    snap = _with(A, signals_ungated=3.0)
    assert not ok("Every signal received a gate decision.", snap)
    assert not ok("No signal was left without a gate decision.", snap)


def test_one_trade_day() -> None:
    snap = _with(B, live_trades=1.0, live_trades__runner=1.0, live_trades__scalp=0.0)
    assert ok("Hamilton made one live trade.", snap)
    assert ok("Every live trade was a runner.", snap)
    assert not ok("Every live trade was a scalp.", snap)
    assert not ok("Hamilton made no live trades.", snap)
    assert not ok("Hamilton made two live trades.", snap)


def test_a_quantifier_is_reported_as_a_number() -> None:
    report = verify("No runner trades were opened.", B)
    (n,) = report.numbers
    assert (n.kind, n.text, n.metric_id, n.failure) == ("quantifier", "No", "shadow_trades.runner", "unverified")


# --- partitions and lists ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "true"),
    [
        ("952 of the 1,020 signals were blocked.", True),
        ("953 of the 1,020 signals were blocked.", False),  # near miss on the part
        ("952 of the 1,021 signals were blocked.", False),  # near miss on the whole
        ("68 of the 1,020 signals were blocked.", False),  # the passed count as the blocked
        ("9,544 of the 9,587 events came from the Engine.", True),
        ("43 of the 9,587 events came from the Engine.", False),  # Hamilton's share as the Engine's
    ],
)
def test_partitions_bind_the_part_and_the_whole(text: str, true: bool) -> None:
    assert ok(text, B) is true


def test_a_partition_with_no_part_named_fails_closed() -> None:
    assert not ok("84 of the 105 live trades.", A)


@pytest.mark.parametrize(
    ("text", "true"),
    [
        ("Scalp and runner win rates were 59.3 % and 40.0 %, respectively.", True),
        ("Runner and scalp win rates were 59.3 % and 40.0 %, respectively.", False),  # swapped
        ("Live slippage and fees were 0.83 and 1.58 bps respectively.", True),
        ("Live fees and slippage were 0.83 and 1.58 bps respectively.", False),
    ],
)
def test_respectively_pairs_in_order(text: str, true: bool) -> None:
    assert ok(text, A) is true


def test_respectively_with_an_elided_head() -> None:
    assert ok("The confidence and cost gates passed 39.3 % and 46.1 % of signals, respectively.", B)
    assert not ok("The cost and confidence gates passed 39.3 % and 46.1 % of signals, respectively.", B)


# --- readiness wording ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "snap", "true"),
    [
        ("Model a50c11cb passed the readiness rule.", B, False),
        ("The model passed the readiness checks.", A, True),
        ("Readiness failed on ECE.", A, False),  # ready
        ("Readiness failed on ECE.", B, False),  # failed on AUC
        ("Readiness failed on AUC.", B, True),
        ("The model passed the ECE and training-sample checks but failed on AUC.", B, True),
        ("The model passed the AUC and ECE checks.", B, False),
        ("The cost gate passed 45.9 % of decisions.", A, True),  # a gate's "passed" is not readiness
    ],
)
def test_readiness_wording_is_checked_against_readiness(text: str, snap: MetricsSnapshot, true: bool) -> None:
    assert ok(text, snap) is true


# --- placeholders, ranges, tables ------------------------------------------------------------


def test_a_wrong_field_placeholder_prints_its_field() -> None:
    from huracan.council.placeholders import render

    # the words don't say which field: the field's label is printed, and the sentence removed
    assert render("The AUC was {model_auc.high}.", A).text == "The AUC was 0.727 (interval high)."
    assert render("The shadow win rate today was {shadow_win_rate.prev}.", A).text.endswith("(yesterday).")
    # the words say it: no label (the offline council's own sentences read as before)
    for text in (
        "Model AUC: {model_auc} (interval {model_auc.low}–{model_auc.high}).",
        "AUC is {model_auc} from only {model_auc.n} observations; the interval runs from {model_auc.low} to {model_auc.high}.",
        "AUC is {model_auc} against a minimum of {model_auc.target_min} ({model_auc.delta_1d} vs yesterday).",
    ):
        assert "(interval high)" not in render(text, A).text and ok(text, A), text


def test_a_wrong_field_placeholder_is_read_by_its_words() -> None:
    assert not ok("The AUC was {model_auc.high}.", A)
    assert not ok("The shadow win rate today was {shadow_win_rate.prev}.", A)
    assert ok("Model AUC: {model_auc} (interval {model_auc.low}–{model_auc.high}).", A)
    assert ok("The shadow win rate was {shadow_win_rate}, against {shadow_win_rate.prev} yesterday.", A)


@pytest.mark.parametrize(
    ("text", "true"),
    [
        ("The 68 shadow trades sit inside the 20–200 target band.", True),
        ("68 shadow trades is within the desk's 20–200 range.", True),
        ("The 68 shadow trades sit inside the 20–250 target band.", False),
        ("The 68 shadow trades sit inside the 25–200 target band.", False),
    ],
)
def test_a_range_is_read_as_a_band(text: str, true: bool) -> None:
    assert ok(text, B) is true


def test_table_columns() -> None:
    header = "| Metric | Value | n |\n|---|---|---|\n"
    assert ok("Intro.\n" + header + "| Shadow win rate | 35.5 % | 62 |\n", B)
    assert not ok("Intro.\n" + header + "| Shadow win rate | 35.5 % | 68 |\n", B)  # trades opened, not closed
    assert ok("| Shadow win rate | 35.5 % | 62 | 24.7–47.9 % |", B)  # no header: value, n, interval
    assert not ok("| Shadow win rate | 62 | 35.5 % |", B)  # the n stated as the value
    assert ok("| Signals | 1,020 | passed 68 | blocked 952 |", B)
    assert not ok("| Signals | 1,020 | passed 952 | blocked 68 |", B)
    # a cell's words stop at its bar: "min" describes 15 %, not 0.0 %
    assert ok("| Meta-label pass rate (scalp) | 0.0 % | min 15 % |", B)


# --- qualifiers, subjects, comparatives --------------------------------------------------------


def test_a_qualifier_before_a_number_rereads_the_metric() -> None:
    assert ok("Median decision latency was 2.06 ms, p95 3.75 ms.", B)
    assert not ok("Median decision latency was 2.06 ms, p95 2.06 ms.", B)
    assert ok("Decision latency was 2.06 ms at the median and 3.75 ms at p95.", B)


def test_the_subject_qualifies_its_metrics() -> None:
    assert ok("Hamilton made 43 live trades with a 41.9 % win rate and +23.0 bps of P&L.", B)
    assert not ok("Hamilton made 43 live trades with a 35.5 % win rate.", B)  # the shadow win rate


def test_comparatives_are_directions() -> None:
    assert not ok("The regime gate blocked a larger share of winners than yesterday.", B)
    assert ok("The regime gate blocked a smaller share of winners than yesterday.", B)
    assert ok(
        "The meta-label gate blocked a significantly larger share of winners, 91.8 % against 82.3 % yesterday.", B
    )


def test_a_part_word_inside_a_phrase_names_the_part() -> None:
    assert ok("Closed runner trades rose significantly, by 24 to 62.", B)
    assert not ok("Closed scalp trades rose significantly, by 24 to 62.", B)


def test_small_counts_and_half_in_words() -> None:
    assert not ok("One model was exported today.", B)  # none was
    assert ok("One model was registered today.", B)
    assert not ok("Half of all signals passed the confidence gate.", B)  # 39.3 %


def test_a_part_word_after_a_number_rereads_the_whole() -> None:
    assert ok("Of the 1,020 signals, 153 passed and 867 were blocked.", A)
    assert not ok("Of the 1,020 signals, 867 passed and 153 were blocked.", A)
    assert ok("153 of the 1,020 signals passed every gate.", A)  # "passed every gate" is not "every gate …"
    # prepositions and target words are not qualifiers: "from 156", "its 0.10 maximum"
    assert ok("Shadow P&L fell to 228.7 bps from 804.8 bps, a move within noise.", A)
    assert ok("ECE was 0.022, inside its 0.10 maximum.", A)


def test_a_clause_joined_by_and_shares_the_subject() -> None:
    assert ok("Hamilton made 105 live trades and won 53.3 % of them.", A)
    assert not ok("Hamilton made 105 live trades and won 55.6 % of them.", A)  # the shadow win rate


@pytest.mark.parametrize(
    ("text", "true"),
    [
        ("The meta-label gate passed none of the scalp signals.", True),  # its scalp pass rate is 0 %
        ("The spread gate passed none of the runner signals.", False),
        ("Not a single scalp trade was opened.", True),
        ("None of the shadow trades were runners.", False),
        ("All shadow trades were scalps.", False),
        ("Every signal passed.", False),
        ("The cost gate blocked every scalp signal.", False),  # one number can't carry it: fails closed
        ("All 62 shadow trades closed before midnight.", True),  # the number is the claim, checked itself
        ("All 68 shadow trades closed before midnight.", False),  # 68 opened, 62 closed
    ],
)
def test_quantifiers_in_object_position(text: str, true: bool) -> None:
    assert ok(text, B) is true


# --- numbers beyond a float's range ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The AUC was 1e999999999.",
        "Model 309e41539305 was exported to Hamilton.",  # an all-digit hex id reads as e-notation
        "Shadow P&L came to −9e400 bps.",
    ],
)
def test_an_exponent_past_a_float_fails_closed_instead_of_crashing(text: str) -> None:
    out = publish(text, A)  # used to raise OverflowError out of publish()
    assert out.removed and out.text.strip() == ""


def test_an_exponent_that_underflows_is_not_a_zero() -> None:
    snap = _with(A, live_trades=0.0)
    assert ok("Hamilton made 0 live trades.", snap)
    assert not ok("Hamilton made 1e-999 live trades.", snap)
