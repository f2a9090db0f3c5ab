"""SMTP notifier: the digest as a multipart email with inline charts; alerts as text.

Structure (what Gmail, Outlook and Apple Mail all show correctly)::

    multipart/alternative
    ├── text/plain                       the plain-text digest
    └── multipart/related
        ├── text/html                    <img src="cid:learning@huracan.digest">
        └── image/png (Content-ID)       one per chart

aiosmtplib is not a dependency, so stdlib ``smtplib`` runs in a worker thread
(``asyncio.to_thread``): STARTTLS, implicit TLS (``ssl: true``) and AUTH are supported.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from huracan.config import NotifierSettings
from huracan.digest.progress import Progress, send_parts
from huracan.digest.render import RenderedDigest
from huracan.digest.retry import DeliveryError, Redactor, Sleep, with_retries
from huracan.events import Alert
from huracan.plugins.types import DeliveryResult

__all__ = ["EmailNotifier", "build_message"]

log = logging.getLogger("huracan.digest.email")


def build_message(rendered: RenderedDigest, sender: str, recipients: list[str]) -> EmailMessage:
    """The digest email: text + HTML alternatives, charts inline by Content-ID."""
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=f"digest-{rendered.day.isoformat()}", domain="huracan.digest")
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None  # just added above
    for chart in rendered.charts:
        html_part.add_related(chart.png, maintype="image", subtype="png", cid=f"<{chart.cid}>", filename=chart.filename)
    return msg


class EmailNotifier:
    """Delivers through one SMTP server (``notifiers.email``)."""

    name = "email"
    resumable = True

    def __init__(self, settings: NotifierSettings, sleep: Sleep = asyncio.sleep) -> None:
        self.settings = settings
        self.cfg = settings.email
        self.sleep = sleep
        password = self.cfg.password.get_secret_value() if self.cfg.password else None
        self._password = password
        self.redact = Redactor([password])

    def enabled(self) -> bool:
        return bool(self.cfg.enabled and self.cfg.host and self.cfg.recipients)

    def _send_blocking(self, msg: EmailMessage) -> None:
        c = self.cfg
        where = f"SMTP {c.host}:{c.port}"
        try:
            context = ssl.create_default_context()
            smtp: smtplib.SMTP
            if c.ssl:
                smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout_s, context=context)
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout_s)
            with smtp:
                if c.starttls and not c.ssl:
                    smtp.starttls(context=context)
                if c.username:
                    smtp.login(c.username, self._password or "")
                smtp.send_message(msg, from_addr=c.sender, to_addrs=c.recipients)
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                f"{where}: {exc} (the server offers no STARTTLS: set notifiers.email.starttls: false, "
                "or ssl: true for port 465)",
                permanent=True,
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{where}: login as {c.username!r} refused ({exc.smtp_code}); check notifiers.email.username/password",
                permanent=True,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"{where}: every recipient refused: {sorted(exc.recipients)}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            # 5xx replies are final; 4xx are "try again later".
            raise DeliveryError(
                f"{where}: {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None

    async def _send(self, msg: EmailMessage, what: str) -> int:
        _, attempts = await with_retries(
            lambda: asyncio.to_thread(self._send_blocking, msg),
            max_attempts=self.settings.max_attempts,
            backoff_s=self.settings.backoff_s,
            sleep=self.sleep,
            redact=self.redact,
            what=what,
        )
        return attempts

    async def send_digest(self, rendered: RenderedDigest, progress: Progress | None = None) -> DeliveryResult:
        """Send the digest as one email (one part in the ledger)."""
        msg = build_message(rendered, self.cfg.sender, self.cfg.recipients)

        async def send_one(_i: int, m: EmailMessage) -> None:
            await asyncio.to_thread(self._send_blocking, m)

        result = await send_parts(
            self.name,
            [msg],
            send_one,
            progress,
            max_attempts=self.settings.max_attempts,
            backoff_s=self.settings.backoff_s,
            sleep=self.sleep,
            redact=self.redact,
        )
        if not result.ok:
            log.warning("email delivery failed: %s", result.detail)
        return result

    async def send_alert(self, alert: Alert) -> DeliveryResult:
        """Send one alert as a plain-text email."""
        msg = EmailMessage()
        msg["Subject"] = f"[huracan] {alert.severity.value}: {alert.name}"
        msg["From"] = self.cfg.sender
        msg["To"] = ", ".join(self.cfg.recipients)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        lines = [alert.message, "", f"component: {alert.component}", f"at: {alert.ts.isoformat()}"]
        if alert.metric_id:
            lines.append(f"metric: {alert.metric_id} value={alert.value} threshold={alert.threshold}")
        msg.set_content("\n".join(lines))
        try:
            attempts = await self._send(msg, "email alert")
        except DeliveryError as exc:
            return DeliveryResult(self.name, False, self.redact(exc), exc.attempts, exc.permanent)
        return DeliveryResult(self.name, True, "alert sent", attempts)
