"""`huracan digest render|send|status` against a real store (offline council, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huracan.cli import app
from huracan.config import load_config
from huracan.samples import sample_events


@pytest.fixture
def store_dir(data_dir: Path) -> Path:
    from huracan.store import Store

    with Store.open(load_config(data_dir=data_dir)) as store:
        store.write_events(
            [e for t in ("signal", "gate_decision", "training_session") for e in sample_events(t, 20, 3)]
        )
    return data_dir


@pytest.mark.slow
def test_render_writes_every_format(store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["--data-dir", str(store_dir), "digest", "render", "--date", "2025-11-06", "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    files = {Path(f).name for f in json.loads(res.stdout)["files"]}
    assert {"digest.html", "digest.txt", "digest.md", "telegram-1.html", "discord-1.json"} <= files
    html = (out / "digest.html").read_text()
    assert "Huracan digest — Thu 06 Nov 2025" in html
    payload = json.loads((out / "discord-1.json").read_text())["payload"]
    assert payload["allowed_mentions"] == {"parse": []}


def test_send_with_no_channel_enabled_says_what_to_do(store_dir: Path) -> None:
    res = CliRunner().invoke(app, ["--data-dir", str(store_dir), "digest", "send", "--date", "2025-11-06"])
    assert res.exit_code == 1
    assert "no channel is enabled" in res.output
    assert (store_dir / "digests" / "2025-11-06" / "digest.md").is_file()  # archived all the same


def test_send_rejects_unknown_channel(store_dir: Path) -> None:
    res = CliRunner().invoke(app, ["--data-dir", str(store_dir), "digest", "send", "--channel", "pigeon"])
    assert res.exit_code == 2 and "unknown channel pigeon" in res.output


def test_status_of_an_empty_ledger(data_dir: Path) -> None:
    res = CliRunner().invoke(app, ["--data-dir", str(data_dir), "digest", "status", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == []


def test_send_for_a_day_already_sent_answers_from_the_ledger_without_building(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 14: "already sent" used to cost a whole digest build (15-42 s) first.
    from datetime import date

    from huracan.cli import digest_cmd
    from huracan.digest.ledger import DeliveryLedger

    monkeypatch.setenv("HURACAN_NOTIFIERS__DISCORD__ENABLED", "true")
    monkeypatch.setenv("HURACAN_NOTIFIERS__DISCORD__WEBHOOK_URL", "https://discord.invalid/api/webhooks/1/x")
    ledger = DeliveryLedger.for_data_dir(store_dir)
    with ledger.lock():
        ledger.append(date(2025, 11, 6), "discord", "done", detail="sent", attempts=1)

    def no_build(*_a: object, **_k: object) -> None:
        raise AssertionError("the digest was built for a day the ledger says is sent")

    monkeypatch.setattr(digest_cmd, "_prepare", no_build)
    res = CliRunner().invoke(app, ["--data-dir", str(store_dir), "digest", "send", "--date", "2025-11-06", "--json"])
    assert res.exit_code == 0, res.output
    [r] = json.loads(res.stdout)["deliveries"]
    assert r["channel"] == "discord" and r["attempts"] == 0 and "already sent" in r["detail"]
