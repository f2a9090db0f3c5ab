"""Realistic inputs for the digest tests: a snapshot, chart history and a council result.

Hostile text is built in (a symbol named ``<script>alert(1)</script>``, Markdown and
HTML metacharacters, ``@everyone``) so every format's escaping is exercised.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huracan.analytics.snapshot import (
    Comparison,
    MetricsSnapshot,
    MetricValue,
    Provenance,
    Readiness,
    Targets,
)
from huracan.council.schema import AnalysisRecord, CallCost, CostSummary, CouncilResult, VerifiedNumber
from huracan.digest.history import CalibrationBin, GatePass, History, TrainingPoint
from huracan.digest.render import RenderedDigest

DAY = date(2025, 11, 6)
HOSTILE = "<script>alert(1)</script>"
GATES = ("meta_label", "cost_gate", "confidence_gate", "regime_gate", "spread_gate", "volume_gate")


def metric(mid: str, name: str, category: str, unit: str, value: float | None, **kw: Any) -> MetricValue:
    return MetricValue(
        id=mid,
        name=name,
        category=category,
        unit=unit,  # type: ignore[arg-type]
        value=value,
        formula=kw.pop("formula", f"{mid} formula"),
        provenance=Provenance(query=f"SELECT … -- {mid}", row_count=kw.pop("rows", 100), tables=["v_x"]),
        status=kw.pop("status", "ok"),
        **kw,
    )


def snapshot(hostile: bool = True, extra_metrics: int = 0) -> MetricsSnapshot:
    m: list[MetricValue] = [
        metric(
            "model_auc",
            "Model AUC",
            "learning",
            "score",
            0.6812,
            precision=3,
            key=True,
            higher_is_better=True,
            vs_prev_day=Comparison(baseline=0.6571, delta=0.0241, significant=True, direction="up"),
        ),
        metric(
            "model_ece",
            "Calibration error (ECE)",
            "learning",
            "score",
            0.0423,
            precision=3,
            key=True,
            higher_is_better=False,
            vs_prev_day=Comparison(baseline=0.0451, delta=-0.0028, significant=False, direction="down"),
        ),
        metric("training_samples", "Training samples", "learning", "count", 48213, precision=0, key=True),
        metric("shadow_trades.scalp", "Shadow trades", "shadow", "count", 212, precision=0, key=True),
        metric("shadow_trades.runner", "Shadow trades", "shadow", "count", 37, precision=0),
        metric("shadow_win_rate.scalp", "Shadow win rate", "shadow", "fraction", 0.7217, precision=1, n=212, key=True),
        metric(
            "shadow_win_rate.runner",
            "Shadow win rate",
            "shadow",
            "fraction",
            0.8378,
            precision=1,
            status="warning",
            status_reason="below the 87% minimum for runner",
            targets=Targets(min=0.87, ideal=0.90),
        ),
        metric("shadow_pnl_bps.scalp", "Shadow P&L", "shadow", "bps", 184.5, precision=1, key=True),
        metric("shadow_pnl_bps.runner", "Shadow P&L", "shadow", "bps", -23.75, precision=1),
        metric("gate_accuracy", "Good blocks (block accuracy)", "gates", "fraction", 0.6634, precision=1),
        metric("counterfactual_pnl_bps", "Counterfactual P&L of blocked signals", "gates", "bps", -412.0, precision=1),
        metric("exports_today", "Models exported", "readiness", "count", 1, precision=0, key=True),
        metric("live_win_rate", "Hamilton live win rate", "hamilton", "fraction", 0.7011, precision=1),
        metric("live_vs_shadow_gap_bps", "Live minus shadow return", "hamilton", "bps", -3.2, precision=1, key=True),
        metric("queue_drops", "Events dropped", "pipeline", "count", 0, precision=0, key=True),
        metric("ingest_rate", "Ingest rate", "pipeline", "events_per_s", 1234.5, precision=0),
    ]
    for gate in GATES:
        for mode, rate in (("scalp", 0.55), ("runner", 0.30)):
            t = Targets(min=0.15, ideal=0.25, max=0.60) if mode == "scalp" else Targets(min=0.05, ideal=0.10, max=0.40)
            r = 0.02 if (gate, mode) == ("meta_label", "runner") else rate
            status = "warning" if r < (t.min or 0) else "ok"
            m.append(
                metric(
                    f"gate_pass_rate.{gate}.{mode}",
                    "Pass rate",
                    "gates",
                    "fraction",
                    r,
                    precision=1,
                    targets=t,
                    status=status,
                )
            )
    for i in range(extra_metrics):
        m.append(
            metric(
                f"plugin_metric_{i:03d}", f"Plugin metric {i} with a long descriptive name", "custom", "ratio", i / 7
            )
        )
    notes_alert = {
        "name": "spread_spike",
        "severity": "CRITICAL",
        "message": f'spread on {HOSTILE} jumped *10x* _now_ [click](http://evil) @everyone & "quotes"',
    }
    return MetricsSnapshot(
        date=DAY,
        generated_at=datetime(2025, 11, 7, 0, 15, tzinfo=UTC),
        metrics={x.id: x for x in m},
        readiness=Readiness(
            model_id="ab" * 32,
            ready=False,
            reasons=["ECE fine, but only 812 of 1,000 required training samples on runner"],
            checks={"auc": True, "ece": True, "samples": False},
        ),
        alerts=[notes_alert] if hostile else [],
    )


def council(hostile: bool = True, long: bool = False) -> CouncilResult:
    """A council run shaped exactly like the council room's result."""
    text = (
        "Learning improved: AUC rose to 0.681, a significant gain over yesterday.\n\n"
        "Runner shadow win rate is 83.8 %, below its minimum; the meta_label gate passes only 2.0 % of "
        "runner signals, which looks too strict."
    )
    if hostile:
        text += f"\n\nThe {HOSTILE} symbol had **odd** fills; # not a heading\n- not a list & <b>not bold</b> @everyone"
    if long:
        text += "\n\n" + "\n\n".join(f"Paragraph {i}: " + "lorem ipsum dolor sit amet " * 40 for i in range(30))
    text += "\n\nWhere the analysts disagree:\n- AUC gain (B): one day is not a trend; wait for 3 days @here"
    return CouncilResult(
        date=DAY.isoformat(),
        mode="council",
        text=text,
        judge_model="openai/gpt-4o",
        analyses=[
            AnalysisRecord(role="gates", model="openai/gpt-4o-mini", status="ok"),
            AnalysisRecord(
                role="skeptic", model="anthropic/claude-3-5-haiku", status="failed", error="timeout after 60 s"
            ),
        ],
        verification=[VerifiedNumber(text="0.681", start=0, end=5, value=0.681, metric_id="model_auc")] * 11
        + [VerifiedNumber(text="9.9", start=0, end=3, value=9.9, action="removed")],
        cost=CostSummary(
            calls=[
                CallCost(
                    purpose="analyst",
                    model="openai/gpt-4o-mini",
                    prompt_tokens=9000,
                    completion_tokens=1200,
                    cost_usd=0.0031,
                ),
                CallCost(
                    purpose="judge", model="openai/gpt-4o", prompt_tokens=7000, completion_tokens=1222, cost_usd=0.02
                ),
            ],
            run_usd=0.0231,
        ),
        notes=["Offline analyst used for 1 of 7 roles"],
    )


