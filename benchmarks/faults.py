"""The fault suite (issue 13): every promise of "safe by default", attacked for real.

Real daemon processes on loopback, a real aiosmtpd server, Telegram / Discord / LLM
doubles on 127.0.0.1, a tmpfs (or RLIMIT_FSIZE) for a full disk. Prints one table —
scenario, expected, observed, verdict — writes ``benchmarks/faults.json`` (a list of
``{scenario, expected, observed, holds, seconds}``) and exits 1 if any row does not hold.

    make faults                                  # every scenario
    python benchmarks/faults.py --fast           # the quick ones (pytest runs these too)
    python benchmarks/faults.py --only SIGKILL --only "Disk full"   # by name substring
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.faultlib import sc_delivery, sc_endpoint, sc_exactly_once, sc_operator, sc_process, sc_text  # noqa: E402,F401
from benchmarks.faultlib.core import REGISTRY, Lab, Row, render_table, write_json  # noqa: E402


def run(only: list[str] | None = None, fast: bool = False, out: Path | None = None) -> list[Row]:
    """Run the chosen scenarios in a scratch directory; print progress to stderr."""
    chosen = [
        s for s in REGISTRY if (not fast or s.fast) and (not only or any(o.lower() in s.name.lower() for o in only))
    ]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="huracan-faults-") as tmp:
        lab = Lab(Path(tmp))
        try:
            for i, sc in enumerate(chosen, 1):
                print(f"[{i}/{len(chosen)}] {sc.name} …", file=sys.stderr, flush=True)
                row = lab.run(sc)
                rows.append(row)
                print(
                    f"    {'holds' if row.holds else 'FAILS'} in {row.seconds:.1f} s: {row.observed}", file=sys.stderr
                )
        finally:
            lab.close()
    if out is not None:
        write_json(rows, out)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fast", action="store_true", help="only the quick scenarios")
    ap.add_argument("--only", action="append", help="scenarios whose name contains this (repeatable)")
    ap.add_argument(
        "--json", type=Path, help="where to write the rows (default: benchmarks/faults.json for a full run only)"
    )
    args = ap.parse_args()
    if args.json is None and not (args.only or args.fast):
        # A partial run must not replace the committed table of the whole suite.
        args.json = ROOT / "benchmarks" / "faults.json"
    t0 = time.perf_counter()
    rows = run(args.only, args.fast, args.json)
    print(render_table(rows))
    where = f"rows written to {args.json}" if args.json else "a partial run: benchmarks/faults.json left as it was"
    print(f"wall time {time.perf_counter() - t0:.0f} s; {where}")
    sys.exit(0 if rows and all(r.holds for r in rows) else 1)


if __name__ == "__main__":
    main()
