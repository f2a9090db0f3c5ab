"""What the Engine learned: first in every digest format, every number a bound claim (#12).

On simulated data and on the sparse real-calendar fixture: the section exists and comes
first after the headline; each line's numbers are the snapshot values they name and pass
the council's verifier with zero failures; a threshold the Engine moved shows (from → to,
who, the week's what-if); a day whose statistics rest on n below min_n has no statistic
line; a change whose interval includes zero is never "improved".
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sparse_calendar import AUTOTUNE, AUTOTUNE_DAY, END, Sparse, build

from huracan.analytics.format import format_value
from huracan.analytics.learned import build_learned, render_learned
from huracan.analytics.metrics import compute_snapshot
from huracan.analytics.snapshot import Interval, MetricsSnapshot
from huracan.analytics.wording import plus
from huracan.config import Settings, load_config
from huracan.council.placeholders import render
from huracan.council.verifier import verify
from huracan.digest.build import build_digest
from huracan.digest.learned_view import LEARNED_TITLE, NOTHING
from huracan.digest.render import render as render_digest
from huracan.events import ConfigChange, Severity
from huracan.plugins.manager import get_plugins
from huracan.store import Store
from huracan.testing import simulated_data_dir

BUILTIN = ("huracan.plugins.builtin.metrics",)
STAT_KINDS = {"model", "features", "modes", "gates", "live"}


def _check_lines(snap: MetricsSnapshot) -> list[str]:
    """Every line: placeholders name snapshot values, the published numbers are exactly those
    values as formatted, and the council's verifier passes every claim. Returns the lines."""
    published, withheld = render_learned(snap)
    assert withheld == [], (snap.date, withheld)
    assert len(published) == len(snap.learned)
    for line, text in zip(snap.learned, published, strict=True):
        r = render(line["text"], snap)
        assert r.errors == [], r.errors
        assert r.text == text  # nothing relabelled, nothing removed
        for span in r.spans:
            m = snap.metrics[span.metric_id]
            assert span.metric_id in line["metric_ids"]
            assert text[span.start : span.end] == format_value(m, span.which)  # type: ignore[arg-type]
        report = verify(r.text, snap, r.spans)
        assert report.ok, (text, report.problems())
        assert report.numbers and all(n.metric_id for n in report.numbers if n.kind == "number"), text
        for mid in line["metric_ids"]:
            assert snap.metrics[mid].judged, (mid, snap.metrics[mid].n, snap.metrics[mid].min_n)
    return published


def _first_after_headline(snap: MetricsSnapshot, cfg: Settings) -> None:
    digest = build_digest(snap, None, None, cfg, charts=False)
    assert digest.sections[0].key == "learned" and digest.sections[0].title == LEARNED_TITLE
    out = render_digest(digest)
    for text in (out.markdown, out.text, out.html, out.telegram[0]):
        head = text.index(digest.verdict.headline.split()[0])
        at = text.index(LEARNED_TITLE)
        assert head < at, "the section comes after the headline"
        for title in ("Learning progress", "Shadow trading by mode"):  # the verdict names no section
            if title in text:
                assert at < text.index(title), title
    headings = [line for line in out.markdown.splitlines() if line.startswith("## ")]
    assert LEARNED_TITLE in headings[0], headings
    embeds = out.discord[0].payload["embeds"]
    assert embeds[1]["title"] == LEARNED_TITLE  # the verdict embed, then this
    first_note = digest.sections[0].notes[0]
    assert first_note.split()[0] in out.text


# --- simulated data ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_data_dir(tmp_path_factory.mktemp("learned") / "data", days=9, signals_per_day=300, seed=5)


def test_simulated_days_open_with_verified_lines(sim: Path) -> None:
    cfg = load_config(data_dir=sim)
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    kinds: set[str] = set()
    with Store.open(cfg, read_only=True) as store:
        last = store.last_day()
        assert last is not None
        for k in range(3):
            snap = compute_snapshot(store, last - timedelta(days=k), plugins, cfg)
            _check_lines(snap)
            kinds |= {line["kind"] for line in snap.learned}
        _first_after_headline(snap, cfg)
    assert {"model", "features"} <= kinds, kinds


