"""The number verifier against its probe corpus: recall per family, false flags, speed.

Reads ``tests/probe_corpus_true.txt`` and ``tests/probe_corpus_false.txt`` (sentences about
``tests/data/probe_snapshot.json``), verifies each sentence on its own and prints:

* recall per false family (issue 11's targets: wrong metric / field / denominator 100 %,
  every family at least 98 %) and the false-flag rate on true sentences (target ≤ 1 %);
* the sentences missed and the true sentences flagged, so a regression names itself;
* CPU time per sentence, against a baseline measured in the same run: rendering the
  same sentences' placeholders only (what verification adds on top of printing).

    .venv/bin/python benchmarks/verifier_probe.py [--json]

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from probe_corpus import FAMILIES, false_sentences, probe_snapshot, score, true_sentences

from huracan.council.placeholders import render


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    snap = probe_snapshot()
    sentences = true_sentences() + [s for _, s in false_sentences()]
    score()  # warm caches (lexicon, index) so the timing is the steady state
    t0 = time.process_time()
    for s in sentences:
        render(s, snap)
    baseline = time.process_time() - t0
    t0 = time.process_time()
    result = score()
    spent = time.process_time() - t0
    targets_met = (
        all(result.recall(f) == 1.0 for f in ("wrong_metric", "wrong_field", "wrong_denominator"))
        and all(result.recall(f) >= 0.98 for f in FAMILIES)
        and result.false_flag_rate <= 0.01
    )
    figures = {
        "recall": {f: round(result.recall(f), 4) for f in FAMILIES},
        "caught": dict(result.caught),
        "total": dict(result.total),
        "overall_recall": round(result.overall_recall, 4),
        "true_sentences": result.true_total,
        "false_flags": len(result.false_flags),
        "false_flag_rate": round(result.false_flag_rate, 4),
        "missed": [{"family": f, "sentence": s} for f, s in result.missed],
        "flagged_true": result.false_flags,
        "cpu_ms_per_sentence": round(1000 * spent / len(sentences), 3),
        "cpu_ratio_vs_render_only": round(spent / baseline, 1) if baseline else None,
        "targets_met": targets_met,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(result.table())
        for f, s in result.missed:
            print(f"missed [{f}]: {s}")
        for s in result.false_flags:
            print(f"flagged (true): {s}")
        print(
            f"\n{figures['cpu_ms_per_sentence']} ms CPU per sentence "
            f"({figures['cpu_ratio_vs_render_only']}x rendering the placeholders alone); "
            f"targets {'met' if targets_met else 'MISSED'}"
        )
    return 0 if targets_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
