"""Wording from evidence (#12): better / worse / held steady only from significance and sign."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from huracan.analytics.model_change import Estimate, compare_estimates
from huracan.analytics.wording import change_word, interval_significance, learning_verdict
from huracan.cli import app
from huracan.config import load_config
from huracan.store import Store
from huracan.testing import simulated_data_dir

runner = CliRunner()


@given(
    delta=st.floats(-1, 1, allow_nan=False),
    significant=st.sampled_from([True, False, None]),
    hib=st.sampled_from([True, False, None]),
)
def test_a_word_needs_significance_and_a_direction(delta: float, significant: bool | None, hib: bool | None) -> None:
    word = change_word(delta, significant, hib)
    if significant is None or hib is None:
        assert word == "not judged"
    elif not significant or delta == 0:
        assert word == "no significant change"
    else:
        assert word == ("better" if (delta > 0) == hib else "worse")


@given(se=st.floats(0.001, 0.2), delta=st.floats(-0.3, 0.3), n=st.integers(1, 1000))
def test_a_change_is_significant_exactly_when_its_interval_excludes_zero(se: float, delta: float, n: int) -> None:
    c = compare_estimates("auc", Estimate(0.6, se, n), Estimate(0.6 + delta, se, n), min_n=50)
    if n < 50:
        assert c.significant is None and c.word == "not judged" and c.low is None
    else:
        assert c.low is not None and c.high is not None
        assert c.significant == interval_significance(c.low, c.high) == (c.low > 0 or c.high < 0)


def test_learning_verdict_reads_the_auc_change() -> None:
    base = {"value": 0.055, "status": "ok", "interval": {"low": -0.01, "high": 0.12}}
    assert learning_verdict(base)[0] == "no significant change"
    assert learning_verdict({**base, "interval": {"low": 0.01, "high": 0.1}})[0] == "better"
    assert learning_verdict({**base, "value": -0.113, "interval": {"low": -0.2, "high": -0.03}})[0] == "worse"
    assert learning_verdict({**base, "status": "insufficient_data"})[0] == "not judged"
    assert learning_verdict(None)[0] == "not judged"


def _json(data_dir: Path, *args: str) -> Any:
    res = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_data_dir(tmp_path_factory.mktemp("sim") / "data", days=5, signals_per_day=300, seed=5)


def test_learning_summary_models_diff_and_the_snapshot_tell_one_story(sim_dir: Path) -> None:
    with Store.open(load_config(data_dir=sim_dir), read_only=True) as store:
        from huracan.analytics.days import last_data_day

        last = last_data_day(store.cursor())
    assert last is not None
    seen = 0
    for day in (last - timedelta(days=k) for k in range(3)):
        d = day.isoformat()
        snap = _json(sim_dir, "metrics", "--json", "--date", d)
        summary = _json(sim_dir, "learning", "summary", "--json", "--date", d)
        change = snap["metrics"]["model_auc_change"]
        if change["value"] is None or "auc" not in summary["metric_deltas"]:
            continue
        auc = summary["metric_deltas"]["auc"]
        assert auc["source"] == "recomputed"
        assert auc["delta"] == pytest.approx(change["value"])
        assert (auc["low"], auc["high"]) == pytest.approx((change["interval"]["low"], change["interval"]["high"]))
        word, _ = learning_verdict(change)
        assert auc["word"] == word
        assert auc["improved"] is {"better": True, "worse": False}.get(word)
        # models diff between the two models says the same about the same change
        diff = _json(
            sim_dir, "models", "diff", summary["previous"]["model_id"], summary["latest"]["model_id"], "--json"
        )
        assert diff["metric_deltas"]["auc"]["word"] == word
        seen += 1
    assert seen >= 2


def test_cli_never_says_better_for_a_change_it_cannot_support(sim_dir: Path) -> None:
    res = runner.invoke(app, ["--data-dir", str(sim_dir), "learning", "summary"])
    assert res.exit_code == 0, res.output
    for line in res.output.splitlines():
        if " → " in line and ("better" in line or "worse" in line):
            assert "95% CI" in line, line
            low, high = (float(x) for x in line.split("95% CI ")[1].rstrip(")").split(" to "))
            assert low > 0 or high < 0, line