def test_a_threshold_the_engine_moved_shows_with_its_what_if(sim: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(sim, data)
    cfg = load_config(data_dir=data)
    with Store.open(cfg) as store:
        day = store.last_day()
        assert day is not None
        at = datetime.combine(day, time(12), tzinfo=UTC)
        store.write_events(
            [
                ConfigChange(ts=at, severity=Severity.WARNING, key="gates.cost_gate.thresholds.scalp", old_value=6.0,
                             new_value=4.5, author="engine-autotune", reason="pass rate too low: loosened",
                             gate="cost_gate", mode="scalp"),
                ConfigChange(ts=at, severity=Severity.WARNING, key="gates.meta_label.thresholds.runner",
                             old_value=0.55, new_value=0.6, author="desk:maria",
                             reason="tighten after two losing sessions", gate="meta_label", mode="runner"),
            ]
        )  # fmt: skip
        snap = compute_snapshot(store, day, get_plugins(cfg, entry_points=False, default_plugins=BUILTIN), cfg)
    lines = _check_lines(snap)
    moved, by_desk = [t for t, line in zip(lines, snap.learned, strict=True) if line["kind"] == "thresholds"]
    assert by_desk.startswith("desk:maria moved the meta_label threshold in runner mode: ")
    assert "before the change was 0.550" in by_desk and "after the change is 0.600" in by_desk
    # "two sessions" is a number the snapshot cannot check: pointed to, not restated
    assert "two" not in by_desk and "huracan gates history" in by_desk
    assert moved.startswith("engine-autotune moved the cost_gate threshold in scalp mode: ")
    assert "before the change was 6.000" in moved and "after the change is 4.500" in moved
    assert "“pass rate too low: loosened”" in moved
    # hundreds of decisions a day: the week's what-if is judged and said
    wi = snap.metrics["gate_threshold_whatif_bps.cost_gate.scalp"]
    assert wi.judged and format_value(wi) in moved
    assert format_value(snap.metrics["gate_threshold_whatif_before_bps.cost_gate.scalp"]) in moved
    assert "The best threshold on the cost_gate's scalp what-if grid is " in moved


# --- the sparse real-calendar fixture ------------------------------------------------


@pytest.fixture(scope="module")
def sparse() -> Sparse:
    return build()


@pytest.fixture(scope="module")
def sparse_store(tmp_path_factory: pytest.TempPathFactory, sparse: Sparse) -> Iterator[tuple[Any, Settings]]:
    cfg = load_config(data_dir=tmp_path_factory.mktemp("sparse-learned") / "data")
    with Store.open(cfg) as store:
        store.write_events(sparse.events)
        yield store, cfg


def test_sparse_calendar_days_omit_what_rests_on_too_little(sparse_store: tuple[Any, Settings]) -> None:
    store, cfg = sparse_store
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    seen = {"closed": 0, "tiny": 0, "judged_model": 0, "threshold": 0}
    for d in [AUTOTUNE_DAY + timedelta(days=k) for k in range(-9, 10)] + [END]:
        snap = compute_snapshot(store, d, plugins, cfg)
        lines = _check_lines(snap)
        kinds = [line["kind"] for line in snap.learned]
        auc = snap.metrics["model_auc"]
        if snap.calendar is not None and not snap.calendar.trading:
            seen["closed"] += 1
            assert not STAT_KINDS & set(kinds), (d, lines)
            digest = build_digest(snap, None, None, cfg, charts=False)
            assert digest.sections[0].notes == (NOTHING,)
        if auc.n is not None and auc.n < auc.min_n:
            # n = 1, 2, 3, 8 or 40 predictions: no model or feature statistic is said
            seen["tiny"] += 1
            assert "model" not in kinds and "features" not in kinds, (d, auc.n, lines)
        if "model" in kinds:
            seen["judged_model"] += 1
        if d == AUTOTUNE_DAY:
            gate, mode, old, new, author, _ = AUTOTUNE
            (moved,) = [t for t, k in zip(lines, kinds, strict=True) if k == "thresholds"]
            assert moved.startswith(f"{author} moved the {gate} threshold in {mode} mode: ")
            assert f"before the change was {old:.3f}" in moved and f"after the change is {new:.3f}" in moved
            # the reason has the Engine's own numbers: pointed to, not restated
            assert "huracan gates history" in moved
            seen["threshold"] += 1
            _first_after_headline(snap, cfg)
    assert seen["closed"] >= 4 and seen["tiny"] >= 5 and seen["threshold"] == 1, seen
    assert seen["judged_model"] >= 1, seen


def test_a_single_prediction_day_has_no_statistic_line(sparse_store: tuple[Any, Settings], sparse: Sparse) -> None:
    store, cfg = sparse_store
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    ones = [
        e.ts.date()
        for e in sparse.events
        if e.type == "calibration" and len(e.predictions) == 1 and e.ts.date() != AUTOTUNE_DAY  # type: ignore[attr-defined]
    ]
    assert ones
    snap = compute_snapshot(store, ones[0], plugins, cfg)
    assert snap.metrics["model_brier"].n == 1 and snap.metrics["model_brier"].value is not None  # AUC: one class
    assert not STAT_KINDS & {line["kind"] for line in snap.learned}, snap.learned
    _check_lines(snap)


# --- the AUC's wording comes from its interval ------------------------------------------


def _with_change(snap: MetricsSnapshot, value: float, low: float, high: float, n: int) -> MetricsSnapshot:
    m = snap.metrics["model_auc_change"].model_copy(
        update={"value": value, "n": n, "interval": Interval(low=low, high=high, method="normal")}
    )
    out = snap.model_copy(update={"metrics": {**snap.metrics, "model_auc_change": m}})
    out.learned = build_learned(out)
    return out


@pytest.fixture(scope="module")
def base_snapshot(sim: Path) -> MetricsSnapshot:
    cfg = load_config(data_dir=sim)
    with Store.open(cfg, read_only=True) as store:
        last = store.last_day()
        assert last is not None
        return compute_snapshot(store, last, get_plugins(cfg, entry_points=False, default_plugins=BUILTIN), cfg)


@settings(max_examples=40, deadline=None)
@given(
    delta=st.floats(-0.2, 0.2).filter(lambda v: abs(v) > 0.002),
    half=st.floats(0.001, 0.3),
    n=st.integers(1, 2000),
)
def test_an_auc_move_is_improved_only_beyond_noise(
    base_snapshot: MetricsSnapshot, delta: float, half: float, n: int
) -> None:
    snap = _with_change(base_snapshot, delta, delta - half, delta + half, n)
    m = snap.metrics["model_auc_change"]
    lines, withheld = render_learned(snap)
    assert withheld == []
    said = " ".join(t for t, line in zip(lines, snap.learned, strict=True) if "model_auc_change" in line["metric_ids"])
    if n < m.min_n:
        assert said == ""  # n below min_n: no line at all
        return
    # the change always carries its sign, as the snapshot rounds it
    shown = format_value(m)
    signed = shown if shown.startswith("-") or set(shown) <= set("0.") else "+" + shown
    assert f"the AUC change vs the previous training is {signed} (95 % interval " in said, said
    if delta - half > 0:
        assert said.endswith("beyond noise, in the new model's favour)."), said
    elif delta + half < 0:
        assert said.endswith("beyond noise, against the new model)."), said
    else:
        assert said.endswith(": not beyond noise).") and "favour" not in said and "improved" not in said, said


def test_learned_lines_survive_the_snapshot_json(base_snapshot: MetricsSnapshot) -> None:
    # The archive keeps the snapshot: a digest re-rendered from it says the same.
    again = MetricsSnapshot.model_validate(json.loads(base_snapshot.model_dump_json()))
    assert render_learned(again) == render_learned(base_snapshot)


def test_a_hostile_feature_name_is_a_name(base_snapshot: MetricsSnapshot) -> None:
    from huracan.analytics.learned import _features

    lines = _features(base_snapshot, ["{model_auc} <b>x</b> 7.5", "a", "b"])
    assert lines, "the demo day's feature shares are judged"
    assert "{model_auc}" not in lines[0]["text"] and "<b>" not in lines[0]["text"]
    snap = base_snapshot.model_copy(update={"learned": lines})
    published, withheld = render_learned(snap)
    assert withheld == [] and published[0].startswith("model_auc_b_x_b_7.5, the largest mover, now carries "), published


def test_learning_summary_says_the_digests_lines(sim: Path, base_snapshot: MetricsSnapshot) -> None:
    from typer.testing import CliRunner

    from huracan.cli import app

    day = base_snapshot.date.isoformat()
    res = CliRunner().invoke(app, ["--data-dir", str(sim), "learning", "summary", "--json", "--date", day])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["learned"] == render_learned(base_snapshot)[0] != []
    assert [line["text"] for line in out["learned_lines"]] == out["learned"] and out["learned_withheld"] == 0
    assert {line["kind"] for line in out["learned_lines"]} >= {"model", "features"}
    assert all(line["metric_ids"] for line in out["learned_lines"])
    res = CliRunner().invoke(app, ["--data-dir", str(sim), "learning", "summary", "--date", day])
    assert res.exit_code == 0 and "What the Engine learned" in res.stdout


def test_a_regime_move_is_the_regimes_trades(sim: Path, base_snapshot: MetricsSnapshot) -> None:
    import numpy as np

    cfg = load_config(data_dir=sim)
    day = base_snapshot.date
    with Store.open(cfg, read_only=True) as store:
        rows = store.cursor().execute(
            "SELECT day, regime, return_bps FROM v_shadow_outcome WHERE NOT counterfactual "
            "AND day BETWEEN ? AND ?", [day - timedelta(days=7), day],
        ).fetchall()  # fmt: skip
    by: dict[str, tuple[list[float], list[float]]] = {}
    for d, regime, r in rows:
        by.setdefault(regime, ([], []))[0 if d == day else 1].append(r)
    moves = sorted(
        ((np.mean(a) - np.mean(b), g, min(len(a), len(b))) for g, (a, b) in by.items() if a and b),
        key=lambda t: (-abs(t[0]), t[1]),
    )
    assert moves
    for k, (delta, _, n) in enumerate(moves[:3], 1):
        m = base_snapshot.metrics[f"regime_return_change.top{k}"]
        assert m.value == pytest.approx(delta, abs=1e-9) and m.n == n
    # the same regimes against the day before: today's mean minus yesterday's
    for k, (_, regime, _) in enumerate(moves[:3], 1):
        a = [r for d, g, r in rows if g == regime and d == day]
        y = [r for d, g, r in rows if g == regime and d == day - timedelta(days=1)]
        m1 = base_snapshot.metrics[f"regime_return_change_1d.top{k}"]
        if y:
            assert m1.value == pytest.approx(np.mean(a) - np.mean(y), abs=1e-9) and m1.n == min(len(a), len(y))
        else:
            assert m1.value is None
    for line in base_snapshot.learned:
        if line["kind"] == "regimes":
            mid = line["metric_ids"][0]
            k = int(mid[-1])
            regime = moves[k - 1][1]
            assert line["text"].startswith(f"Trades in the {regime} regime moved ") and line["regime"] == regime
            day_mid = f"regime_return_change_1d.top{k}"
            assert (day_mid in line["metric_ids"]) == base_snapshot.metrics[day_mid].judged
            if day_mid in line["metric_ids"]:
                assert "the change in the regime's average return since yesterday is " in line["text"]


def test_a_name_the_verifier_cannot_read_withholds_its_line(base_snapshot: MetricsSnapshot) -> None:
    from huracan.analytics.learned import _features

    lines = _features(base_snapshot, ["1e999999999", "a", "b"])
    snap = base_snapshot.model_copy(update={"learned": lines})
    published, withheld = render_learned(snap)
    # the verifier reads "1e999999999" as a number no metric holds: that line fails closed
    # (it used to raise OverflowError), the others are published, nothing goes out unverified
    assert len(withheld) == 1 and withheld[0].startswith("a features line was withheld: "), withheld
    assert "unverified" in withheld[0]
    assert len(published) == len(lines) - 1 and not any("1e999999999" in p for p in published)


def test_a_gate_that_blocked_more_winners_than_losers(base_snapshot: MetricsSnapshot) -> None:
    acc = base_snapshot.metrics["gate_accuracy.cost_gate"]
    pnl = base_snapshot.metrics["gate_blocked_pnl_bps.cost_gate"]
    assert pnl.judged
    for value, n, shown in ((0.42, 60, True), (0.5, 60, False), (0.2, 5, False)):
        m = acc.model_copy(update={"value": value, "n": n, "interval": None})
        snap = base_snapshot.model_copy(update={"metrics": {**base_snapshot.metrics, m.id: m}})
        snap.learned = build_learned(snap)
        gates = [line for line in snap.learned if line["kind"] == "gates"]
        assert bool(gates) == shown, (value, n)
        if shown:
            lines = _check_lines(snap)
            (said,) = [t for t in lines if "cost_gate" in t and "winners" in t]
            assert said.startswith(
                "The cost_gate's block accuracy is 42.0 % on 60 blocks, so it blocked more winners than losers, "
                f"and the signals the cost_gate blocked would have made {plus(pnl)}{format_value(pnl)}."
            ), said


# --- how the lines read: sentences, signs, every format -----------------------------


def _formats(snap: MetricsSnapshot, cfg: Settings) -> dict[str, str]:
    """The section as each face prints it, unescaped back to plain text."""
    import html

    out = render_digest(build_digest(snap, None, None, cfg, charts=False))
    return {
        "text": out.text,
        "markdown": out.markdown.replace("\\_", "_"),
        "html": html.unescape(out.html),
        "telegram": html.unescape(out.telegram[0]),
        "discord": out.discord[0].payload["embeds"][1]["description"].replace("\\_", "_"),
    }


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        # the AUC fell, beyond noise
        (-0.0412, -0.0731, -0.0093, "is -0.041 (95 % interval -0.073 to -0.009: beyond noise, against the new model)."),
        # it rose, beyond noise
        (
            0.0123,
            0.0041,
            0.0205,
            "is +0.012 (95 % interval +0.004 to +0.021: beyond noise, in the new model's favour).",
        ),
        # it rose within noise: the sign is printed, the verdict says noise
        (0.0123, -0.0040, 0.0286, "is +0.012 (95 % interval -0.004 to +0.029: not beyond noise)."),
    ],
)
def test_the_auc_change_is_one_signed_sentence_in_every_format(
    sim: Path, base_snapshot: MetricsSnapshot, value: float, low: float, high: float, expected: str
) -> None:
    snap = _with_change(base_snapshot, value, low, high, 900)
    auc = format_value(snap.metrics["model_auc"])
    sentence = f"The new model's AUC is {auc}, and the AUC change vs the previous training {expected}"
    lines = _check_lines(snap)
    assert lines[0] == sentence
    for face, text in _formats(snap, load_config(data_dir=sim)).items():
        assert sentence in text, (face, sentence)
        # no label-like fragments are left in any face
        assert "Importance move top" not in text and "AUC change vs previous training is" not in text, face


