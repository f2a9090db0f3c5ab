"""Telegram Bot API notifier: digest messages (HTML parse mode), chart photos, alerts.

The bot token is part of every request URL: it is redacted from every error and log
line, and httpx's own request logging is held at WARNING.

Example::

    async with httpx.AsyncClient() as client:
        result = await TelegramNotifier(settings.notifiers, client=client).send_digest(rendered)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from huracan.config import NotifierSettings
from huracan.digest.escape import tg_escape
from huracan.digest.pack import TELEGRAM_LIMIT, split_text
from huracan.digest.progress import Progress, send_parts
from huracan.digest.render import RenderedDigest
from huracan.digest.retry import DeliveryError, Redactor, Sleep, check_response, quiet_http_logs, with_retries
from huracan.events import Alert
from huracan.plugins.types import DeliveryResult

__all__ = ["TelegramNotifier"]

log = logging.getLogger("huracan.digest.telegram")
ALERT_ICONS = {"CRITICAL": "🔴", "ERROR": "🔴", "WARNING": "🟠"}


class TelegramNotifier:
    """Delivers to one chat through the Bot API (``notifiers.telegram``)."""

    name = "telegram"
    #: deliver() passes a ledger-backed Progress so a killed send resumes per message
    resumable = True

    def __init__(
        self, settings: NotifierSettings, client: httpx.AsyncClient | None = None, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.settings = settings
        self.cfg = settings.telegram
        self.client = client
        self.sleep = sleep
        token = self.cfg.bot_token.get_secret_value() if self.cfg.bot_token else None
        self._token = token
        self.redact = Redactor([token])
        quiet_http_logs()

    def enabled(self) -> bool:
        return bool(self.cfg.enabled and self._token and self.cfg.chat_id)

    def _url(self, method: str) -> str:
        return f"{self.cfg.api_base.rstrip('/')}/bot{self._token}/{method}"

    async def _post(self, client: httpx.AsyncClient, method: str, **kwargs: Any) -> Any:
        resp = await client.post(self._url(method), **kwargs)
        return check_response(resp, f"telegram {method}", self.redact)

    def _parts(self, rendered: RenderedDigest) -> list[tuple[str, Any]]:
        parts: list[tuple[str, Any]] = [("message", m) for m in rendered.telegram]
        parts += [("photo", (rendered.chart(key), caption)) for key, caption in rendered.telegram_photos]
        return parts

    async def _send_part(self, client: httpx.AsyncClient, part: tuple[str, Any]) -> None:
        kind, body = part
        if kind == "message":
            await self._post(
                client,
                "sendMessage",
                json={
                    "chat_id": self.cfg.chat_id,
                    "text": body,
                    "parse_mode": "HTML",
                    "disable_web_page_preview": True,
                },
            )
        else:
            chart, caption = body
            await self._post(
                client,
                "sendPhoto",
                data={"chat_id": self.cfg.chat_id, "caption": caption, "parse_mode": "HTML"},
                files={"photo": (chart.filename, chart.png, "image/png")},
            )

    async def _with_client(self, fn: Any) -> Any:
        if self.client is not None:
            return await fn(self.client)
        async with httpx.AsyncClient(timeout=30.0) as client:
            return await fn(client)

    async def send_digest(self, rendered: RenderedDigest, progress: Progress | None = None) -> DeliveryResult:
        """Send the digest's messages, then its charts; resume after ``progress.sent``."""
        parts = self._parts(rendered)

        async def run(client: httpx.AsyncClient) -> DeliveryResult:
            return await send_parts(
                self.name,
                parts,
                lambda _i, p: self._send_part(client, p),
                progress,
                max_attempts=self.settings.max_attempts,
                backoff_s=self.settings.backoff_s,
                sleep=self.sleep,
                redact=self.redact,
            )

        result: DeliveryResult = await self._with_client(run)
        if not result.ok:
            log.warning("telegram delivery failed: %s", result.detail)
        return result

    async def send_alert(self, alert: Alert) -> DeliveryResult:
        """Send one alert as a short HTML message."""
        icon = ALERT_ICONS.get(alert.severity.value, "🔵")
        text = f"<b>{icon} {tg_escape(alert.severity.value)}: {tg_escape(alert.name)}</b>\n{tg_escape(alert.message)}"
        text = split_text(text, TELEGRAM_LIMIT)[0]

        async def run(client: httpx.AsyncClient) -> DeliveryResult:
            try:
                _, n = await with_retries(
                    lambda: self._send_part(client, ("message", text)),
                    max_attempts=self.settings.max_attempts,
                    backoff_s=self.settings.backoff_s,
                    sleep=self.sleep,
                    redact=self.redact,
                    what="telegram alert",
                )
            except DeliveryError as exc:
                return DeliveryResult(self.name, False, self.redact(exc), exc.attempts, exc.permanent)
            return DeliveryResult(self.name, True, "alert sent", n)

        result: DeliveryResult = await self._with_client(run)
        return result