def history(days: int = 30) -> History:
    pts = tuple(
        TrainingPoint(DAY - timedelta(days=days - 1 - i), 0.62 + 0.002 * i + 0.004 * math.sin(i), 0.07 - 0.001 * i)
        for i in range(days)
    )
    pnl = {
        "scalp": tuple((DAY - timedelta(days=days - 1 - i), 40 * math.sin(i / 3) + 12) for i in range(days)),
        "runner": tuple((DAY - timedelta(days=days - 1 - i), 25 * math.cos(i / 4) - 3) for i in range(days)),
    }
    gates = tuple(
        GatePass(g, mode, 2 if (g, mode) == ("meta_label", "runner") else 55 if mode == "scalp" else 30, 100)
        for g in GATES
        for mode in ("scalp", "runner")
    )
    bins = tuple(
        CalibrationBin(0.05 + 0.1 * i, max(0.0, min(1.0, 0.05 + 0.1 * i - 0.03 * (i > 5))), 50 + 10 * i)
        for i in range(10)
    )
    now = {"volatility_1h": 0.21, "momentum_15m": 0.17, "spread_bps": 0.12, "volume_ratio": 0.09, "funding_rate": 0.05}
    prev = {"volatility_1h": 0.18, "momentum_15m": 0.20, "spread_bps": 0.12, "volume_ratio": 0.06, "funding_rate": 0.07}
    return History(
        day=DAY,
        days=days,
        training=pts,
        shadow_pnl_bps=pnl,
        gate_pass=gates,
        calibration_model="ab" * 32,
        calibration=bins,
        importance_now=now,
        importance_prev=prev,
    )


def tiny_png(seed: int = 0) -> bytes:
    """A valid 1x1 PNG (distinct per seed): stands in for charts where pixels don't matter."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes([seed % 256, 0, 0])
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def fast_rendered(long: bool = False) -> RenderedDigest:
    """A rendered digest with stand-in chart PNGs (drawing real charts takes seconds)."""
    from dataclasses import replace

    from huracan.config import load_config
    from huracan.digest import ChartImage, build_digest, render

    d = build_digest(snapshot(extra_metrics=300 if long else 0), council(long=long), None, load_config())
    charts = tuple(
        ChartImage(key, key.replace("_", " ").title(), f"Alt text for the {key} chart.", tiny_png(i))
        for i, key in enumerate(("learning", "shadow_pnl", "gates", "reliability", "importance"))
    )
    return render(replace(d, charts=charts))