def test_every_line_is_a_sentence_with_signed_changes(sim: Path) -> None:
    cfg = load_config(data_dir=sim)
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    seen: set[str] = set()
    with Store.open(cfg, read_only=True) as store:
        last = store.last_day()
        assert last is not None
        for k in range(9):  # every day of the simulated store: nothing withheld on any
            snap = compute_snapshot(store, last - timedelta(days=k), plugins, cfg)
            for line, text in zip(snap.learned, _check_lines(snap), strict=True):
                seen.add(line["kind"])
                # a sentence, or one that opens with a name as it is spelled (a feature, an author)
                assert text[0].isupper() or text.startswith((f"{line.get('feature')},", f"{line.get('author')} ")), text
                assert text.endswith("."), text
                assert " top1" not in text and "Importance move" not in text and "Regime move" not in text, text
                for mid in line["metric_ids"]:
                    for which in ("delta_1d", "delta_7d"):
                        ph = f"{{{mid}.{which}}}"
                        if ph in line["text"]:
                            # a change is printed with its sign (+ or -) unless it rounds to zero
                            shown = format_value(snap.metrics[mid], which)  # type: ignore[arg-type]
                            assert shown[0] in "+-" or not any(c in "123456789" for c in shown), (text, shown)
                if line["kind"] == "features":
                    assert ", the largest mover, now carries " in text or "-largest mover, now carries " in text
                    assert "of the model's importance, against " in text and " at the previous training" in text
    assert {"model", "features", "live"} <= seen, seen


