"""docs/engine.md stays true: its producer is examples/engine_producer.py verbatim, and that
producer, run against a real daemon, delivers every event type through the public API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from huracan.events import EVENT_TYPES
from tests.daemon_helpers import DaemonProcess, run_cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "engine_producer.py"
DOC = ROOT / "docs" / "engine.md"
# A short replay reaches the export only with a lenient readiness rule (the default wants 1,000 samples).
LENIENT = {
    "HURACAN_READINESS__MIN_TRAINING_SAMPLES": "50",
    "HURACAN_READINESS__MIN_AUC": "0.5",
    "HURACAN_READINESS__MAX_ECE": "0.5",
    "HURACAN_SCHEDULER__CATCHUP_DAYS": "0",
}


def test_the_guide_shows_the_tested_producer_verbatim() -> None:
    doc = DOC.read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert EXAMPLE.read_text() in blocks, "docs/engine.md must embed examples/engine_producer.py unchanged"
    for needle in ("connect(url=None, settings=None, *, start=True)", "SHA256", "decision_timestamp", "brier"):
        assert needle in doc


def _count(d: DaemonProcess, sql: str) -> int:
    r = httpx.post(d.url + "/v1/sql", params={"format": "json"}, json={"sql": sql}, timeout=60)
    r.raise_for_status()
    return int(r.json()["rows"][0][0])


@pytest.mark.slow
def test_the_producer_delivers_every_event_type(tmp_path: Path) -> None:
    d = DaemonProcess(tmp_path / "data", env=LENIENT).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HURACAN_")}
        env.update(LENIENT, HURACAN_DATA_DIR=str(d.data_dir), HURACAN_URL=d.url, LITELLM_LOCAL_MODEL_COST_MAP="True")
        run = subprocess.run(
            [sys.executable, str(EXAMPLE), "--hours", "8", "--train-every", "2", "--export-dir", str(tmp_path / "hm")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        assert "dropped" in run.stdout
        for etype in EVENT_TYPES:
            assert _count(d, f"SELECT count(*) FROM v_{etype}") > 0, f"no {etype} arrived"
        assert _count(d, "SELECT count(*) FROM v_shadow_outcome WHERE counterfactual") > 0
        assert _count(d, "SELECT count(*) FROM v_live_outcome WHERE source = 'hamilton'") > 0
        # Optional fields the producer does not have are stored as absent, not invented.
        assert _count(d, "SELECT count(*) FROM v_training_session WHERE brier IS NOT NULL OR log_loss IS NOT NULL") == 0
        model = httpx.post(
            d.url + "/v1/sql",
            params={"format": "json"},
            json={"sql": "SELECT model_id FROM v_model_loaded ORDER BY ts DESC LIMIT 1"},
        ).json()["rows"][0][0]
        for cmd in (["models", "verify", model], ["models", "show", model], ["learning", "sessions"]):
            res = run_cli(*cmd, data_dir=d.data_dir, env=LENIENT)
            assert res.returncode == 0, f"{cmd}: {res.stderr[-2000:]}"
        shown = run_cli("models", "show", model, "--json", data_dir=d.data_dir, env=LENIENT)
        assert '"acknowledged"' in shown.stdout
    finally:
        d.terminate()
        d.cleanup()


def test_a_session_without_the_optional_fields_is_shown_as_absent(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from huracan.analytics.learning import daily_summary
    from huracan.analytics.metrics import compute_snapshot
    from huracan.config import load_config
    from huracan.events import TrainingSession
    from huracan.plugins.manager import get_plugins
    from huracan.store import Store

    cfg = load_config(data_dir=tmp_path / "data")
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    sessions = [
        TrainingSession(
            ts=t + timedelta(minutes=i),
            session_id=f"train-{i}",
            model_id=f"{i}" * 64,
            trained_at=t + timedelta(minutes=i),
            data_cutoff_timestamp=t,
            samples_historical=100,
            samples_shadow=10,
            auc=0.7,
            ece=0.05,
            mce=0.1,
        )
        for i in (1, 2)
    ]
    assert sessions[0].brier is None and sessions[0].log_loss is None and sessions[0].duration_s is None
    with Store.open(cfg) as store:
        store.write_events(sessions)
        snap = compute_snapshot(store.cursor(), t.date(), get_plugins(cfg), cfg)
        summary = daily_summary(store.cursor(), t.date(), cfg)
    duration = snap.metrics["training_duration_s"]
    assert duration.value is None and duration.status == "no_data" and "did not report" in duration.status_reason
    assert "brier" not in summary.metric_deltas and summary.metric_deltas["auc"]["delta"] == 0
