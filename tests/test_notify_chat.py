"""Telegram and Discord delivery through respx: limits, escaping, 429, permanent failures, secrets."""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import Any

import digest_data as dd
import httpx
import pytest
import respx

from huracan.config import NotifierSettings
from huracan.digest.alerts import AlertDispatcher
from huracan.digest.discord import DiscordNotifier
from huracan.digest.progress import MemoryProgress
from huracan.digest.render import RenderedDigest
from huracan.digest.telegram import TelegramNotifier
from huracan.events import Alert

TOKEN = "123456:AAH-very-secret-bot-token"
TG = f"https://api.telegram.org/bot{TOKEN}"
HOOK = "https://discord.com/api/webhooks/111/very-secret-webhook-token-xyz"


@cache
def rendered(long: bool = False) -> RenderedDigest:
    return dd.fast_rendered(long=long)


def cfg(**kw: Any) -> NotifierSettings:
    return NotifierSettings(
        telegram={"enabled": True, "bot_token": TOKEN, "chat_id": "-100200"},  # type: ignore[arg-type]
        discord={"enabled": True, "webhook_url": HOOK},  # type: ignore[arg-type]
        max_attempts=kw.pop("max_attempts", 4),
        backoff_s=kw.pop("backoff_s", 1.0),
    )


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, s: float) -> None:
        self.calls.append(s)


def _multipart_field(request: httpx.Request, name: str) -> str:
    body = request.content.decode("latin-1")
    marker = f'name="{name}"'
    start = body.index(marker)
    value = body[body.index("\r\n\r\n", start) + 4 :]
    return value[: value.index("\r\n--")]


@respx.mock
async def test_telegram_long_digest_messages_and_photos() -> None:
    send = respx.post(f"{TG}/sendMessage").mock(return_value=httpx.Response(200, json={"ok": True, "result": {}}))
    photo = respx.post(f"{TG}/sendPhoto").mock(return_value=httpx.Response(200, json={"ok": True, "result": {}}))
    r = rendered(long=True)
    async with httpx.AsyncClient() as client:
        result = await TelegramNotifier(cfg(), client=client).send_digest(r)
    assert result.ok, result.detail
    texts = [json.loads(c.request.content)["text"] for c in send.calls]
    assert texts == list(r.telegram) and len(texts) > 3
    assert all(len(t) <= 4096 for t in texts)
    for c in send.calls:
        body = json.loads(c.request.content)
        assert body["parse_mode"] == "HTML" and body["chat_id"] == "-100200"
    joined = "\n".join(texts)
    assert dd.HOSTILE not in joined and "&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    assert photo.call_count == len(r.charts)
    first = photo.calls[0].request
    assert b'name="photo"; filename="learning.png"' in first.content
    assert "Alt text for the learning chart." in _multipart_field(first, "caption")


@respx.mock
async def test_telegram_429_then_success_honours_retry_after() -> None:
    route = respx.post(f"{TG}/sendMessage").mock(
        side_effect=[
            httpx.Response(
                429,
                json={
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7},
                },
            ),
            httpx.Response(200, json={"ok": True, "result": {}}),
        ]
    )
    sleeps = Sleeps()
    async with httpx.AsyncClient() as client:
        result = await TelegramNotifier(cfg(), client=client, sleep=sleeps).send_alert(
            Alert(name="x", message="<b>hi</b> & 'bye'", severity="CRITICAL")
        )
    assert result.ok and result.attempts == 2
    assert sleeps.calls == [7.0]
    assert route.call_count == 2
    text = json.loads(route.calls[-1].request.content)["text"]
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; 'bye'" in text


@respx.mock
async def test_telegram_permanent_failure_redacts_the_token(caplog: pytest.LogCaptureFixture) -> None:
    route = respx.post(f"{TG}/sendMessage").mock(
        return_value=httpx.Response(
            403, json={"ok": False, "error_code": 403, "description": f"Forbidden: bot {TOKEN} was kicked"}
        )
    )
    caplog.set_level(logging.DEBUG)
    sleeps = Sleeps()
    async with httpx.AsyncClient() as client:
        result = await TelegramNotifier(cfg(), client=client, sleep=sleeps).send_digest(rendered())
    assert not result.ok and result.permanent and result.attempts == 1
    assert route.call_count == 1 and sleeps.calls == []
    assert "HTTP 403" in result.detail and "check the bot/webhook permissions" in result.detail
    assert TOKEN not in result.detail and "AAH-very-secret" not in caplog.text
    assert logging.getLogger("httpx").level == logging.WARNING


@respx.mock
async def test_telegram_5xx_backs_off_then_gives_up() -> None:
    respx.post(f"{TG}/sendMessage").mock(return_value=httpx.Response(502, text="bad gateway"))
    sleeps = Sleeps()
    async with httpx.AsyncClient() as client:
        result = await TelegramNotifier(cfg(max_attempts=3, backoff_s=2), client=client, sleep=sleeps).send_digest(
            rendered()
        )
    assert not result.ok and not result.permanent and result.attempts == 3
    assert sleeps.calls == [2.0, 4.0]