def test_a_feature_that_entered_the_top_three(sim: Path, base_snapshot: MetricsSnapshot) -> None:
    from huracan.analytics.learned import _features
    from huracan.analytics.learning import FeatureMove

    moves = [
        FeatureMove("funding_rate", 0.05, 0.31, 0.26, rank_before=7, rank_after=1, rank_change=6),
        FeatureMove("spread_bps", 0.0, 0.12, 0.12, rank_before=None, rank_after=4, rank_change=None),
        FeatureMove("is_long", 0.30, 0.12, -0.18, rank_before=2, rank_after=5, rank_change=-3),
    ]
    lines = _features(base_snapshot, [m.feature for m in moves], moves)
    snap = base_snapshot.model_copy(update={"learned": lines})
    published = _check_lines(snap)
    top1 = format_value(snap.metrics["feature_share.top1"])
    before1 = format_value(snap.metrics["feature_share_before.top1"])
    week = snap.metrics["feature_share_7d.top1"]
    assert week.judged  # the simulated Engine trains every day
    assert published[0] == (
        f"funding_rate, the largest mover, now carries {top1} of the model's importance, against {before1} at "
        f"the previous training (its share over the 7 days before: {format_value(week)}). "
        "It is now among the model's top three features."
    )
    for face, text in _formats(snap, load_config(data_dir=sim)).items():
        assert published[0] in text, face
    assert published[1].endswith(" It is new to the model.")
    assert published[2].endswith(" It has left the model's top three features.")
    assert lines[0]["rank_before"] == 7 and lines[0]["rank_after"] == 1 and lines[0]["feature"] == "funding_rate"


