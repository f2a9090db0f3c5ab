"""Asking from a phone: Telegram commands answered by the daemon, only in its chats, from
the same functions as the CLI. Telegram is mocked with respx at ``notifiers.telegram.api_base``;
the store, the registry and the nightly archive are real."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from huracan.analytics.days import last_data_day
from huracan.analytics.gate_explainer import explain_signal, gate_report
from huracan.config import load_config
from huracan.daemon.chat_commands import ChatContext, answer, parse_command
from huracan.daemon.service import Daemon
from huracan.daemon.telegram_poll import TelegramCommands
from huracan.testing import simulated_data_dir

pytestmark = pytest.mark.slow
API = "https://tg.example.test"
TOKEN = "123456:SECRET-bot-token"
CHAT = "4242"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = simulated_data_dir(tmp_path_factory.mktemp("tg") / "data", days=3, signals_per_day=120)
    d = Daemon(load_config(data_dir=data))
    d.open()
    try:
        day = last_data_day(d.store.cursor())
        assert asyncio.run(d.run_job("nightly", day=day))["status"] == "ok"  # archives the day's digest
    finally:
        d.close()
    return data


@pytest.fixture
def daemon(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    data = tmp_path / "data"
    shutil.copytree(template, data)
    monkeypatch.setenv("HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN", TOKEN)
    cfg = load_config(
        data_dir=data,
        notifiers={"telegram": {"commands": True, "chat_id": CHAT, "command_chat_ids": ["-1001"], "api_base": API}},
    )
    d = Daemon(cfg)
    d.open()
    yield d
    d.close()


def _ctx(d: Daemon) -> ChatContext:
    return ChatContext(settings=d.settings, cursor=d.store.cursor, status=d.status, plugins=d.plugins)


def _update(uid: int, text: str, chat: str = CHAT, age_s: float = 5) -> dict[str, Any]:
    return {
        "update_id": uid,
        "message": {"message_id": uid * 10, "date": int(time.time() - age_s), "chat": {"id": int(chat)}, "text": text},
    }


def _run(d: Daemon, updates: list[dict[str, Any]]) -> tuple[TelegramCommands, list[dict[str, Any]], Any]:
    poller = TelegramCommands(d.settings, lambda text: answer(_ctx(d), text))
    sent: list[dict[str, Any]] = []

    def on_send(request: httpx.Request) -> httpx.Response:
        import json

        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})

    async def go() -> Any:
        with respx.mock(assert_all_called=False) as mock:
            polled = mock.post(f"{API}/bot{TOKEN}/getUpdates").mock(
                return_value=httpx.Response(200, json={"ok": True, "result": updates})
            )
            mock.post(f"{API}/bot{TOKEN}/sendMessage").mock(side_effect=on_send)
            async with httpx.AsyncClient() as client:
                await poller.poll_once(client)
            return polled

    polled = asyncio.run(go())
    return poller, sent, polled


def test_commands_parse_like_telegram_sends_them() -> None:
    assert parse_command("/why@HuracanBot sig-1") == ("why", "sig-1")
    assert parse_command("  /digest 2025-11-06 ") == ("digest", "2025-11-06")
    assert parse_command("/status") == ("status", "")
    assert parse_command("hello") is None


def test_every_command_answers_from_the_clis_functions(daemon: Daemon) -> None:
    conn = daemon.store.cursor()
    rep = gate_report(conn, None, daemon.plugins.gates())
    blocked = conn.execute("SELECT signal_id FROM v_gate_decision WHERE NOT passed LIMIT 1").fetchone()[0]
    ex = explain_signal(conn, blocked, daemon.plugins.gates())
    newest = conn.execute("SELECT model_id FROM v_model_registered ORDER BY ts DESC LIMIT 1").fetchone()[0]
    day = sorted(p.name for p in daemon.settings.archive_dir.iterdir())[-1]
    updates = [
        _update(1, "/status"),
        _update(2, "/gates"),
        _update(3, f"/why {blocked}"),
        _update(4, "/model"),
        _update(5, "/digest"),
        _update(6, f"/digest {day}"),
        _update(7, "/help"),
        _update(8, "/why"),
        _update(9, "/digest 2025-13-40"),
        _update(10, "/nope"),
        _update(11, "just chatting"),
    ]
    poller, sent, polled = _run(daemon, updates)
    assert polled.calls.last.request.url.host == "tg.example.test"  # api_base honoured
    by_reply: dict[int, list[str]] = {}
    for m in sent:
        assert m["parse_mode"] == "HTML" and str(m["chat_id"]) == CHAT and 0 < len(m["text"]) <= 4096
        by_reply.setdefault(m["reply_to_message_id"], []).append(m["text"])
    assert set(by_reply) == {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}  # chat text is not a command
    status = by_reply[10][0]
    assert "last day with data" in status and "nightly" in status and "events today" in status
    gates = by_reply[20][0]
    assert f"Gates on {rep.day}" in gates
    for g in rep.gates:
        assert f"{g.gate} {g.mode}:" in gates
    why = by_reply[30][0]
    assert ex.verdict.upper() in why and ex.summary in why.replace("&amp;", "&")
    assert all(g.sentence in why.replace("&gt;", ">").replace("&lt;", "<") for g in ex.gates)
    model = by_reply[40][0]
    assert newest[:12] in model and "ready for Hamilton" in model and "state:" in model
    assert by_reply[50] == by_reply[60]  # the last digest is the last archived day
    assert "/why" in by_reply[70][0] and "/digest" in by_reply[70][0]
    assert "Which signal?" in by_reply[80][0]
    assert "is not a day" in by_reply[90][0]
    assert "Unknown command /nope" in by_reply[100][0]
    assert poller.offset == 12 and (daemon.settings.data_dir / "telegram-offset").read_text() == "12"


def test_the_digest_reply_is_the_archived_days_digest(daemon: Daemon) -> None:
    import json

    day = sorted(p.name for p in daemon.settings.archive_dir.iterdir())[-1]
    snap = json.loads((daemon.settings.archive_dir / day / "snapshot.json").read_text())
    replies = answer(_ctx(daemon), f"/digest {day}")
    assert replies and day in replies[0]
    assert snap["date"] == day
    missing = answer(_ctx(daemon), "/digest 1999-01-01")
    assert missing == ["No digest archived for 1999-01-01. `huracan jobs run nightly --date 1999-01-01` writes it."]


def test_other_chats_and_stale_commands_get_no_answer(daemon: Daemon) -> None:
    poller, sent, _ = _run(
        daemon,
        [
            _update(1, "/status", chat="999"),  # a stranger who found the bot
            _update(2, "/status", age_s=3600),  # sent while the daemon was down
            _update(3, "/status", chat="-1001"),  # the ops group, allowed by command_chat_ids
        ],
    )
    assert [str(m["chat_id"]) for m in sent] == ["-1001"]
    assert poller.ignored == 1
    # A restarted poller resumes after the last update it handled.
    again = TelegramCommands(daemon.settings, lambda text: [])
    assert again.offset == 4


def test_event_text_in_answers_is_escaped(daemon: Daemon) -> None:
    replies = answer(_ctx(daemon), "/why <b>sig</b>&x")
    assert replies and "<b>sig</b>" not in replies[0] and "&lt;b&gt;sig&lt;/b&gt;&amp;x" in replies[0]


def test_a_failing_api_is_retried_and_the_token_never_logged(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        if len(slept) >= 3:
            raise asyncio.CancelledError

    poller = TelegramCommands(daemon.settings, lambda text: [], sleep=sleep)

    async def go() -> None:
        with respx.mock() as mock:
            mock.post(f"{API}/bot{TOKEN}/getUpdates").mock(
                return_value=httpx.Response(401, json={"ok": False, "description": f"Unauthorized {TOKEN}"})
            )
            async with httpx.AsyncClient() as client:
                poller.client = client
                with pytest.raises(asyncio.CancelledError):
                    await poller.run()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(go())
    assert slept == [1.0, 2.0, 4.0]
    assert "401" in caplog.text and TOKEN not in caplog.text and "SECRET" not in caplog.text
