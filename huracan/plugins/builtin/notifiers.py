"""Built-in notifiers: email (SMTP), Telegram and Discord, registered like any plugin.

Each notifier reads its own ``notifiers.<name>`` section and reports ``enabled()`` only
when switched on *and* configured, so an unconfigured channel is skipped, not failed.
"""

from __future__ import annotations

from typing import Any

from huracan.config import Settings
from huracan.plugins.hookspecs import hookimpl

__all__ = ["huracan_register_notifiers"]


@hookimpl
def huracan_register_notifiers(settings: Settings) -> list[Any]:
    # Imported here: httpx and the digest renderer are not needed to load plugins.
    from huracan.digest.discord import DiscordNotifier
    from huracan.digest.email import EmailNotifier
    from huracan.digest.telegram import TelegramNotifier

    n = settings.notifiers
    return [EmailNotifier(n), TelegramNotifier(n), DiscordNotifier(n)]