def test_a_flipped_sign_or_direction_is_withheld(sim: Path) -> None:
    """Each published line, with one sign or one direction word turned the wrong way, is
    withheld by the verifier: the signs and words are claims, not decoration."""
    import re

    from huracan.council.publish import publish

    cfg = load_config(data_dir=sim)
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    flipped = 0
    with Store.open(cfg, read_only=True) as store:
        last = store.last_day()
        assert last is not None
        for k in range(3):
            snap = compute_snapshot(store, last - timedelta(days=k), plugins, cfg)
            for text in render_learned(snap)[0]:
                for m in re.finditer(r"(?<![\w.])([+-])(?=\d[\d,]*(?:\.\d+)?)", text):
                    digits = re.match(r"[\d,.]+", text[m.end() :])
                    if digits is None or not any(c in "123456789" for c in digits.group(0)):
                        continue  # -0.000 and +0.000 are the same number
                    wrong = text[: m.start()] + ("-" if m.group(1) == "+" else "+") + text[m.end() :]
                    out = publish(wrong, snap)
                    assert out.removed, (wrong, out.text)
                    flipped += 1
                for right, bad in (
                    ("a significant rise", "a significant fall"),
                    ("a significant fall", "a significant rise"),
                ):
                    if right in text:
                        out = publish(text.replace(right, bad, 1), snap)
                        assert out.removed, text
                        flipped += 1
    assert flipped >= 10, flipped


