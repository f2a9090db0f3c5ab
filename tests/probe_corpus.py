"""The probe corpus: true and false sentences about a simulated snapshot, and how to score them.

``tests/data/probe_snapshot.json`` is a snapshot of 2025-11-06 from a 14-day simulation
(``huracan simulate --days 14 --end 2025-11-06 --seed 11`` then ``huracan metrics --json``).
Its numbers are frozen with the corpus; the words that name metrics are not: the loader
lays the current ``metrics.yaml`` synonyms and part words over it, so the corpus always
tests the vocabulary that ships.

``probe_corpus_true.txt`` holds sentences true of that snapshot, ``probe_corpus_false.txt``
false ones under ``# family: <name>`` headings. :func:`score` verifies each sentence alone
(as a one-sentence text) and reports recall per family and the false-flag rate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.placeholders import render
from huracan.council.verifier import verify

HERE = Path(__file__).parent
SNAPSHOT = HERE / "data" / "probe_snapshot.json"

FAMILIES = (
    "wrong_metric", "wrong_field", "wrong_denominator", "near_miss", "wrong_sign", "wrong_unit", "counts", "dates",
    "spelled_out", "ratios_multipliers", "derived_arithmetic", "invented_metric", "wrong_placeholder",
    "unsupported_direction",
)  # fmt: skip


@cache
def probe_snapshot() -> MetricsSnapshot:
    """The frozen snapshot, with today's synonyms and part words from the built-in specs."""
    from huracan.config import load_config
    from huracan.plugins.builtin.metrics import huracan_register_metrics

    snap = MetricsSnapshot.model_validate_json(SNAPSHOT.read_text(encoding="utf-8"))
    specs = {s.id: s for s in huracan_register_metrics(settings=load_config())}
    metrics = {}
    for mid, m in snap.metrics.items():
        spec = specs.get(mid)
        if spec is not None:
            m = m.model_copy(
                update={"synonyms": tuple(spec.synonyms), "parts": {k: tuple(v) for k, v in spec.parts.items()}}
            )
        metrics[mid] = m
    return snap.model_copy(update={"metrics": metrics})


def _lines(path: Path) -> list[tuple[str, str]]:
    out, family = [], "true"
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("# family:"):
            family = line.split(":", 1)[1].strip()
        if not line or line.startswith("#"):
            continue
        out.append((family, line))
    return out


def true_sentences() -> list[str]:
    return [s for _, s in _lines(HERE / "probe_corpus_true.txt")]


def false_sentences() -> list[tuple[str, str]]:
    """(family, sentence) of every false sentence."""
    return _lines(HERE / "probe_corpus_false.txt")


def flagged(sentence: str, snapshot: MetricsSnapshot | None = None) -> bool:
    """Whether the verifier would remove ``sentence`` (any failed claim or unknown placeholder)."""
    snap = snapshot or probe_snapshot()
    rendered = render(sentence, snap)
    return bool(rendered.errors) or not verify(rendered.text, snap, rendered.spans).ok


@dataclass
class Score:
    caught: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str]] = field(default_factory=list)
    false_flags: list[str] = field(default_factory=list)
    true_total: int = 0

    def recall(self, family: str) -> float:
        return self.caught[family] / self.total[family] if self.total[family] else 1.0

    @property
    def false_flag_rate(self) -> float:
        return len(self.false_flags) / self.true_total if self.true_total else 0.0

    @property
    def overall_recall(self) -> float:
        return sum(self.caught.values()) / max(1, sum(self.total.values()))

    def table(self) -> str:
        rows = [f"{'family':<24} {'caught':>7} {'total':>6} {'recall':>8}"]
        for fam in FAMILIES:
            rows.append(f"{fam:<24} {self.caught[fam]:>7} {self.total[fam]:>6} {self.recall(fam):>8.1%}")
        rows.append(
            f"{'all false sentences':<24} {sum(self.caught.values()):>7} {sum(self.total.values()):>6} {self.overall_recall:>8.1%}"
        )
        rows.append(
            f"{'true sentences flagged':<24} {len(self.false_flags):>7} {self.true_total:>6} {self.false_flag_rate:>8.1%}"
        )
        return "\n".join(rows)


def score() -> Score:
    """Verify every corpus sentence on its own and count."""
    out = Score()
    for s in true_sentences():
        out.true_total += 1
        if flagged(s):
            out.false_flags.append(s)
    for fam, s in false_sentences():
        out.total[fam] += 1
        if flagged(s):
            out.caught[fam] += 1
        else:
            out.missed.append((fam, s))
    return out
