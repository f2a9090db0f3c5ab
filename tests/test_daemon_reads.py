"""Every read command works while the daemon holds the store (through its API), and
the same command works on the store directly once it has stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from huracan.testing import simulated_data_dir
from tests.daemon_helpers import DaemonProcess, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    data_dir = simulated_data_dir(tmp_path_factory.mktemp("reads") / "data", days=3, signals_per_day=150)
    d = DaemonProcess(data_dir, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"})
    d.start()
    yield d
    d.terminate()
    d.cleanup()


def _one(d: DaemonProcess, sql: str) -> str:
    r = httpx.post(d.url + "/v1/sql", json={"sql": sql}, params={"format": "json"}, timeout=60)
    r.raise_for_status()
    return str(r.json()["rows"][0][0])


def _commands(d: DaemonProcess) -> list[list[str]]:
    signal = _one(d, "SELECT signal_id FROM v_gate_decision WHERE NOT passed LIMIT 1")
    model = _one(d, "SELECT model_id FROM v_model_registered ORDER BY ts DESC LIMIT 1")
    return [
        ["status", "--json"],
        ["metrics", "--json"],
        ["trades", "list", "--json", "--limit", "5"],
        ["trades", "stats", "--by", "mode", "--json"],
        ["learning", "summary", "--json"],
        ["models", "list", "--json"],
        ["models", "show", model[:12], "--json"],
        ["gates", "report", "--json"],
        ["explain", signal, "--json"],
        ["trace", signal, "--json"],
        ["trace", "stats", "--json"],
        ["jobs", "--json"],
        ["store", "info", "--json"],
    ]


def test_read_commands_go_through_the_running_daemon(running: DaemonProcess) -> None:
    for cmd in _commands(running):
        res = run_cli(*cmd, data_dir=running.data_dir)
        assert res.returncode == 0, f"{cmd}: {res.stderr[-2000:]}"
        assert "locked" not in res.stderr.lower(), cmd
        json.loads(res.stdout)  # every read command's --json is JSON
    shown = json.loads(
        run_cli(
            "models",
            "show",
            _one(running, "SELECT model_id FROM v_model_registered LIMIT 1"),
            "--json",
            data_dir=running.data_dir,
        ).stdout
    )
    assert len(shown["sha256"]) == 64 and Path(shown["artifact_path"]).is_file()


def test_digest_render_through_the_daemon(running: DaemonProcess, tmp_path: Path) -> None:
    out = tmp_path / "digest"
    res = run_cli("digest", "render", "--out", str(out), data_dir=running.data_dir, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    for name in ("digest.html", "digest.txt", "digest.md", "telegram-1.html", "discord-1.json"):
        assert (out / name).is_file(), name
    assert list(out.glob("*.png"))
