"""Ask Huracan from a phone: the daemon long-polls Telegram's ``getUpdates`` and answers
commands (see :mod:`huracan.daemon.chat_commands`) in the chats it is configured for.

On when ``notifiers.telegram.commands`` is true and a bot token is set. Only messages
from ``notifiers.telegram.chat_id`` and ``command_chat_ids`` are answered; every other
chat is ignored (logged, never answered). ``notifiers.telegram.api_base`` is honoured, so
a Bot API proxy or a local fake works. The offset of the last handled update is kept in
``<data_dir>/telegram-offset`` so a restarted daemon answers nothing twice, and commands
older than 15 minutes when they arrive (the daemon was down) are skipped, not answered late.

Polling rather than a webhook: the daemon listens on loopback and needs no public URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from huracan.config import Settings
from huracan.digest.retry import Redactor, quiet_http_logs

__all__ = ["STALE_AFTER_S", "TelegramCommands", "start_commands"]

log = logging.getLogger("huracan.daemon.telegram")
STALE_AFTER_S = 15 * 60
Sleep = Callable[[float], Awaitable[Any]]


class TelegramCommands:
    """The poller: :meth:`poll_once` handles one ``getUpdates`` answer, :meth:`run` loops."""

    def __init__(
        self,
        settings: Settings,
        answer: Callable[[str], list[str]],
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        cfg = settings.notifiers.telegram
        self.cfg = cfg
        self.answer = answer
        self.client = client
        self.sleep = sleep
        self.now = now
        self._token = cfg.bot_token.get_secret_value() if cfg.bot_token else ""
        self.redact = Redactor([self._token])
        self.allowed = {str(c).strip() for c in [cfg.chat_id, *cfg.command_chat_ids] if c and str(c).strip()}
        self.offset_path: Path = settings.data_dir / "telegram-offset"
        self.offset = self._read_offset()
        self.ignored = 0
        quiet_http_logs()

    def _url(self, method: str) -> str:
        return f"{self.cfg.api_base.rstrip('/')}/bot{self._token}/{method}"

    def _read_offset(self) -> int | None:
        try:
            return int(self.offset_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _save_offset(self) -> None:
        tmp = self.offset_path.with_name(".telegram-offset.tmp")
        tmp.write_text(str(self.offset))
        tmp.replace(self.offset_path)

    async def _call(self, client: httpx.AsyncClient, method: str, payload: dict[str, Any], timeout: float) -> Any:
        resp = await client.post(self._url(method), json=payload, timeout=timeout)
        body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
        if resp.status_code != 200 or not body.get("ok"):
            detail = body.get("description") or resp.text[:200]
            raise RuntimeError(self.redact(f"telegram {method} answered {resp.status_code}: {detail}"))
        return body.get("result")

    async def poll_once(self, client: httpx.AsyncClient) -> int:
        """Fetch pending updates and answer the allowed commands; return how many were answered."""
        payload: dict[str, Any] = {"timeout": self.cfg.poll_timeout_s, "allowed_updates": ["message"]}
        if self.offset is not None:
            payload["offset"] = self.offset
        updates = await self._call(client, "getUpdates", payload, timeout=self.cfg.poll_timeout_s + 10)
        answered = 0
        for update in updates or []:
            self.offset = int(update["update_id"]) + 1
            msg = update.get("message") or {}
            text = msg.get("text") or ""
            chat = str((msg.get("chat") or {}).get("id", ""))
            if not text.startswith("/"):
                continue
            if chat not in self.allowed:
                self.ignored += 1
                log.info("telegram: ignored a command from chat %s (not in chat_id / command_chat_ids)", chat)
                continue
            if self.now() - float(msg.get("date") or 0) > STALE_AFTER_S:
                log.info("telegram: skipped a command sent while the daemon was away: %r", text[:40])
                continue
            replies = await asyncio.to_thread(self.answer, text)
            for reply in replies:
                await self._call(
                    client,
                    "sendMessage",
                    {
                        "chat_id": msg["chat"]["id"],
                        "text": reply,
                        "parse_mode": "HTML",
                        "disable_web_page_preview": True,
                        "reply_to_message_id": msg.get("message_id"),
                    },
                    timeout=30,
                )
            answered += 1
        if updates:
            self._save_offset()
        return answered

    async def run(self) -> None:
        """Poll until cancelled; a failure is logged (token redacted) and retried with backoff."""
        delay = 1.0
        owned = self.client is None
        client = self.client or httpx.AsyncClient()
        try:
            while True:
                try:
                    await self.poll_once(client)
                    delay = 1.0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("telegram commands: %s; retrying in %.0f s", self.redact(str(exc)), delay)
                    await self.sleep(delay)
                    delay = min(delay * 2, 60.0)
        finally:
            if owned:
                with contextlib.suppress(Exception):
                    await client.aclose()


def start_commands(daemon: Any) -> asyncio.Task[None] | None:
    """Start answering Telegram commands for a serving daemon (None when not configured)."""
    from huracan.daemon.chat_commands import ChatContext, answer

    s = daemon.settings
    cfg = s.notifiers.telegram
    if not cfg.commands:
        return None
    if cfg.bot_token is None or not (cfg.chat_id or cfg.command_chat_ids):
        log.error("notifiers.telegram.commands is on but the bot token or chat id is missing: not answering")
        return None
    ctx = ChatContext(settings=s, cursor=daemon.store.cursor, status=daemon.status, plugins=daemon.plugins)
    poller = TelegramCommands(s, lambda text: answer(ctx, text))
    log.info("answering Telegram commands in %d chat(s)", len(poller.allowed))
    return asyncio.create_task(poller.run(), name="telegram-commands")
