"""What an enabled feature needs beyond valid field types.

The settings model checks each value; this checks that what is switched on can work —
an enabled Telegram channel without a bot token would otherwise be skipped every night
while the desk silently gets nothing (issue 16). ``huracan config check`` fails on any
of these, ``huracan init`` reports them, and the daemon logs each one at start.

>>> from huracan.config import load_config
>>> cfg = load_config()
>>> cfg.notifiers.telegram.enabled = True
>>> unmet_requirements(cfg)[0].split(":")[0]
'notifiers.telegram.bot_token'
"""

from __future__ import annotations

from huracan.config import Settings

__all__ = ["unmet_requirements"]


def _secret_hint(key: str) -> str:
    env = "HURACAN_" + key.upper().replace(".", "__")
    return f"set {env} or a credential file named {key} (systemd LoadCredential)"


def _need(key: str, what: str, enabled_key: str, secret: bool = False) -> str:
    how = _secret_hint(key) if secret else f"set {key} in huracan.yaml"
    return f"{key}: {what} — {enabled_key} is true; {how}, or set {enabled_key}: false"


def unmet_requirements(settings: Settings) -> list[str]:
    """One line per enabled feature missing something it needs (empty: all good)."""
    from huracan.daemon.service import is_loopback

    out: list[str] = []
    n = settings.notifiers
    if n.email.enabled:
        key = "notifiers.email.enabled"
        if not n.email.recipients:
            out.append(_need("notifiers.email.recipients", "no recipient to send the digest to", key))
        if n.email.username and n.email.password is None:
            out.append(_need("notifiers.email.password", "a username is set but no password", key, secret=True))
    tg = n.telegram
    if tg.enabled or tg.commands:
        key = "notifiers.telegram.enabled" if tg.enabled else "notifiers.telegram.commands"
        if tg.bot_token is None:
            out.append(_need("notifiers.telegram.bot_token", "no bot token", key, secret=True))
        if not tg.chat_id:
            out.append(_need("notifiers.telegram.chat_id", "no chat to send to or answer", key))
    if n.discord.enabled and n.discord.webhook_url is None:
        out.append(_need("notifiers.discord.webhook_url", "no webhook URL", "notifiers.discord.enabled", secret=True))
    if not is_loopback(settings.api.host) and settings.api.token is None:
        out.append(
            f"api.token: not set while api.host is {settings.api.host} — the daemon refuses a non-loopback "
            f"bind without a token; {_secret_hint('api.token')}, or bind 127.0.0.1"
        )
    return out
