"""The one number formatter, and the metrics.yaml catalog's validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from huracan.analytics.format import format_number, format_value
from huracan.analytics.snapshot import Comparison, Interval, MetricValue, Provenance
from huracan.config import load_config
from huracan.plugins.builtin.metrics import huracan_register_metrics
from huracan.plugins.builtin.metrics.catalog import CatalogError, _load, build_specs


@pytest.mark.parametrize(
    ("value", "unit", "precision", "kw", "text"),
    [
        (0.6134, "fraction", 1, {}, "61.3 %"),
        (0.012, "fraction", 1, {"signed": True, "delta": True}, "+1.2 pp"),
        (-0.004, "fraction", 2, {"signed": True, "delta": True}, "-0.40 pp"),
        (12.345, "bps", 1, {}, "12.3 bps"),
        (-3.5, "bps", 2, {"signed": True}, "-3.50 bps"),
        (5412, "count", 0, {}, "5,412"),
        (1234.5, "usd", 2, {}, "$1,234.50"),
        (-1234.5, "usd", 0, {}, "-$1,234"),
        (0.7134, "score", 3, {}, "0.713"),
        (0.012, "score", 3, {"signed": True}, "+0.012"),
        (1.0, "bool", 0, {}, "yes"),
        (12.0, "seconds", 0, {}, "12 s"),
        (3.25, "ms", 2, {}, "3.25 ms"),
        (None, "bps", 1, {}, "n/a"),
    ],
)
def test_format_number(value: float | None, unit: str, precision: int, kw: dict[str, bool], text: str) -> None:
    assert format_number(value, unit, precision, **kw) == text


def _metric() -> MetricValue:
    return MetricValue(
        id="shadow_win_rate.scalp",
        name="Shadow win rate (scalp)",
        category="shadow",
        unit="fraction",
        precision=1,
        value=0.6412,
        formula="wins / trades",
        provenance=Provenance(query="SELECT 1", row_count=210),
        status="ok",
        n=2104,
        interval=Interval(low=0.62, high=0.66, method="wilson"),
        vs_prev_day=Comparison(baseline=0.58, delta=0.0612, pct_change=0.1056, significant=True, direction="up"),
    )


def test_format_value_every_number_of_a_metric() -> None:
    m = _metric()
    assert format_value(m) == "64.1 %"
    assert format_value(m, "low") == "62.0 %"
    assert format_value(m, "n") == "2,104"
    assert format_value(m, "baseline_1d") == "58.0 %"
    assert format_value(m, "delta_1d") == "+6.1 pp"
    assert format_value(m, "pct_1d") == "+10.6 %"
    assert format_value(m, "delta_7d") == "n/a"


def test_builtin_metrics_cover_every_category() -> None:
    specs = huracan_register_metrics(settings=load_config())
    assert len(specs) >= 50
    cats = {s.category for s in specs}
    assert {"shadow", "learning", "gates", "models", "live", "pipeline", "data_quality"} <= cats
    ids = {s.id for s in specs}
    for needed in ("shadow_win_rate.scalp", "shadow_win_rate.runner", "gate_pass_rate.cost_gate.runner", "model_auc"):
        assert needed in ids
    assert len(ids) == len(specs)


def test_catalog_errors_name_the_metric(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text("metrics:\n  x:\n    category: c\n    name: X\n    unit: parsecs\n    formula: f\n")
    with pytest.raises(CatalogError, match="metric 'x': unit 'parsecs'"):
        _load(str(bad))
    bad.write_text(
        "metrics:\n  x:\n    category: c\n    name: X\n    unit: count\n    formula: f\n    alerts: {warning: 'value <'}\n"
    )
    with pytest.raises(CatalogError, match=r"metric 'x'.*ends too early"):
        _load(str(bad))
    ok = tmp_path / "ok.yaml"
    ok.write_text("metrics:\n  x:\n    category: c\n    name: X\n    unit: count\n    formula: f\n")
    settings = load_config(analytics={"metrics_file": str(ok)})
    with pytest.raises(CatalogError, match=r"computed by the c plugin but not defined.*\['y'\]"):
        build_specs("c", {"x": lambda ctx, part: None, "y": lambda ctx, part: None}, settings)  # type: ignore[arg-type, return-value]
