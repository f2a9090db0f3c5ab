"""The number verifier against a blind corpus: recall per family, false flags, CPU cost.

A corpus directory holds, per snapshot, ``<x>_true.tsv`` and ``<x>_false.tsv`` (one
sentence a line: ``T|F<TAB>family<TAB>sentence<TAB>how it was checked``); ``<x>`` is the
snapshot file's last ``_`` word (``snapshot_a.json`` → ``a``) unless ``--prefix`` says.
This is the red team's scoring (``/work/redteam/score.py``) done in-process, so it runs
in seconds instead of shelling out per sentence:

* a false sentence is **caught** when publishing removes it (a removal is listed);
* a true sentence is a **false flag** when it is removed or not published unchanged
  (its rendered form, for placeholders);
* ``sentence`` mode verifies each line alone, ``file`` mode the whole file at once
  (context across sentences must not change a verdict); in file mode a line that
  vanishes from the published text without a listed removal is reported (a silent
  removal is a defect in itself).

    .venv/bin/python benchmarks/verifier_heldout.py --snapshot tests/data/redteam/snapshot_a.json \\
        --snapshot tests/data/redteam/snapshot_b.json --corpus tests/data/redteam/dev [--mode both] [--json]

Exit status 1 when a target is missed (recall ≥ 98 % overall, 100 % on wrong_metric /
wrong_field / wrong_denominator, false flags ≤ 2 %) or a line vanished silently.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from huracan.analytics.snapshot import MetricsSnapshot
from huracan.council.placeholders import render
from huracan.council.publish import publish

STRICT = ("wrong_metric", "wrong_field", "wrong_denominator")
RECALL_TARGET = 0.98
FALSE_FLAG_TARGET = 0.02


@dataclass
class Row:
    label: str
    family: str
    sentence: str
    comment: str
    bad: bool = False
    silent: bool = False
    why: list[str] = field(default_factory=list)


def load_rows(path: Path) -> list[Row]:
    """The rows of one corpus file."""
    rows = []
    for ln in path.read_text(encoding="utf-8").splitlines():
        if ln.strip():
            f = ln.split("\t")
            rows.append(Row(f[0], f[1], f[2], f[3] if len(f) > 3 else ""))
    return rows


def judge_text(raw: str, snap: MetricsSnapshot, rows: list[Row]) -> None:
    """Publish ``raw`` (the rows' sentences, one a line) and judge each row."""
    rendered = render(raw, snap).text
    out = publish(raw, snap)
    published_lines = set(out.text.splitlines())
    pos = 0
    for row, line in zip(rows, rendered.split("\n"), strict=False):
        lo, hi = pos, pos + len(line)
        pos = hi + 1
        removed = any(a < hi and b > lo for a, b in out.removed_spans)
        unchanged = line.strip() in published_lines or (len(rows) == 1 and out.text.strip() == line.strip())
        row.silent = not removed and not unchanged
        row.why = [why for r in out.removed if r.start < hi and r.end > lo for why in r.reasons]
        row.bad = not removed if row.label == "F" else (removed or not unchanged)


def run(snap: MetricsSnapshot, rows: list[Row], mode: str) -> None:
    """Judge every row, alone (``sentence``) or as one text (``file``)."""
    if mode == "sentence":
        for r in rows:
            judge_text(r.sentence + "\n", snap, [r])
    else:
        judge_text("".join(r.sentence + "\n" for r in rows), snap, rows)


@dataclass
class Figures:
    caught: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    true_total: Counter[str] = field(default_factory=Counter)
    misses: list[Row] = field(default_factory=list)
    false_flags: list[Row] = field(default_factory=list)
    silent: list[Row] = field(default_factory=list)

    def add(self, rows: list[Row]) -> None:
        for r in rows:
            if r.label == "F":
                self.total[r.family] += 1
                self.caught[r.family] += not r.bad
                if r.bad:
                    self.misses.append(r)
            else:
                self.true_total[r.family] += 1
                self.flagged[r.family] += r.bad
                if r.bad:
                    self.false_flags.append(r)
            if r.silent:
                self.silent.append(r)

    @property
    def recall(self) -> float:
        return sum(self.caught.values()) / max(1, sum(self.total.values()))

    @property
    def false_flag_rate(self) -> float:
        return sum(self.flagged.values()) / max(1, sum(self.true_total.values()))

    def met(self) -> bool:
        strict = all(self.caught[f] == self.total[f] for f in STRICT)
        return strict and self.recall >= RECALL_TARGET and self.false_flag_rate <= FALSE_FLAG_TARGET and not self.silent

    def as_dict(self) -> dict[str, object]:
        return {
            "recall": round(self.recall, 4),
            "caught": sum(self.caught.values()),
            "false_total": sum(self.total.values()),
            "false_flag_rate": round(self.false_flag_rate, 4),
            "false_flags": sum(self.flagged.values()),
            "true_total": sum(self.true_total.values()),
            "recall_by_family": {f: f"{self.caught[f]}/{self.total[f]}" for f in sorted(self.total)},
            "false_flags_by_family": {f: f"{self.flagged[f]}/{self.true_total[f]}" for f in sorted(self.true_total)},
            "misses": [f"[{r.family}] {r.sentence}" for r in self.misses],
            "flagged_true": [f"[{r.family}] {r.sentence}" for r in self.false_flags],
            "silent_removals": [r.sentence for r in self.silent],
        }


def prefix_of(snapshot: Path) -> str:
    """``snapshot_a.json`` → ``a``."""
    return snapshot.stem.rsplit("_", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--snapshot", type=Path, action="append", required=True, help="snapshot JSON (repeatable)")
    ap.add_argument("--corpus", type=Path, required=True, help="directory of <x>_true.tsv / <x>_false.tsv")
    ap.add_argument("--prefix", action="append", help="corpus prefix per --snapshot (default: from its name)")
    ap.add_argument("--mode", choices=["sentence", "file", "both"], default="both")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--quiet", action="store_true", help="figures only, no lists")
    a = ap.parse_args(argv)
    prefixes = a.prefix or [prefix_of(s) for s in a.snapshot]
    modes = ["sentence", "file"] if a.mode == "both" else [a.mode]
    report: dict[str, object] = {}
    ok = True
    n_sentences, cpu = 0, 0.0
    for mode in modes:
        overall = Figures()
        for snap_path, px in zip(a.snapshot, prefixes, strict=True):
            snap = MetricsSnapshot.model_validate_json(snap_path.read_text(encoding="utf-8"))
            figs = Figures()
            for name in ("false", "true"):
                rows = load_rows(a.corpus / f"{px}_{name}.tsv")
                t0 = time.process_time()
                run(snap, rows, mode)
                cpu += time.process_time() - t0
                n_sentences += len(rows)
                figs.add(rows)
                overall.add(rows)
            report[f"{mode}/{px}"] = figs.as_dict()
            if not a.json:
                _print(f"{mode} mode, snapshot {px} ({snap_path.name})", figs, a.quiet)
        report[f"{mode}/all"] = overall.as_dict()
        ok = ok and overall.met()
        if not a.json:
            print(
                f"\n{mode} mode, all snapshots: recall {overall.recall:.1%}, false flags {overall.false_flag_rate:.1%}"
                f" — targets {'met' if overall.met() else 'MISSED'}"
            )
    report["cpu_ms_per_sentence"] = round(1000 * cpu / max(1, n_sentences), 2)
    report["targets_met"] = ok
    if a.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        print(f"\n{report['cpu_ms_per_sentence']} ms CPU per sentence (publish: render, verify, remove)")
    return 0 if ok else 1


def _print(title: str, f: Figures, quiet: bool) -> None:
    print(f"\n=== {title} ===")
    print(
        f"recall {sum(f.caught.values())}/{sum(f.total.values())} = {f.recall:.1%}   "
        f"false flags {sum(f.flagged.values())}/{sum(f.true_total.values())} = {f.false_flag_rate:.1%}"
    )
    print("  recall per family: " + ", ".join(f"{k} {f.caught[k]}/{f.total[k]}" for k in sorted(f.total)))
    bad = [f"{k} {f.flagged[k]}/{f.true_total[k]}" for k in sorted(f.true_total) if f.flagged[k]]
    print("  false flags per family: " + (", ".join(bad) or "none"))
    if quiet:
        return
    for r in f.misses:
        print(f"  MISS [{r.family}] {r.sentence}\n       why false: {r.comment or '-'}")
    for r in f.false_flags:
        print(f"  FLAG [{r.family}] {r.sentence}\n       " + ("; ".join(r.why) or "(no failed claim listed)"))
    for r in f.silent:
        print(f"  SILENT removal (not listed): {r.sentence}")


if __name__ == "__main__":
    sys.exit(main())
