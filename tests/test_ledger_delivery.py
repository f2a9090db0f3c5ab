"""The delivery ledger: once per channel per day, resume after a crash, retry only failures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import digest_data as dd
import httpx
import pytest
import respx

from huracan.config import NotifierSettings
from huracan.digest.deliver import deliver
from huracan.digest.discord import DiscordNotifier
from huracan.digest.ledger import DeliveryLedger, LedgerBusyError
from huracan.digest.telegram import TelegramNotifier
from huracan.plugins.types import DeliveryResult

TOKEN = "42:secret"
TG = f"https://api.telegram.org/bot{TOKEN}"
HOOK = "https://discord.com/api/webhooks/1/tok-abcdefghijklmnopqrstuvwxyz"


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing on the way catches it."""


class RecordingNotifier:
    """A channel that records what it got (a third-party-style, non-resumable notifier)."""

    def __init__(self, name: str, fail_times: int = 0) -> None:
        self.name = name
        self.sent: list[date] = []
        self.fail_times = fail_times

    def enabled(self) -> bool:
        return True

    async def send_digest(self, rendered: Any) -> DeliveryResult:
        if self.fail_times:
            self.fail_times -= 1
            return DeliveryResult(self.name, False, "server said no", permanent=True)
        self.sent.append(rendered.day)
        return DeliveryResult(self.name, True, "ok")

    async def send_alert(self, alert: Any) -> DeliveryResult:
        return DeliveryResult(self.name, True)


def settings() -> NotifierSettings:
    return NotifierSettings(
        telegram={"enabled": True, "bot_token": TOKEN, "chat_id": "1"},  # type: ignore[arg-type]
        discord={"enabled": True, "webhook_url": HOOK},  # type: ignore[arg-type]
        max_attempts=2,
        backoff_s=0,
    )


@respx.mock
async def test_kill_mid_channel_then_resume_sends_nothing_twice_and_skips_nothing(tmp_path: Path) -> None:
    r = dd.fast_rendered(long=True)
    assert len(r.telegram) > 3
    ledger = DeliveryLedger.for_data_dir(tmp_path)
    email = RecordingNotifier("email")
    texts: list[str] = []
    kill_after = [2]  # the process dies right after Telegram accepted its 2nd message

    def on_message(request: httpx.Request) -> httpx.Response:
        texts.append(json.loads(request.content)["text"])
        if len(texts) == kill_after[0]:
            kill_after[0] = -1
            raise Killed()
        return httpx.Response(200, json={"ok": True})

    respx.post(f"{TG}/sendMessage").mock(side_effect=on_message)
    photos = respx.post(f"{TG}/sendPhoto").mock(return_value=httpx.Response(200, json={"ok": True}))
    hook = respx.post(url__startswith=HOOK).mock(return_value=httpx.Response(204))

    async with httpx.AsyncClient() as client:
        notifiers = {
            "email": email,
            "telegram": TelegramNotifier(settings(), client=client),
            "discord": DiscordNotifier(settings(), client=client),
        }
        with pytest.raises(Killed):
            await deliver(r, notifiers, ledger)  # type: ignore[arg-type]
        assert email.sent == [dd.DAY]
        assert hook.call_count == 0  # never reached
        # the second message was sent but not recorded: at-least-once for that part only
        assert ledger.state(dd.DAY, "telegram").sent_parts == {0}

        results = await deliver(r, notifiers, ledger)  # type: ignore[arg-type]

    assert email.sent == [dd.DAY]  # not resent
    assert [x.channel for x in results] == ["email", "telegram", "discord"]
    assert results[0].attempts == 0 and "already sent" in results[0].detail
    assert all(x.ok for x in results)
    # every message reached Telegram, in order; only the one in flight at the kill twice
    assert texts == [r.telegram[0], r.telegram[1], *r.telegram[1:]]
    assert photos.call_count == len(r.charts)
    assert hook.call_count == len(r.discord)
    for ch in ("email", "telegram", "discord"):
        assert ledger.state(dd.DAY, ch).done

    # a third run (e.g. the daemon restarted again) sends nothing at all
    again = await deliver(r, {"email": email}, ledger)  # type: ignore[arg-type]
    assert again[0].attempts == 0 and email.sent == [dd.DAY]


async def test_failed_channel_is_retried_without_resending_to_others(tmp_path: Path) -> None:
    r = dd.fast_rendered()
    ledger = DeliveryLedger.for_data_dir(tmp_path)
    good, flaky = RecordingNotifier("email"), RecordingNotifier("webhook", fail_times=1)
    first = await deliver(r, {"email": good, "webhook": flaky}, ledger)  # type: ignore[dict-item]
    assert [x.ok for x in first] == [True, False]
    assert ledger.state(dd.DAY, "webhook").failures == 1
    assert ledger.state(dd.DAY, "webhook").last_error == "server said no"
    second = await deliver(r, {"email": good, "webhook": flaky}, ledger)  # type: ignore[dict-item]
    assert [x.ok for x in second] == [True, True]
    assert good.sent == [dd.DAY] and flaky.sent == [dd.DAY]
    assert set(ledger.days()[dd.DAY.isoformat()]) == {"email", "webhook"}


async def test_channel_filter_and_torn_last_line(tmp_path: Path) -> None:
    r = dd.fast_rendered()
    ledger = DeliveryLedger.for_data_dir(tmp_path)
    a, b = RecordingNotifier("a"), RecordingNotifier("b")
    await deliver(r, {"a": a, "b": b}, ledger, channels={"b"})  # type: ignore[dict-item]
    assert a.sent == [] and b.sent == [dd.DAY]
    with open(ledger.path, "a") as f:
        f.write('{"day": "2025-11-06", "chan')  # the process died mid-write
    assert ledger.state(dd.DAY, "b").done
    await deliver(r, {"a": a, "b": b}, ledger)  # type: ignore[dict-item]
    assert a.sent == [dd.DAY] and b.sent == [dd.DAY]
    assert ledger.state(dd.DAY, "a").done  # the record after the torn line is readable


async def test_second_process_is_refused_while_one_delivers(tmp_path: Path) -> None:
    ledger = DeliveryLedger.for_data_dir(tmp_path)
    with ledger.lock(), pytest.raises(LedgerBusyError, match="another process is delivering"):
        await deliver(dd.fast_rendered(), {}, DeliveryLedger.for_data_dir(tmp_path))
