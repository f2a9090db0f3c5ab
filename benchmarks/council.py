"""Council wall time against a local fake LLM server with slow analysts.

Each analyst is delayed 1–2 s (seeded), the judge 1 s. Prints the council's wall time
against (a) the sum of every call (what a sequential council would take) and (b) the
slowest analyst + the judge + the verifier — the target is wall ≤ 1.2 × (b).

    .venv/bin/python benchmarks/council.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "False")

from council_fixtures import make_snapshot

from huracan.config import AnalystSettings, load_config
from huracan.council import run_council
from huracan.council.fake_server import FakeLLMServer
from huracan.council.llm import load_litellm
from huracan.council.placeholders import render
from huracan.council.verifier import verify


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--judge-delay", type=float, default=1.0)
    args = ap.parse_args()

    rng = random.Random(42)
    delays = {role: rng.uniform(1.0, 2.0) for role in
              ("learning_progress", "calibration", "gates", "risk", "data_quality", "hamilton_readiness", "skeptic")}  # fmt: skip
    snapshot = make_snapshot()
    cfg = load_config(data_dir=Path(tempfile.mkdtemp(prefix="huracan-bench-")))
    cfg.council.analysts = [AnalystSettings(role=r, model="openai/bench-analyst") for r in delays]
    cfg.council.judge_model = "openai/bench-judge"
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")

    t0 = time.perf_counter()
    load_litellm()
    print(f"litellm import: {time.perf_counter() - t0:.2f} s (once per process, not counted below)")

    def delay(task: str | None, role: str | None) -> float:
        return delays.get(role or "", args.judge_delay) if task == "analyst" else args.judge_delay

    with FakeLLMServer(delay=delay) as server:
        os.environ["OPENAI_API_BASE"] = server.base_url
        run_council(snapshot, cfg)  # warm-up: litellm's first call imports its provider modules
        for i in range(args.runs):
            server.calls.clear()
            start = time.perf_counter()
            result = run_council(snapshot, cfg, seed=i)
            wall = time.perf_counter() - start
            t = time.perf_counter()
            rendered = render(result.text, snapshot)
            verify(rendered.text, snapshot, rendered.spans)
            verifier_s = time.perf_counter() - t
            calls = [c.finished - c.started for c in server.calls]
            slowest = max(c.finished - c.started for c in server.calls if c.task == "analyst")
            judge = sum(c.finished - c.started for c in server.calls if c.task != "analyst")
            bound = slowest + judge + verifier_s
            print(
                f"run {i}: mode={result.mode} wall {wall:.2f} s | sequential sum {sum(calls):.2f} s "
                f"({wall / sum(calls):.0%}) | slowest analyst {slowest:.2f} + judge {judge:.2f} + verifier "
                f"{verifier_s:.3f} = {bound:.2f} s → wall/bound {wall / bound:.3f} "
                f"({'OK' if wall <= 1.2 * bound else 'OVER'} target 1.2)"
            )


if __name__ == "__main__":
    main()
