"""/metrics follows the Prometheus conventions, and the shipped alert rules and Grafana
dashboard use only what the daemon exposes. promtool checks what it can when the Debian
`prometheus` package is installed; the parser checks run everywhere."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from huracan.config import load_config
from huracan.daemon.prom import METRIC_NAMES, render_metrics
from huracan.daemon.service import Daemon

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
GRAFANA = ROOT / "deploy" / "grafana" / "huracan.json"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt-get install prometheus)")

# Units a name may end with (base units, the way the Prometheus docs list them).
UNITS = ("_seconds", "_bytes", "_ratio", "_usd", "_total", "_info", "_active", "_ok", "_subscribers")


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(load_config(data_dir=tmp_path / "data"))
    d.open()
    yield d
    d.close()


def _scrape(d: Daemon) -> str:
    return render_metrics(d).decode()


def test_names_labels_and_types_follow_the_conventions(daemon: Daemon) -> None:
    asyncio.run(daemon.run_job("monitor"))
    daemon.ingest_stats.add(accepted=5, rejected=1)
    text = _scrape(daemon)
    # The parser names an info family with or without its _info suffix depending on its version.
    families = {f.name.removesuffix("_info"): f for f in text_string_to_metric_families(text)}
    ours = {n for n in families if n.startswith("huracan_")}
    assert ours == set(METRIC_NAMES), ours ^ set(METRIC_NAMES)
    for name in ours:
        fam = families[name]
        assert fam.documentation, f"{name} has no HELP"
        for sample in fam.samples:
            assert "job" not in sample.labels, f"{name} uses the label 'job', which Prometheus owns"
            assert sample.name.endswith(UNITS), f"{sample.name}: the unit goes last"
        if fam.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in fam.samples), name
    assert "huracan_ingest_rate" not in text  # rates are Prometheus's job: rate(huracan_ingest_events_total[1m])
    build = families["huracan_build"].samples[0]
    assert build.name == "huracan_build_info" and build.labels["version"] == daemon.version and build.value == 1
    assert families["huracan_ingest_events"].samples[0].value == 5
    monitor = [s for s in families["huracan_job_runs"].samples if s.labels.get("job_name") == "monitor"]
    assert monitor and monitor[0].labels["status"] == "ok"
    tiers = {s.labels["tier"] for s in families["huracan_store_size_bytes"].samples}
    assert tiers == {"hot", "cold"}
    assert "process_resident_memory_bytes" in families


def test_job_timings_come_from_the_ledger_and_survive_a_restart(tmp_path: Path) -> None:
    cfg = load_config(data_dir=tmp_path / "data")
    first = Daemon(cfg)
    first.open()
    try:
        asyncio.run(first.run_job("monitor"))
    finally:
        first.close()
    second = Daemon(cfg)
    second.open()
    try:
        text = _scrape(second)
    finally:
        second.close()
    assert re.search(r'huracan_job_last_success_timestamp_seconds\{job_name="monitor"\} \d', text)
    assert re.search(r'huracan_job_last_run_ok\{job_name="monitor"\} 1\.0', text)
    assert not re.search(r"^huracan_job_runs_total\{", text, re.M)  # the since-start counter starts at zero


@needs_promtool
def test_promtool_accepts_the_exposition(daemon: Daemon) -> None:
    asyncio.run(daemon.run_job("monitor"))
    res = subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=_scrape(daemon), capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip() == "" and res.stderr.strip() == "", "promtool lint findings: " + res.stdout + res.stderr


@needs_promtool
def test_promtool_checks_and_unit_tests_the_alert_rules() -> None:
    check = subprocess.run([str(PROMTOOL), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    test = subprocess.run(
        [str(PROMTOOL), "test", "rules", str(RULES.with_name("rules_test.yml"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert test.returncode == 0, test.stdout + test.stderr
    scrape = subprocess.run(
        [str(PROMTOOL), "check", "config", "--syntax-only", str(RULES.with_name("scrape.yml"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert scrape.returncode == 0, scrape.stdout + scrape.stderr


def _series(expr: str) -> set[str]:
    """Metric names an expression reads (huracan_*, process_*, up)."""
    names = set(re.findall(r"\b((?:huracan|process)_[a-z_]+|up)\b(?=\s*[{\[)])", expr))
    return names | set(re.findall(r"\b(huracan_[a-z_]+)\b", expr))


def _exposed() -> set[str]:
    out = {"up", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds"}
    for n in METRIC_NAMES:
        out |= {n, n + "_total", n + "_info"}
    return out


def test_alert_rules_read_only_exposed_metrics() -> None:
    rules = yaml.safe_load(RULES.read_text())
    seen = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["alert"].startswith("Huracan") and rule["labels"]["severity"] in {"warning", "critical"}
            assert rule["annotations"]["summary"]
            used = _series(rule["expr"])
            assert used, rule["alert"]
            assert used <= _exposed(), f"{rule['alert']} reads {used - _exposed()}"
            seen |= used
    assert {"huracan_job_last_success_timestamp_seconds", "huracan_kill_switch_active", "up"} <= seen


def test_grafana_dashboard_is_importable_and_reads_only_exposed_metrics() -> None:
    dash = json.loads(GRAFANA.read_text())
    assert dash["uid"] and dash["title"] and dash["__inputs"][0]["name"] == "DS_PROMETHEUS"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    exprs = []
    for p in dash["panels"]:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24, p["title"]
        if p["type"] == "row":
            continue
        assert p["datasource"]["uid"] == "${DS_PROMETHEUS}" and p["description"], p["title"]
        for t in p["targets"]:
            assert '$instance"' in t["expr"] or "instance=~" in t["expr"], p["title"]
            exprs.append(t["expr"])
    used = set().union(*(_series(e) for e in exprs))
    assert used <= _exposed(), used - _exposed()
    # Every family the daemon exposes is on the dashboard except the plumbing ones.
    shown = {n.removesuffix("_total").removesuffix("_info") for n in used}
    plumbing = {f"huracan_logger_{x}_events" for x in ("accepted", "written", "spooled")} | {"huracan_feed_subscribers"}
    assert set(METRIC_NAMES) - shown <= plumbing, set(METRIC_NAMES) - shown - plumbing
