"""Email delivery to a real aiosmtpd server on 127.0.0.1, with and without AUTH."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from functools import cache
from typing import Any

import digest_data as dd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from huracan.config import NotifierSettings
from huracan.digest.email import EmailNotifier
from huracan.digest.render import RenderedDigest
from huracan.events import Alert


@cache
def rendered() -> RenderedDigest:
    return dd.fast_rendered()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"desk" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)


@pytest.fixture(params=["plain", "auth"])
def smtp(request: pytest.FixtureRequest) -> Iterator[tuple[Inbox, NotifierSettings]]:
    inbox = Inbox()
    port = _free_port()
    kw: dict[str, Any] = {}
    if request.param == "auth":
        kw = {"authenticator": _auth, "auth_required": True, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kw)
    controller.start()
    email_cfg: dict[str, Any] = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "sender": "huracan@example.org",
        "recipients": ["desk@example.org", "cto@example.org"],
    }
    if request.param == "auth":
        email_cfg |= {"username": "desk", "password": "s3cret"}
    try:
        yield inbox, NotifierSettings(email=email_cfg, max_attempts=2, backoff_s=0)  # type: ignore[arg-type]
    finally:
        controller.stop()


pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


async def test_digest_email_mime_structure_and_numbers(smtp: tuple[Inbox, NotifierSettings]) -> None:
    inbox, cfg = smtp
    r = rendered()
    result = await EmailNotifier(cfg).send_digest(r)
    assert result.ok, result.detail
    assert len(inbox.messages) == 1
    assert sorted(inbox.envelopes[0].rcpt_tos) == ["cto@example.org", "desk@example.org"]
    msg = inbox.messages[0]
    assert msg["Subject"] == r.subject
    assert msg.get_content_type() == "multipart/alternative"
    text_part, related = msg.get_payload()  # type: ignore[misc]
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert [i.get_content_type() for i in images] == ["image/png"] * len(r.charts)
    html = html_part.get_content()
    cids = {i["Content-ID"].strip("<>") for i in images}
    assert cids == set(re.findall(r'src="cid:([^"]+)"', html))
    assert images[0].get_content() == r.charts[0].png
    # the verified numbers reach the reader in both parts
    for body in (html, text_part.get_content()):
        for number in ("0.681", "72.2 %", "184.5 bps", "48,213", "$0.0231"):
            assert number in body
    assert "<script>" not in html


async def test_alert_email(smtp: tuple[Inbox, NotifierSettings]) -> None:
    inbox, cfg = smtp
    alert = Alert(name="queue_fill", message="queue at 96 %", severity="CRITICAL")
    result = await EmailNotifier(cfg).send_alert(alert)
    assert result.ok
    assert inbox.messages[0]["Subject"] == "[huracan] CRITICAL: queue_fill"
    assert "queue at 96 %" in inbox.messages[0].get_content()


async def test_wrong_password_is_permanent_and_redacted() -> None:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_auth, auth_required=True, auth_require_tls=False
    )
    controller.start()
    try:
        cfg = NotifierSettings(
            email={
                "enabled": True,
                "host": "127.0.0.1",
                "port": port,
                "starttls": False,
                "recipients": ["a@b.c"],
                "username": "desk",
                "password": "wrong-password-123",
            },  # type: ignore[arg-type]
            max_attempts=3,
            backoff_s=0,
        )
        result = await EmailNotifier(cfg).send_digest(rendered())
    finally:
        controller.stop()
    assert not result.ok and result.permanent and result.attempts == 1
    assert "login as 'desk' refused" in result.detail
    assert "wrong-password-123" not in result.detail
    assert inbox.messages == []


async def test_unreachable_server_is_retried_then_reported() -> None:
    port = _free_port()  # nothing listens here
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    cfg = NotifierSettings(
        email={"enabled": True, "host": "127.0.0.1", "port": port, "starttls": False, "recipients": ["a@b.c"]},  # type: ignore[arg-type]
        max_attempts=3,
        backoff_s=0.5,
    )
    result = await EmailNotifier(cfg, sleep=sleep).send_digest(rendered())
    assert not result.ok and not result.permanent and result.attempts == 3
    assert sleeps == [0.5, 1.0]
    assert f"SMTP 127.0.0.1:{port}" in result.detail
