"""The verifier against the red team's blind corpora (dev half), as a regression test.

``tests/data/redteam/`` holds two snapshots the verifier's author never wrote sentences
for (``snapshot_a``: a day with a ready model; ``snapshot_b``: the model not ready, no
scalp trades) and the dev half of the red team's corpora over them (copied from
``/work/redteam``; the held-out half is scored elsewhere). Targets, in sentence mode and
whole-file mode: recall ≥ 98 % overall and 100 % on wrong_metric / wrong_field /
wrong_denominator, false flags ≤ 2 %, and no line leaves the published text unlisted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.verifier_heldout import STRICT, Figures, load_rows, run
from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.publish import publish

DATA = Path(__file__).parent / "data" / "redteam"
SNAPS = ("a", "b")


def _snap(x: str) -> MetricsSnapshot:
    return MetricsSnapshot.model_validate_json((DATA / f"snapshot_{x}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", ["sentence", "file"])
def test_redteam_dev_corpus_meets_the_targets(mode: str) -> None:
    figs = Figures()
    for x in SNAPS:
        snap = _snap(x)
        for name in ("false", "true"):
            rows = load_rows(DATA / "dev" / f"{x}_{name}.tsv")
            run(snap, rows, mode)
            figs.add(rows)
    misses = [f"[{r.family}] {r.sentence}" for r in figs.misses]
    flags = [f"[{r.family}] {r.sentence}: {'; '.join(r.why)}" for r in figs.false_flags]
    for fam in STRICT:
        assert figs.caught[fam] == figs.total[fam], (fam, misses)
    assert figs.recall >= 0.98, misses
    assert figs.false_flag_rate <= 0.02, flags
    assert not figs.silent, [r.sentence for r in figs.silent]


@pytest.mark.parametrize("x", SNAPS)
def test_published_plus_removed_is_the_input(x: str) -> None:
    """Every line of a whole-file text is either published unchanged or listed as removed."""
    snap = _snap(x)
    lines = [r.sentence for name in ("true", "false") for r in load_rows(DATA / "dev" / f"{x}_{name}.tsv")]
    out = publish("\n".join(lines) + "\n", snap)
    rendered = out.rendered.split("\n")
    kept, pos = [], 0
    for line in rendered:
        lo, hi = pos, pos + len(line)
        pos = hi + 1
        hit = [r for r in out.removed if r.start < hi and r.end > lo]
        if hit:
            assert all(lo <= r.start and r.end <= hi for r in hit), "a removal crosses a line"
            assert line.strip() == " ".join(r.text for r in hit).strip() or all(r.kind != "row" for r in hit)
            rest = line
            for r in sorted(hit, key=lambda r: -r.start):
                rest = rest[: r.start - lo] + rest[r.end - lo :]
            if rest.strip():
                kept.append(rest.strip())
        elif line.strip():
            kept.append(line.strip())
    assert out.text.split("\n") == kept
    assert out.flags and len(out.flags) == len(out.removed)


#: Later rounds (``round3/``, ``round4/``): written blind by red teams, scored blind once
#: (figures in the README), then used to fix what they showed. Their floors are a ratchet,
#: not the targets: a change that loses recall or flags more true sentences than today fails.
LATER = {
    # round: (snapshot letters, min recall, max false flags sentence / file)
    "round3": (("c", "d"), 0.95, (0.06, 0.09)),
    "round4": (("e", "f"), 0.91, (0.11, 0.12)),
}


@pytest.mark.parametrize("mode", ["sentence", "file"])
@pytest.mark.parametrize("round_", sorted(LATER))
def test_later_rounds_hold_their_floor(round_: str, mode: str) -> None:
    letters, min_recall, max_ff = LATER[round_]
    figs = Figures()
    for x in letters:
        snap = MetricsSnapshot.model_validate_json((DATA / round_ / f"snapshot_{x}.json").read_text(encoding="utf-8"))
        for name in ("false", "true"):
            rows = load_rows(DATA / round_ / f"{x}_{name}.tsv")
            run(snap, rows, mode)
            figs.add(rows)
    misses = [f"[{r.family}] {r.sentence}" for r in figs.misses]
    for fam in STRICT:
        assert figs.caught[fam] == figs.total[fam], (fam, misses)
    assert figs.recall >= min_recall, misses
    assert figs.false_flag_rate <= max_ff[mode == "file"], [f"[{r.family}] {r.sentence}" for r in figs.false_flags]
    assert not figs.silent, [r.sentence for r in figs.silent]
