"""The operator's CLI: no traceback for an expected failure, daemon discovery the way a
systemd host needs it, `init`, `config check` on half-enabled channels, `jobs run` in words
and `/v1/sql?format=json` for every DuckDB type — against a real daemon process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from huracan.cli import app
from huracan.cli.status_cmd import describe_run
from huracan.config import Settings, load_config
from huracan.testing import simulated_data_dir
from tests.daemon_helpers import DaemonProcess, free_port

runner = CliRunner()

READ_COMMANDS = [
    ["status"],
    ["metrics"],
    ["gates", "report"],
    ["trades", "stats"],
    ["models", "list"],
    ["explain", "sig-1"],
    ["jobs"],
]


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_data_dir(tmp_path_factory.mktemp("operator") / "data", days=3, signals_per_day=120)


@pytest.fixture(scope="module")
def daemon(sim_dir: Path) -> Iterator[DaemonProcess]:
    d = DaemonProcess(sim_dir, port=free_port(), env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"})
    d.start()
    yield d
    d.terminate()
    d.cleanup()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("HURACAN_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "huracan", *args], env=full, capture_output=True, text=True, timeout=120
    )


def _assert_one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.mark.slow
def test_a_wrong_url_is_one_line_for_every_read_command(data_dir: Path, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    for cmd in READ_COMMANDS:
        res = _cli(*cmd, env={"HURACAN_URL": dead, "HURACAN_DATA_DIR": str(data_dir), "HOME": str(tmp_path)})
        _assert_one_line_error(res, f"cannot reach the daemon at {dead}", "connection refused", "HURACAN_URL")
    res = _cli("status", "--url", dead, env={"HURACAN_DATA_DIR": str(data_dir), "HOME": str(tmp_path)})
    _assert_one_line_error(res, dead)


@pytest.mark.slow
def test_a_wrong_token_and_a_stuck_daemon_are_one_line(daemon: DaemonProcess, tmp_path: Path) -> None:
    guarded = DaemonProcess(
        tmp_path / "guarded", env={"HURACAN_API__TOKEN": "s3cret", "HURACAN_SCHEDULER__CATCHUP_DAYS": "0"}
    ).start()
    try:
        res = _cli("status", env={"HURACAN_DATA_DIR": str(guarded.data_dir), "HOME": str(tmp_path)})
        _assert_one_line_error(res, "bearer token", "HURACAN_TOKEN")
        assert "s3cret" not in res.stderr
        ok = _cli("status", "--json", env={"HURACAN_DATA_DIR": str(guarded.data_dir), "HURACAN_TOKEN": "s3cret"})
        assert ok.returncode == 0 and json.loads(ok.stdout)["daemon"]["running"]
    finally:
        guarded.terminate()
        guarded.cleanup()

    # A daemon that is alive but does not answer (stopped): its /healthz times out, the
    # store is still locked by it — say so instead of a DuckDB traceback.
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGSTOP)
    try:
        res = _cli("metrics", env={"HURACAN_DATA_DIR": str(daemon.data_dir), "HOME": str(tmp_path)})
        _assert_one_line_error(res, "in use by another process")
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
    assert daemon.get("/healthz").status_code == 200


@pytest.mark.slow
def test_the_cli_finds_the_service_on_api_port_without_a_data_dir(daemon: DaemonProcess, tmp_path: Path) -> None:
    """An operator's shell: no --data-dir, no HURACAN_DATA_DIR, the service's state dir unreadable."""
    env = {"HOME": str(tmp_path / "operator"), "HURACAN_API__PORT": str(daemon.port)}
    res = _cli("status", "--json", env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["daemon"]["running"] and data["events_total"] > 0
    assert data["data_dir"] == str(daemon.data_dir)
    # Through the daemon, the job table shows the last run of each job, never a wall of monitor ticks.
    assert [j["job"] for j in data["jobs"]].count("monitor") <= 1
    # With an explicit data dir, a daemon on the port serving another directory is not used.
    other = tmp_path / "other"
    other.mkdir()
    res = _cli("status", "--json", env={**env, "HURACAN_DATA_DIR": str(other)})
    assert res.returncode == 0 and not json.loads(res.stdout)["daemon"]["running"]


def test_the_service_state_dir_is_the_default_when_the_user_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huracan.config as config

    service = tmp_path / "var-lib-huracan"
    service.mkdir()
    monkeypatch.setattr(config, "SYSTEM_STATE_DIR", service)
    assert load_config().data_dir == service
    (tmp_path / "home" / ".local" / "share" / "huracan").mkdir(parents=True)
    assert load_config().data_dir == tmp_path / "home" / ".local" / "share" / "huracan"
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "state"))
    assert load_config().data_dir == tmp_path / "state"


def test_a_data_dir_that_does_not_exist_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typo = tmp_path / "dat"
    for args in (["--data-dir", str(typo), "status"], ["status", "--data-dir", str(typo)], ["metrics"]):
        monkeypatch.setenv("HURACAN_DATA_DIR", str(typo))
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert f"--data-dir {typo} does not exist" in res.output
        assert not typo.exists()  # reading never creates it
    # The command line beats the environment.
    real = tmp_path / "real"
    real.mkdir()
    res = runner.invoke(app, ["--data-dir", str(real), "status", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["data_dir"] == str(real)
    # Commands that create the directory may be given a new one.
    monkeypatch.delenv("HURACAN_DATA_DIR")
    res = runner.invoke(app, ["--data-dir", str(tmp_path / "new"), "config", "show", "--json"])
    assert res.exit_code == 0


def test_init_writes_a_commented_config_holding_every_default(tmp_path: Path) -> None:
    target = tmp_path / "etc"
    res = runner.invoke(app, ["init", str(target)])
    assert res.exit_code == 0, res.output
    path = target / "huracan.yaml"
    text = path.read_text()
    assert "HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN" in text and "# data_dir:" in text
    assert "# bounded queue size of the EventLogger" in text  # descriptions become comments
    written, defaults = load_config(path), Settings()
    assert written.model_dump(exclude={"data_dir"}) == defaults.model_dump(exclude={"data_dir"})
    assert set(yaml.safe_load(text)) >= {"ingest", "store", "api", "scheduler", "notifiers", "council"}
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2 and "already exists" in again.output
    data = tmp_path / "data"
    forced = runner.invoke(app, ["init", str(target), "--force", "--data-dir", str(data)])
    assert forced.exit_code == 0 and data.is_dir() and load_config(path).data_dir == data


@pytest.mark.parametrize(
    ("yaml_text", "env", "needle"),
    [
        ("notifiers: {telegram: {enabled: true}}", {}, "notifiers.telegram.bot_token"),
        ("notifiers: {telegram: {enabled: true, chat_id: '42'}}", {}, "notifiers.telegram.bot_token"),
        (
            "notifiers: {telegram: {enabled: true}}",
            {"HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN": "t"},
            "notifiers.telegram.chat_id",
        ),
        ("notifiers: {telegram: {commands: true, chat_id: '1'}}", {}, "notifiers.telegram.commands is true"),
        ("notifiers: {discord: {enabled: true}}", {}, "notifiers.discord.webhook_url"),
        ("notifiers: {email: {enabled: true}}", {}, "notifiers.email.recipients"),
        ("notifiers: {email: {enabled: true, recipients: [a@b.c], username: u}}", {}, "notifiers.email.password"),
        ("api: {host: 0.0.0.0}", {}, "api.token"),
    ],
)
def test_config_check_fails_on_an_enabled_channel_that_lacks_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_text: str, env: dict[str, str], needle: str
) -> None:
    cfg = tmp_path / "huracan.yaml"
    cfg.write_text(yaml_text + "\n")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    res = runner.invoke(app, ["config", "check", "--config", str(cfg)])
    assert res.exit_code == 1, res.output
    assert needle in res.output.replace("\n", " ")


def test_config_check_passes_a_complete_channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "huracan.yaml"
    cfg.write_text("notifiers: {telegram: {enabled: true, chat_id: '42'}}\n")
    monkeypatch.setenv("HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN", "123:abc")
    res = runner.invoke(app, ["config", "check", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "123:abc" not in res.output


def test_flags_show_no_value_placeholder_in_help() -> None:
    out = runner.invoke(app, ["status", "--help"], env={"COLUMNS": "120"}).output
    line = next(x for x in out.splitlines() if "--json" in x)
    assert "<bool>" not in line
    assert "<path>" in next(x for x in out.splitlines() if "--data-dir" in x)


@pytest.mark.slow
def test_jobs_run_answers_in_words(sim_dir: Path, tmp_path: Path) -> None:
    import shutil

    work = tmp_path / "data"
    shutil.copytree(sim_dir, work)
    res = runner.invoke(app, ["--data-dir", str(work), "jobs", "run", "roll"])
    assert res.exit_code == 0, res.output
    assert "roll ok" in res.output and "{" not in res.output and "RolledDay" not in res.output
    assert len(res.output.splitlines()) <= 4
    assert "nothing to roll" in res.output or "moved" in res.output
    res = runner.invoke(app, ["--data-dir", str(work), "jobs", "run", "alerts"])
    assert res.exit_code == 0 and "None" not in res.output and "{" not in res.output
    listed = runner.invoke(app, ["--data-dir", str(work), "jobs"], env={"COLUMNS": "160"})
    assert "took" in listed.output and "ended" in listed.output


def test_describe_run_words_every_job() -> None:
    nightly = {
        "headline": "Model abc is ready for Hamilton",
        "metrics": 121,
        "self_check": True,
        "council_mode": "offline",
        "canary_caught": True,
        "deliveries": [{"channel": "telegram", "ok": False, "detail": "HTTP 401"}],
        "alerts": ["metric.signals.critical"],
    }
    text = describe_run("nightly", "ok", nightly, None)
    assert "Model abc is ready" in text and "telegram FAILED: HTTP 401" in text
    assert "planted false number caught" in text and "metric.signals.critical" in text
    assert describe_run("nightly", "ok", nightly, None, short=True) == "Model abc is ready for Hamilton"
    roll = {"cutoff": "2025-11-03", "rows": 12345, "files": 7, "days": ["2025-11-01", "2025-11-02"], "reconciled": 0}
    assert describe_run("roll", "ok", roll, None) == (
        "moved 12,345 events of 2 day(s) (2025-11-01 .. 2025-11-02) into 7 file(s)\ncutoff 2025-11-03"
    )
    assert describe_run("alerts", "ok", {"alerts": []}, None) == "no alert rule fired"
    assert describe_run("deadman", "ok", {"fired": ["ingest_silent"]}, None) == "fired: ingest_silent"
    assert describe_run("monitor", "ok", {"health": "Health.OK", "fill": 0.5}, None) == "queue ok, fill 50.0%"
    assert describe_run("roll", "error", {}, "OSError: disk full") == "OSError: disk full"


@pytest.mark.slow
def test_sql_json_answers_every_duckdb_type(daemon: DaemonProcess) -> None:
    sql = (
        "SELECT DATE '2025-11-06' AS d, TIMESTAMPTZ '2025-11-06 13:45:00+00' AS tz, TIMESTAMP '2025-11-06 13:45:00' AS ts,"
        " TIME '13:45:00.25' AS t, 12.30::DECIMAL(10,2) AS dec, 2::HUGEINT AS h, [1, NULL] AS l,"
        " {'a': 1, 'b': [DATE '2025-01-01']} AS s, MAP {'k': 1} AS m, MAP {1: 'x'} AS m2, '\\x00\\xFF'::BLOB AS b,"
        " INTERVAL 1 month + INTERVAL 2 days + INTERVAL 3 seconds AS i, 'nan'::DOUBLE AS nan, NULL AS n,"
        " TIMESTAMP_NS '2025-01-01 00:00:00.123456789' AS ns, 'x'::ENUM('x', 'y') AS e, 1.5::FLOAT AS f"
    )
    r = httpx.post(daemon.url + "/v1/sql", params={"format": "json"}, json={"sql": sql}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    row = dict(zip(body["columns"], body["rows"][0], strict=True))
    assert row == {
        "d": "2025-11-06",
        "tz": "2025-11-06T13:45:00+00:00",
        "ts": "2025-11-06T13:45:00",
        "t": "13:45:00.250000",
        "dec": "12.30",
        "h": "2",
        "l": [1, None],
        "s": {"a": 1, "b": ["2025-01-01"]},
        "m": {"k": 1},
        "m2": [[1, "x"]],
        "b": "AP8=",
        "i": {"months": 1, "days": 2, "microseconds": 3_000_000},
        "nan": None,
        "n": None,
        "ns": "2025-01-01T00:00:00.123456789",
        "e": "x",
        "f": 1.5,
    }
    assert len(body["types"]) == len(body["columns"]) and r.headers["x-row-count"] == "1"
    # The store's own columns: DATE and TIMESTAMPTZ from a real table.
    r = httpx.post(
        daemon.url + "/v1/sql",
        params={"format": "json"},
        json={"sql": "SELECT day, ts, features FROM v_signal LIMIT 3"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert all(len(row[0]) == 10 and "T" in row[1] for row in r.json()["rows"])