def test_a_single_prediction_day_says_nothing_about_the_model_in_any_face(
    sparse_store: tuple[Any, Settings], sparse: Sparse
) -> None:
    store, cfg = sparse_store
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    one = next(
        e.ts.date()
        for e in sparse.events
        if e.type == "calibration" and len(e.predictions) == 1 and e.ts.date() != AUTOTUNE_DAY  # type: ignore[attr-defined]
    )
    snap = compute_snapshot(store, one, plugins, cfg)
    lines = _check_lines(snap)
    for face, text in _formats(snap, cfg).items():
        assert "The new model's AUC" not in text and "The Brier score is" not in text, face
        assert "mover, now carries" not in text, face
        if not lines:
            assert NOTHING.split(":")[0] in text, face


def test_a_features_share_over_the_week_is_its_mean_over_the_trainings_before(
    sim: Path, base_snapshot: MetricsSnapshot
) -> None:
    from huracan.analytics.learning import normalise_importances

    cfg = load_config(data_dir=sim)
    day = base_snapshot.date
    with Store.open(cfg, read_only=True) as store:
        rows = (
            store.cursor()
            .execute(
                "SELECT day, importances FROM v_feature_importance WHERE day BETWEEN ? AND ? ORDER BY ts",
                [day - timedelta(days=7), day - timedelta(days=1)],
            )
            .fetchall()
        )
    latest = {d: normalise_importances({k: float(v) for k, v in json.loads(imp).items()}) for d, imp in rows}
    assert 1 <= len(latest) <= 7
    features = {
        line["metric_ids"][0].rsplit(".", 1)[1]: line["feature"]
        for line in base_snapshot.learned
        if line["kind"] == "features"
    }
    assert features
    for rank, feature in features.items():
        m = base_snapshot.metrics[f"feature_share_7d.{rank}"]
        expected = sum(shares.get(feature, 0.0) for shares in latest.values()) / len(latest)
        assert m.value == pytest.approx(expected, abs=1e-12), (rank, feature)
        assert m.n == base_snapshot.metrics[f"feature_share.{rank}"].n


