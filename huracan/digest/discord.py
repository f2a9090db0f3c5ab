"""Discord webhook notifier: embeds within Discord's limits, charts as attachments.

Every payload carries ``allowed_mentions: {"parse": []}`` so nothing in event or LLM
text can ping ``@everyone``. The webhook URL is a secret: redacted from errors and logs.

Example::

    async with httpx.AsyncClient() as client:
        result = await DiscordNotifier(settings.notifiers, client=client).send_digest(rendered)
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from huracan.config import NotifierSettings
from huracan.digest.escape import discord_escape
from huracan.digest.progress import Progress, send_parts
from huracan.digest.render import DiscordMessage, RenderedDigest
from huracan.digest.retry import DeliveryError, Redactor, Sleep, check_response, quiet_http_logs, with_retries
from huracan.events import Alert
from huracan.plugins.types import DeliveryResult

__all__ = ["DiscordNotifier"]

log = logging.getLogger("huracan.digest.discord")
ALERT_COLORS = {"CRITICAL": 0xB91C1C, "ERROR": 0xB91C1C, "WARNING": 0xB45309}


class DiscordNotifier:
    """Delivers to one webhook (``notifiers.discord.webhook_url``)."""

    name = "discord"
    resumable = True

    def __init__(
        self, settings: NotifierSettings, client: httpx.AsyncClient | None = None, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.settings = settings
        self.cfg = settings.discord
        self.client = client
        self.sleep = sleep
        self._url = self.cfg.webhook_url.get_secret_value() if self.cfg.webhook_url else None
        self.redact = Redactor([self._url])
        quiet_http_logs()

    def enabled(self) -> bool:
        return bool(self.cfg.enabled and self._url)

    async def _post(self, client: httpx.AsyncClient, message: DiscordMessage, files: dict[str, bytes]) -> None:
        assert self._url is not None, "discord webhook_url is not set (notifiers.discord.webhook_url)"
        url = httpx.URL(self._url).copy_merge_params({"wait": "true"})
        if message.files:
            multipart = {f"files[{n}]": (name, files[name], "image/png") for n, name in enumerate(message.files)}
            resp = await client.post(url, data={"payload_json": json.dumps(message.payload)}, files=multipart)
        else:
            resp = await client.post(url, json=message.payload)
        check_response(resp, "discord webhook", self.redact)

    async def _with_client(self, fn: Any) -> Any:
        if self.client is not None:
            return await fn(self.client)
        async with httpx.AsyncClient(timeout=30.0) as client:
            return await fn(client)

    async def send_digest(self, rendered: RenderedDigest, progress: Progress | None = None) -> DeliveryResult:
        """Post every webhook message of the digest; resume after ``progress.sent``."""
        files = {c.filename: c.png for c in rendered.charts}

        async def run(client: httpx.AsyncClient) -> DeliveryResult:
            return await send_parts(
                self.name,
                list(rendered.discord),
                lambda _i, m: self._post(client, m, files),
                progress,
                max_attempts=self.settings.max_attempts,
                backoff_s=self.settings.backoff_s,
                sleep=self.sleep,
                redact=self.redact,
            )

        result: DeliveryResult = await self._with_client(run)
        if not result.ok:
            log.warning("discord delivery failed: %s", result.detail)
        return result

    async def send_alert(self, alert: Alert) -> DeliveryResult:
        """Post one alert as an embed."""
        message = DiscordMessage(
            {
                "username": "Huracan",
                "allowed_mentions": {"parse": []},
                "content": "",
                "embeds": [
                    {
                        "title": discord_escape(f"{alert.severity.value}: {alert.name}")[:256],
                        "description": discord_escape(alert.message)[:4096],
                        "color": ALERT_COLORS.get(alert.severity.value, 0x1D4ED8),
                    }
                ],
            }
        )

        async def run(client: httpx.AsyncClient) -> DeliveryResult:
            try:
                _, n = await with_retries(
                    lambda: self._post(client, message, {}),
                    max_attempts=self.settings.max_attempts,
                    backoff_s=self.settings.backoff_s,
                    sleep=self.sleep,
                    redact=self.redact,
                    what="discord alert",
                )
            except DeliveryError as exc:
                return DeliveryResult(self.name, False, self.redact(exc), exc.attempts, exc.permanent)
            return DeliveryResult(self.name, True, "alert sent", n)

        result: DeliveryResult = await self._with_client(run)
        return result
