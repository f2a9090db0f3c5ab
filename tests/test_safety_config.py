"""Configuration mistakes are clean errors, never tracebacks (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from huracan.config import ConfigError, _offline_probe, load_config
from tests.daemon_helpers import run_cli


@pytest.mark.parametrize(
    ("value", "expected"),
    [("liquidity", ["liquidity"]), ("a, b,,c", ["a", "b", "c"]), ('["a", "b"]', ["a", "b"]), ("", [])],
)
def test_plugin_lists_from_env_take_plain_or_comma_or_json(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("HURACAN_PLUGINS__DISABLED", value)
    monkeypatch.setenv("HURACAN_NOTIFIERS__EMAIL__RECIPIENTS", "ops@example.com")
    cfg = load_config()
    assert cfg.plugins.disabled == expected
    assert cfg.notifiers.email.recipients == ["ops@example.com"]


def test_a_broken_json_list_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURACAN_PLUGINS__DISABLED", '["a", ')
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config()
    monkeypatch.delenv("HURACAN_PLUGINS__DISABLED")
    monkeypatch.setenv("HURACAN_COUNCIL__ANALYSTS", "oops")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "HURACAN_COUNCIL__ANALYSTS" in info.value.problems[0] and "JSON" in info.value.problems[0]


@pytest.mark.parametrize(
    "uri", ["s3://bucket/x?bogus=1", "s3://bucket/x?region=eu-west-1&nope=2", "nosuchfs://bucket/x", "gs://b/x?zzz=1"]
)
def test_a_cold_uri_pyarrow_rejects_fails_config_check_cleanly(tmp_path: Path, uri: str) -> None:
    res = run_cli("config", "check", data_dir=tmp_path, env={"HURACAN_STORE__COLD_URI": uri})
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "store.cold_uri" in res.stderr and "pyarrow" in res.stderr
    read = run_cli("trades", "stats", "--json", data_dir=tmp_path, env={"HURACAN_STORE__COLD_URI": uri})
    assert read.returncode == 2 and "Traceback" not in read.stderr and "store.cold_uri" in read.stderr


def test_valid_cold_uris_pass_without_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for uri in (
        str(tmp_path / "cold"),
        "s3://bucket/prefix",
        "s3://b/p?region=eu-west-1&endpoint_override=127.0.0.1:9",
    ):
        monkeypatch.setenv("HURACAN_STORE__COLD_URI", uri)
        assert load_config().cold_uri == uri
    # pyarrow resolves a region-less S3 bucket's region over the network: the check names one.
    assert _offline_probe("s3://bucket/prefix") == "s3://bucket/prefix?region=us-east-1"
    assert _offline_probe("s3://b/p?endpoint_override=x") == "s3://b/p?endpoint_override=x&region=us-east-1"
    assert _offline_probe("s3://b/p?region=eu-west-1") == "s3://b/p?region=eu-west-1"
    assert _offline_probe(str(tmp_path)) is None and _offline_probe("hdfs://nn:8020/x") is None


def test_config_check_with_a_plain_string_disabled_list_is_valid(tmp_path: Path) -> None:
    res = run_cli("config", "check", data_dir=tmp_path, env={"HURACAN_PLUGINS__DISABLED": "liquidity"})
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