def test_a_day_with_nothing_to_say_says_why_in_learning_summary(sparse: Sparse, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from huracan.cli import app

    cfg = load_config(data_dir=tmp_path / "data")
    plugins = get_plugins(cfg, entry_points=False, default_plugins=BUILTIN)
    with Store.open(cfg) as store:  # a store of its own: the CLI opens it after this closes
        store.write_events(sparse.events)
        closed = next(
            d
            for d in (AUTOTUNE_DAY + timedelta(days=k) for k in range(-9, 10))
            if (snap := compute_snapshot(store, d, plugins, cfg)).calendar is not None and not snap.calendar.trading
        )
        assert render_learned(snap) == ([], [])
    res = CliRunner().invoke(app, ["--data-dir", str(cfg.data_dir), "learning", "summary", "--date", str(closed)])
    assert res.exit_code == 0, res.output
    assert "What the Engine learned" in res.stdout and NOTHING[:60] in " ".join(res.stdout.split())
    res = CliRunner().invoke(
        app, ["--data-dir", str(cfg.data_dir), "learning", "summary", "--json", "--date", str(closed)]
    )
    out = json.loads(res.stdout)
    assert out["learned"] == [] and out["learned_lines"] == [] and out["learned_withheld"] == 0


def test_a_regime_named_like_a_word_about_numbers_is_a_name(base_snapshot: MetricsSnapshot) -> None:
    # "range" is how a desk says interval; "high", "low", "mean" name fields: a regime called
    # that is still just the regime's name, and its line is published.
    from huracan.analytics.learned import _regimes

    m = base_snapshot.metrics["regime_return_change.top1"]
    assert m.judged and m.interval is not None
    for name in ("range", "high", "7d_mean", "{model_auc}"):
        lines = _regimes(base_snapshot, [name])
        snap = base_snapshot.model_copy(update={"learned": lines})
        (published,) = _check_lines(snap)
        regime = name.strip("{}")
        assert published.startswith(f"Trades in the {regime} regime moved most. "), published
        assert f"the largest move, is {plus(m)}{format_value(m)} (95 % interval " in published
