"""Linking on the shipped vocabulary: synonyms, parts, qualifiers, ellipses, pronouns (issue 11).

Uses the probe snapshot (a simulated day) with today's ``metrics.yaml`` synonyms.
"""

from __future__ import annotations

import pytest
from probe_corpus import FAMILIES, probe_snapshot, score

from huracan.council.lexicon import lexicon_for
from huracan.council.placeholders import render
from huracan.council.verifier import verify

SNAP = probe_snapshot()


def links(text: str) -> list[tuple[str, str | None, str | None]]:
    r = render(text, SNAP)
    return [(n.text, n.metric_id, n.failure) for n in verify(r.text, SNAP, r.spans).numbers if n.kind != "date"]


@pytest.mark.parametrize(
    ("text", "metric_id"),
    [
        ("The runner win rate was 62.5 %.", "shadow_win_rate.runner"),  # a mode word picks the part
        ("The pass rate of the cost gate was 40.6 %.", "gate_pass_rate.cost_gate"),  # a gate written with spaces
        ("The cost gate passed 38.7 % of scalp signals.", "gate_pass_rate.cost_gate.scalp"),  # gate and mode
        ("The overall pass rate was 7.7 %.", "gate_overall_pass_rate"),
        ("The pass rate was 7.7 %.", "gate_overall_pass_rate"),  # no gate named: the total
        ("The hit rate was 55.2 %.", "shadow_win_rate"),  # a desk's synonym
        ("The live win rate was 52.2 %.", "live_win_rate"),
        ("Hamilton's win rate was 52.2 %.", "live_win_rate"),
        ("Hamilton's live trades had a win rate of 52.2 %.", "live_win_rate"),  # a qualifier a few words away
        ("The win rate of live trades was 52.2 %.", "live_win_rate"),  # a qualifier after the phrase
        ("Live P&L was -39.4 bps.", "live_pnl_bps"),
        ("The reported AUC was 0.701.", "model_auc_reported"),
        ("Events from Hamilton came to 47.", "events_total.hamilton"),  # a source
        ("The P&L of signals the cost gate blocked was -8,463.4 bps.", "gate_blocked_pnl_bps.cost_gate"),
    ],
)
def test_a_number_links_to_the_metric_and_part_its_clause_names(text: str, metric_id: str) -> None:
    assert links(text) == [(links(text)[0][0], metric_id, None)]


def test_live_never_reads_as_shadow_and_a_part_never_as_the_total() -> None:
    assert links("The live win rate was 55.2 %.")[0][1:] == ("live_win_rate", "wrong_record")
    assert links("The runner win rate was 55.2 %.")[0][1:] == ("shadow_win_rate.runner", "wrong_record")
    assert links("The win rate was 62.5 %.")[0][1:] == ("shadow_win_rate", "wrong_record")


def test_a_part_word_without_its_own_metric_refers_back() -> None:
    assert links("Win rate: 55.2 % overall, 62.5 % for runners and 54.2 % for scalps.") == [
        ("55.2 %", "shadow_win_rate", None),
        ("62.5 %", "shadow_win_rate.runner", None),
        ("54.2 %", "shadow_win_rate.scalp", None),
    ]
    assert links("Runners: win rate 62.5 %, P&L -76.3 bps.") == [
        ("62.5 %", "shadow_win_rate.runner", None),
        ("-76.3 bps", "shadow_pnl_bps.runner", None),
    ]


def test_a_pronoun_continues_the_previous_metric_and_a_sample_size_is_its_n() -> None:
    assert links("The runner win rate was 62.5 %, but it rests on only 8 closed trades.") == [
        ("62.5 %", "shadow_win_rate.runner", None),
        ("8", "shadow_win_rate.runner", None),
    ]
    # the denominator must be the metric's own n
    assert links("The live win rate of 52.2 % rests on 78 trades.")[1][2] == "wrong_record"


def test_a_count_before_its_name_is_that_count() -> None:
    assert links("Hamilton made 46 live trades.") == [("46", "live_trades", None)]
    assert links("Hamilton made 78 live trades.") == [("78", "live_trades", "wrong_record")]
    assert links("Of the 46 live trades, 40 were scalps.") == [
        ("46", "live_trades", None),
        ("40", "live_trades.scalp", None),
    ]


def test_units_decide_between_two_mentions() -> None:
    # "Blocked signals" is a count; -9,021.0 bps can only be the P&L named after it.
    assert links("The meta-label gate blocked signals worth -9,021.0 bps of P&L.") == [
        ("-9,021.0 bps", "gate_blocked_pnl_bps.meta_label", None)
    ]


def test_plugin_metrics_bring_their_own_synonyms() -> None:
    from council_fixtures import metric

    extra = metric("example.thin_book_share", "Thin-book share", "example", "fraction", 0.12, 1).model_copy(
        update={"synonyms": ("thin books",)}
    )
    snap = SNAP.model_copy(update={"metrics": {**SNAP.metrics, extra.id: extra}})
    report = verify("Thin books were 12.0 % of signals.", snap)
    assert [(n.metric_id, n.failure) for n in report.numbers] == [("example.thin_book_share", None)]
    assert not verify("Thin books were 13.0 % of signals.", snap).ok


def test_the_shipped_vocabulary_has_no_phrase_two_families_claim_alone() -> None:
    # A phrase two families share must be told apart by part words ("pass rate" + a gate).
    lex = lexicon_for(SNAP)
    shared = {k: {f for f, m in v if m is None} for k, v in lex.phrases.items()}
    ambiguous = {k: fams for k, fams in shared.items() if len(fams) > 1}
    for phrase, fams in ambiguous.items():
        with_parts = [f for f in fams if lex.families[f].slots]
        assert len(fams) - len(with_parts) <= 1, f"{phrase!r} names {sorted(fams)} with nothing to tell them apart"


def test_probe_corpus_meets_the_targets() -> None:
    """Recall per family and the false-flag rate on true sentences (issue 11's targets)."""
    s = score()
    assert s.true_total >= 150 and sum(s.total.values()) >= 150 and set(s.total) == set(FAMILIES)
    for fam in ("wrong_metric", "wrong_field", "wrong_denominator"):
        assert s.recall(fam) == 1.0, (fam, [t for f, t in s.missed if f == fam])
    for fam in FAMILIES:
        assert s.recall(fam) >= 0.98, (fam, [t for f, t in s.missed if f == fam])
    assert s.false_flag_rate <= 0.01, s.false_flags


@pytest.mark.parametrize("seed", range(6))
def test_the_canary_plants_three_hard_lies_and_each_is_caught(seed: int) -> None:
    import random

    from council_fixtures import make_snapshot

    from huracan.council.canary import run_canary

    for snap in (SNAP, make_snapshot()):
        result = run_canary("Verdict: nothing to add.", snap, random.Random(seed))
        assert result.caught, result
        assert [c.kind for c in result.cases] == ["near_miss", "wrong_metric", "wrong_direction"]


def test_readiness_words_are_claims_even_inside_a_metric_name() -> None:
    # probe snapshot: the model is ready
    assert verify("The current model is ready for Hamilton.", SNAP).ok
    assert not verify("The current model is not ready for Hamilton.", SNAP).ok
    assert verify("0 exports marked not ready.", SNAP).ok  # a metric's name, not a readiness claim
