"""Retries with backoff, 429 handling and secret redaction, shared by every notifier.

Policy: a 429 waits the server's ``retry_after`` (Telegram: JSON
``parameters.retry_after``; Discord: JSON ``retry_after`` or the ``Retry-After``
header); 5xx and network errors back off exponentially from ``backoff_s``; any other
4xx is permanent (retrying a bad token or a deleted webhook cannot help).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

from huracan.redact import redact, remember

__all__ = ["DeliveryError", "Redactor", "Sleep", "check_response", "quiet_http_logs", "with_retries"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
#: Longest wait honoured from a server's retry_after, so a bogus value cannot stall a run.
MAX_RETRY_AFTER_S = 300.0


def quiet_http_logs() -> None:
    """Keep httpx/httpcore at WARNING: at INFO they log request URLs, and the Telegram
    bot token and the Discord webhook secret are *in* the URL."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Redactor:
    """The notifiers' handle on :func:`huracan.redact.redact`: one redaction for the process.

    The secrets a notifier is built with (a token, a webhook URL and its path parts, a
    password) are added to what the process masks everywhere, logs included.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        remember(secrets)

    def __call__(self, text: object) -> str:
        return redact(str(text))


class DeliveryError(Exception):
    """A send failed; ``permanent`` means retrying cannot help."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status
        self.attempts = 0


def _retry_after(resp: httpx.Response, body: Any) -> float | None:
    if isinstance(body, dict):
        params = body.get("parameters")
        if isinstance(params, dict) and isinstance(params.get("retry_after"), int | float):
            return float(params["retry_after"])
        if isinstance(body.get("retry_after"), int | float):
            return float(body["retry_after"])
    header = resp.headers.get("retry-after")
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


def check_response(resp: httpx.Response, what: str, redact: Redactor) -> Any:
    """Return the JSON body of a 2xx response; raise :class:`DeliveryError` otherwise."""
    try:
        body: Any = resp.json() if resp.content else None
    except ValueError:
        body = None
    if resp.is_success and not (isinstance(body, dict) and body.get("ok") is False):
        return body
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("description") or body.get("message") or "")
    detail = redact(detail or resp.text[:200])
    status = resp.status_code
    if status == 429:
        wait = _retry_after(resp, body)
        raise DeliveryError(f"{what}: rate limited (429), retry after {wait} s", retry_after=wait, status=status)
    if 400 <= status < 500:
        hint = {
            401: "check the token",
            403: "check the bot/webhook permissions",
            404: "check the chat id / webhook URL",
        }.get(status, "the request was rejected")
        raise DeliveryError(f"{what}: HTTP {status} {detail} ({hint})", permanent=True, status=status)
    raise DeliveryError(f"{what}: HTTP {status} {detail}", status=status)


async def with_retries(
    op: Callable[[], Awaitable[T]],
    *,
    max_attempts: int,
    backoff_s: float,
    sleep: Sleep = asyncio.sleep,
    redact: Redactor | None = None,
    what: str = "send",
) -> tuple[T, int]:
    """Run ``op`` until it succeeds; return ``(result, attempts)``.

    Raises the last :class:`DeliveryError` (with ``attempts`` set) when it is permanent
    or attempts run out. Network errors (``httpx.TransportError``) count as transient.
    """
    r = redact or Redactor(())
    attempt = 0
    while True:
        attempt += 1
        try:
            return await op(), attempt
        except httpx.TransportError as exc:
            err = DeliveryError(f"{what}: network error {type(exc).__name__}: {r(exc)}")
        except DeliveryError as exc:
            err = exc
        if err.permanent or attempt >= max_attempts:
            err.attempts = attempt
            raise err
        delay = err.retry_after if err.retry_after is not None else backoff_s * 2 ** (attempt - 1)
        await sleep(min(max(delay, 0.0), MAX_RETRY_AFTER_S))
