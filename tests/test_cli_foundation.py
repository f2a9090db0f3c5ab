from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli import app
from huracan.events import EVENT_TYPES

runner = CliRunner()


def test_version_and_help() -> None:
    assert runner.invoke(app, ["--version"]).output.startswith("huracan ")
    out = runner.invoke(app, ["--help"]).output
    assert "events" in out and "config" in out


def test_sample_prints_every_type_as_valid_ndjson() -> None:
    res = runner.invoke(app, ["events", "sample", "-n", "2"])
    assert res.exit_code == 0
    lines = res.output.strip().splitlines()
    assert len(lines) == 2 * len(EVENT_TYPES)
    assert {json.loads(line)["type"] for line in lines} == set(EVENT_TYPES)


def test_sample_of_one_type_and_unknown_type() -> None:
    res = runner.invoke(app, ["events", "sample", "--type", "alert", "-n", "3"])
    assert [json.loads(x)["type"] for x in res.output.splitlines()] == ["alert"] * 3
    bad = runner.invoke(app, ["events", "sample", "--type", "nope"])
    assert bad.exit_code == 2 and "unknown event type" in bad.output


def test_validate_reports_every_bad_line_and_exits_1(tmp_path: Path) -> None:
    good = runner.invoke(app, ["events", "sample", "-n", "1"]).output.splitlines()
    sig = json.loads(next(x for x in good if '"signal"' in x))
    broken_price = dict(sig, price=-1)
    broken_type = {"type": "nonsense"}
    lines = [good[0], json.dumps(broken_price), "{not json", good[1], json.dumps(broken_type), good[2]]
    f = tmp_path / "mixed.ndjson"
    f.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["events", "validate", str(f)])
    assert res.exit_code == 1
    assert "line 2: price:" in res.output
    assert "line 3:" in res.output
    assert "line 5:" in res.output
    assert "line 1:" not in res.output and "line 4:" not in res.output and "line 6:" not in res.output


def test_validate_good_file_and_stdin(tmp_path: Path) -> None:
    sample = runner.invoke(app, ["events", "sample", "-n", "3"]).output
    f = tmp_path / "ok.ndjson"
    f.write_text(sample)
    assert runner.invoke(app, ["events", "validate", str(f)]).exit_code == 0
    assert runner.invoke(app, ["events", "validate", "-"], input=sample).exit_code == 0


def test_schema_is_json() -> None:
    res = runner.invoke(app, ["events", "schema"])
    assert res.exit_code == 0 and "discriminator" in json.loads(res.output)


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    p = tmp_path / "huracan.yaml"
    p.write_text("ingest:\n  queue_capacity: '5'\n  batch_sise: 10\napi:\n  port: 99999\n")
    return p


def test_config_check_lists_every_problem_with_its_key(bad_config: Path) -> None:
    res = runner.invoke(app, ["config", "check", "--config", str(bad_config)])
    assert res.exit_code == 1
    out = res.output
    assert "ingest.batch_sise: unknown key" in out
    assert "api.port:" in out
    assert "ingest.queue_capacity: Input should be greater than or equal to 10 (got '5')" in out


def test_config_check_ok_and_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert runner.invoke(app, ["config", "check"]).exit_code == 0
    monkeypatch.setenv("HURACAN_NOTIFIERS__EMAIL__PORT", "not-a-port")
    res = runner.invoke(app, ["config", "check"])
    assert (
        res.exit_code == 1 and "notifiers.email.port" in res.output and "HURACAN_NOTIFIERS__EMAIL__PORT" in res.output
    )


def test_config_show_redacts_secrets_from_env_and_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "notifiers.telegram.bot_token").write_text("123:SECRET-TOKEN\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    monkeypatch.setenv("HURACAN_NOTIFIERS__EMAIL__PASSWORD", "hunter2")
    res = runner.invoke(app, ["config", "show", "--json"])
    assert res.exit_code == 0
    assert "SECRET-TOKEN" not in res.output and "hunter2" not in res.output
    data = json.loads(res.output)
    assert data["notifiers"]["telegram"]["bot_token"] == "**********"
    assert data["notifiers"]["email"]["password"] == "**********"
    from huracan.config import load_config

    cfg = load_config()
    assert cfg.notifiers.telegram.bot_token is not None
    assert cfg.notifiers.telegram.bot_token.get_secret_value() == "123:SECRET-TOKEN"


def test_data_dir_option_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    res = runner.invoke(app, ["--data-dir", str(tmp_path / "x"), "config", "show", "--json"])
    assert json.loads(res.output)["data_dir"] == str(tmp_path / "x")
    res = runner.invoke(app, ["config", "show", "--json", "--data-dir", str(tmp_path / "y")])
    assert json.loads(res.output)["data_dir"] == str(tmp_path / "y")
    monkeypatch.setenv("HURACAN_DATA_DIR", str(tmp_path / "z"))
    assert json.loads(runner.invoke(app, ["config", "show", "--json"]).output)["data_dir"] == str(tmp_path / "z")
