"""``make bench``: every figure of issue 14 in one table, and ``benchmarks/results.json``.

Each row is a figure, the baseline it is compared with (measured in the same run), their
ratio, the target and whether it is met. ``results.json`` is a list of those rows (with
``name, value, unit, baseline_name, baseline_value, ratio, target, met``, a ``note`` saying
how it was measured, and the machine, its load and the part that measured it). Each part's
table is printed and ``results.json`` written as soon as the part ends; ``--only`` replaces
the rows it measures and keeps the others. ``BENCH_QUICK=1`` (``make
bench-quick``) runs smaller volumes in under three minutes.

    .venv/bin/python benchmarks/run.py [--quick] [--only ingest,http,reads]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Row, machine

RESULTS = Path(__file__).resolve().parent / "results.json"


def table(rows: list[Row]) -> str:
    head = ("name", "value", "unit", "baseline", "baseline value", "ratio", "target", "met")
    body = []
    for r in rows:
        cmp = "≥" if r.higher_is_better else "≤"
        body.append(
            (
                r.name,
                f"{r.value:,}",
                r.unit,
                r.baseline_name or "—",
                "—" if r.baseline_value is None else f"{r.baseline_value:,}",
                "—" if r.ratio is None else f"{r.ratio:g}×",
                "—" if r.target is None else f"{cmp} {r.target:,}",
                {True: "yes", False: "NO", None: "—"}[r.met],
            )
        )
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*b) for b in body]
    return "\n".join(out)


def archive_rows() -> list[Row]:
    """Issue 15's archive benchmark (a year of Delta partitions vs the old Parquet layout, local
    and on moto S3) as rows: Delta against the Parquet layout it replaced."""
    import re
    import tempfile

    from benchmarks import store_archive as sa
    from huracan.store.cold import ColdArchive

    tpl = sa.templates(40)
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="huracan-bench-") as tmpdir:
        tmp = Path(tmpdir)
        proc, q = sa.moto()
        try:
            for label, delta_uri, parquet_uri in [
                ("local", str(tmp / "delta"), str(tmp / "parquet")),
                ("s3", f"s3://bench/delta?{q}", f"s3://bench/parquet?{q}"),
            ]:
                sa.build_delta(delta_uri, 365, 40, tpl)
                sa.build_parquet(parquet_uri, 365, 40, tpl)
                ColdArchive(delta_uri).load_all()
                results = sa.measure(label, delta_uri, parquet_uri, 365, 3, tmp)
                results.append(sa.measure_roll(label, delta_uri, parquet_uri, 40, tpl, tmp))
                for _label, what, (dw, dc, _), (pw, _pc, _) in results:
                    name = "archive_" + label + "_" + re.sub(r"[^a-z0-9]+", "_", what.lower()).strip("_")
                    out.append(
                        Row(name, round(dw, 3), "s", "parquet_layout", round(pw, 3), None, False, f"{dc:.3f} CPU-s")
                    )
        finally:
            proc.terminate()
            proc.wait()
    return out


def _merge(path: Path, fresh: list[dict[str, Any]], names: set[str]) -> list[dict[str, Any]]:
    """``fresh`` rows replace the rows of the same name in ``path``; rows of parts not run stay."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = []
    kept = [r for r in old if isinstance(r, dict) and r.get("name") not in names]
    return kept + fresh


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0"))
    ap.add_argument("--only", default="ingest,http,reads,archive")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    started = time.perf_counter()
    parts = args.only.split(",")
    runners: dict[str, Callable[[], list[Row]]] = {}
    if "ingest" in parts:
        from benchmarks import ingest

        runners["ingest"] = lambda: ingest.rows(args.quick)
    if "http" in parts:
        from benchmarks import http_ingest

        runners["http"] = lambda: http_ingest.rows(args.quick)
    if "reads" in parts:
        from benchmarks import reads

        runners["reads"] = lambda: reads.rows(args.quick)
    if "archive" in parts and not args.quick:
        runners["archive"] = archive_rows
    rows: list[Row] = []
    out: list[dict[str, Any]] = []
    for part, run in runners.items():
        t0 = time.perf_counter()
        got = run()
        rows += got
        info = machine()
        info.update(
            {
                "part": part,
                "quick": args.quick,
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        out += [dict(r.as_dict(), run=info) for r in got]
        # Written after every part: a long part (the archive on moto S3) never hides the others.
        args.out.write_text(json.dumps(_merge(args.out, out, {r.name for r in rows}), indent=2) + "\n")
        print(f"[{part}: {info['seconds']} s, load {info['load_average']}]\n{table(got)}\n", flush=True)
    print(table(rows))
    print(
        f"\n{len(rows)} rows, {sum(1 for r in rows if r.met)} targets met, "
        f"{sum(1 for r in rows if r.met is False)} not; {round(time.perf_counter() - started, 1)} s on "
        f"{os.cpu_count()} cpus; written to {args.out} (rows of parts not run are kept)"
    )
    for r in rows:
        if r.note:
            print(f"  {r.name}: {r.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
