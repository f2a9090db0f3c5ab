"""Plugin gates are valid from start-up; a disabled plugin leaves nothing behind (issue 13)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from huracan.config import load_config
from huracan.events import GateDecision, known_gates
from huracan.plugins.manager import get_plugins
from huracan.samples import sample_events
from tests.daemon_helpers import DaemonProcess, run_cli

EXAMPLE_SRC = Path(__file__).resolve().parents[1] / "examples" / "huracan-example-plugin" / "src"

BROKEN = """
from huracan.plugins import hookimpl
from huracan.plugins.types import GateSpec

GATE = GateSpec(name="flaky_gate", description="d", measures="x", direction="above",
                thresholds={"scalp": 1.0}, value=lambda inputs: 1.0)

@hookimpl
def huracan_register_gates(settings):
    return [GATE]

@hookimpl
def huracan_register_metrics(settings):
    raise RuntimeError("metrics.yaml of flaky plugin is missing")
"""


def _decision(gate: str) -> str:
    (d,) = sample_events("gate_decision", n=1, seed=3)
    assert isinstance(d, GateDecision)
    return json.dumps(dict(d.model_dump(mode="json"), gate=gate, mode="scalp", value=2.0, threshold=1.0,
                           direction="above", passed=True))  # fmt: skip


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "flaky_plugin.py").write_text(textwrap.dedent(BROKEN))
    path = os.pathsep.join([str(EXAMPLE_SRC), str(tmp_path), os.environ.get("PYTHONPATH", "")])
    return {
        "PYTHONPATH": path,
        "HURACAN_DISABLE_ENTRY_POINTS": "1",
        "HURACAN_PLUGINS__MODULES": "huracan_example_plugin,flaky_plugin",
        "HURACAN_SCHEDULER__CATCHUP_DAYS": "0",
    }


@pytest.mark.slow
def test_fresh_daemon_accepts_plugin_gates_and_refuses_a_disabled_plugins_gate(
    tmp_path: Path, plugin_env: dict[str, str]
) -> None:
    d = DaemonProcess(tmp_path / "data", env=plugin_env).start()
    try:
        ok = d.post((_decision("liquidity_gate") + "\n").encode())
        assert ok.status_code == 200, ok.text  # before any job has run
        flaky = d.post((_decision("flaky_gate") + "\n").encode())
        assert flaky.status_code == 422 and "unknown gate 'flaky_gate'" in flaky.text
    finally:
        assert d.terminate() == 0
        d.cleanup()


def test_events_validate_knows_plugin_gates(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    f = tmp_path / "d.ndjson"
    f.write_text(_decision("liquidity_gate") + "\n")
    (tmp_path / "data").mkdir()
    res = run_cli("events", "validate", str(f), data_dir=tmp_path / "data", env=plugin_env)
    assert res.returncode == 0, res.stdout + res.stderr
    off = run_cli(
        "events", "validate", str(f), data_dir=tmp_path / "data",
        env=dict(plugin_env, HURACAN_PLUGINS__DISABLED="huracan_example_plugin"),
    )  # fmt: skip
    assert off.returncode == 1 and "unknown gate 'liquidity_gate'" in off.stdout


def test_plugins_list_json_exits_1_when_a_plugin_errored(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    (tmp_path / "data").mkdir()
    res = run_cli("plugins", "list", "--json", data_dir=tmp_path / "data", env=plugin_env)
    assert res.returncode == 1
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert "metrics.yaml of flaky plugin is missing" in rows["flaky_plugin"]["error"]
    assert rows["flaky_plugin"]["gates"] == [] and rows["huracan_example_plugin"]["gates"] == ["liquidity_gate"]
    clean = run_cli(
        "plugins", "list", "--json", data_dir=tmp_path / "data",
        env=dict(plugin_env, HURACAN_PLUGINS__MODULES="huracan_example_plugin"),
    )  # fmt: skip
    assert clean.returncode == 0, clean.stderr


def test_a_disabled_plugins_gate_is_gone_from_simulate_and_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flaky_plugin.py").write_text(textwrap.dedent(BROKEN))
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = load_config(data_dir=tmp_path / "data", plugins={"modules": ["flaky_plugin"]})
    plugins = get_plugins(settings, entry_points=False)
    assert "flaky_plugin" in plugins.disabled
    assert "flaky_gate" not in plugins.gates() and "flaky_gate" not in known_gates()
    assert not [m for m in plugins.metrics() if "flaky_gate" in m]

    from huracan.simulate.gates import load_gate_rules

    assert "flaky_gate" not in {r.name for r in load_gate_rules(settings)}


@pytest.mark.slow
def test_simulate_through_a_daemon_that_refuses_events_exits_1(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    # The daemon runs without the example plugin; this simulator has it and logs its gate.
    d = DaemonProcess(
        tmp_path / "data", env={"HURACAN_DISABLE_ENTRY_POINTS": "1", "HURACAN_SCHEDULER__CATCHUP_DAYS": "0"}
    )
    d.start()
    try:
        env = dict(plugin_env, HURACAN_PLUGINS__MODULES="huracan_example_plugin")
        res = run_cli("simulate", "--days", "1", "--signals-per-day", "40", data_dir=d.data_dir, env=env)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "rejected" in res.stderr and "Traceback" not in res.stderr
    finally:
        assert d.terminate() == 0
        d.cleanup()