@respx.mock
async def test_telegram_resumes_after_the_last_sent_part() -> None:
    route = respx.post(f"{TG}/sendMessage").mock(return_value=httpx.Response(200, json={"ok": True}))
    respx.post(f"{TG}/sendPhoto").mock(return_value=httpx.Response(200, json={"ok": True}))
    r = rendered(long=True)
    progress = MemoryProgress(sent=[0, 1])
    async with httpx.AsyncClient() as client:
        result = await TelegramNotifier(cfg(), client=client).send_digest(r, progress=progress)
    assert result.ok
    assert [json.loads(c.request.content)["text"] for c in route.calls] == list(r.telegram[2:])
    assert progress.sent == frozenset(range(len(r.telegram) + len(r.charts)))


@respx.mock
async def test_discord_payloads_limits_mentions_and_attachments() -> None:
    route = respx.post(url__startswith=HOOK).mock(return_value=httpx.Response(200, json={"id": "1"}))
    r = rendered(long=True)
    async with httpx.AsyncClient() as client:
        result = await DiscordNotifier(cfg(), client=client).send_digest(r)
    assert result.ok, result.detail
    assert route.call_count == len(r.discord)
    payloads = []
    for call in route.calls:
        req = call.request
        assert req.url.params["wait"] == "true"
        if req.headers["content-type"].startswith("multipart/form-data"):
            payload = json.loads(_multipart_field(req, "payload_json"))
            assert b'name="files[0]"; filename="learning.png"' in req.content
            assert payload["attachments"][0]["filename"] == "learning.png"
        else:
            payload = json.loads(req.content)
        payloads.append(payload)
    for p in payloads:
        assert p["allowed_mentions"] == {"parse": []}
        assert len(p["embeds"]) <= 10 and len(p["content"]) <= 2000
        assert sum(len(e.get("title", "")) + len(e.get("description", "")) for e in p["embeds"]) <= 6000
        dumped = json.dumps(p, ensure_ascii=False)
        assert "@everyone" not in dumped and dd.HOSTILE not in dumped
    assert any(
        r"\*\*odd\*\*" in e.get("description", "") for p in payloads for e in p["embeds"]
    )  # Markdown in LLM text is escaped


@respx.mock
async def test_discord_429_retry_after_float_and_header() -> None:
    route = respx.post(url__startswith=HOOK).mock(
        side_effect=[
            httpx.Response(429, json={"message": "You are being rate limited.", "retry_after": 0.75, "global": False}),
            httpx.Response(429, headers={"Retry-After": "2"}, text=""),
            httpx.Response(204),
        ]
    )
    sleeps = Sleeps()
    async with httpx.AsyncClient() as client:
        result = await DiscordNotifier(cfg(), client=client, sleep=sleeps).send_alert(
            Alert(name="spread", message="@everyone <@123> *boom*", severity="WARNING")
        )
    assert result.ok and result.attempts == 3
    assert sleeps.calls == [0.75, 2.0]
    payload = json.loads(route.calls[-1].request.content)
    assert payload["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in payload["embeds"][0]["description"]


@respx.mock
async def test_discord_permanent_failure_redacts_webhook() -> None:
    respx.post(url__startswith=HOOK).mock(
        return_value=httpx.Response(404, json={"message": f"Unknown Webhook {HOOK}", "code": 10015})
    )
    async with httpx.AsyncClient() as client:
        result = await DiscordNotifier(cfg(), client=client, sleep=Sleeps()).send_digest(rendered())
    assert not result.ok and result.permanent
    assert "very-secret-webhook-token-xyz" not in result.detail and "HTTP 404" in result.detail


@respx.mock
async def test_discord_network_error_is_redacted() -> None:
    respx.post(url__startswith=HOOK).mock(side_effect=httpx.ConnectError(f"cannot reach {HOOK}"))
    async with httpx.AsyncClient() as client:
        result = await DiscordNotifier(cfg(max_attempts=2), client=client, sleep=Sleeps()).send_digest(rendered())
    assert not result.ok and not result.permanent and result.attempts == 2
    assert "network error ConnectError" in result.detail and "very-secret" not in result.detail


@respx.mock
async def test_alert_cooldown_per_name() -> None:
    route = respx.post(url__startswith=HOOK).mock(return_value=httpx.Response(204))
    now = [1000.0]
    async with httpx.AsyncClient() as client:
        notifier = DiscordNotifier(cfg(), client=client)
        dispatcher = AlertDispatcher({"discord": notifier}, cooldown_s=300, clock=lambda: now[0])
        a = Alert(name="queue_fill", message="96 %", severity="CRITICAL")
        b = Alert(name="deadman", message="no digest", severity="CRITICAL")
        assert len(await dispatcher.send(a)) == 1
        assert await dispatcher.send(a) == []  # cooling down
        assert len(await dispatcher.send(b)) == 1  # another name is not held back
        now[0] += 301
        assert len(await dispatcher.send(a)) == 1
    assert route.call_count == 3
    assert dispatcher.suppressed == {"queue_fill": 1}


def test_unconfigured_channels_are_disabled() -> None:
    n = NotifierSettings(telegram={"enabled": True}, discord={"enabled": False, "webhook_url": HOOK})  # type: ignore[arg-type]
    assert not TelegramNotifier(n).enabled()  # no token / chat id
    assert not DiscordNotifier(n).enabled()
