"""Deliver a rendered digest to every enabled channel exactly once per day.

The ledger decides: a channel already ``done`` for the day is skipped; a channel that
failed, or was mid-send when the process died, is retried — resuming after its last
recorded part — without resending anything to the channels that succeeded.

Example::

    ledger = DeliveryLedger.for_data_dir(settings.data_dir)
    results = await deliver(rendered, plugins.notifiers(), ledger)
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from huracan.digest.ledger import DeliveryLedger
from huracan.digest.render import RenderedDigest
from huracan.plugins.types import DeliveryResult, Notifier
from huracan.redact import error_text, redact

__all__ = ["already_delivered", "deliver"]

log = logging.getLogger("huracan.digest.deliver")


async def _send(notifier: Notifier, rendered: RenderedDigest, progress: Any) -> DeliveryResult:
    # Built-in notifiers resume per message; a third-party notifier that does not
    # declare `resumable` is resent whole (at-least-once per channel).
    if getattr(notifier, "resumable", False):
        result: DeliveryResult = await notifier.send_digest(rendered, progress=progress)  # type: ignore[call-arg]
    else:
        result = await notifier.send_digest(rendered)
    return result


def already_delivered(
    day: date, notifiers: Mapping[str, Notifier], ledger: DeliveryLedger, *, channels: Collection[str] | None = None
) -> list[DeliveryResult] | None:
    """When every enabled channel (of ``channels``) already has ``day``'s digest: their results.

    Read from the ledger alone, so ``huracan digest send`` for a day already sent answers
    at once instead of building the whole digest first (issue 14). None when any channel
    still needs a send (or none is enabled): then the digest is built and :func:`deliver`
    decides, under the ledger's lock.
    """
    names = [n for n, nt in notifiers.items() if (channels is None or n in channels) and nt.enabled()]
    if not names or not all(ledger.state(day, n).done for n in names):
        return None
    return [DeliveryResult(n, True, f"already sent for {day}", attempts=0) for n in names]


async def deliver(
    rendered: RenderedDigest,
    notifiers: Mapping[str, Notifier],
    ledger: DeliveryLedger,
    *,
    channels: Collection[str] | None = None,
) -> list[DeliveryResult]:
    """Send ``rendered`` to each enabled notifier not yet done for its day.

    Args:
        rendered: the day's rendered digest.
        notifiers: by name, e.g. ``Plugins.notifiers()``.
        ledger: the delivery ledger (held locked for the whole call).
        channels: only these channel names (``None``: all).

    Returns:
        One :class:`DeliveryResult` per channel considered; ``attempts == 0`` with
        ``ok=True`` means it had been sent before.
    """
    day = rendered.day
    results: list[DeliveryResult] = []
    with ledger.lock():
        for name, notifier in notifiers.items():
            if channels is not None and name not in channels:
                continue
            if not notifier.enabled():
                log.info("digest %s: channel %s is not enabled/configured, skipped", day, name)
                continue
            state = ledger.state(day, name)
            if state.done:
                results.append(DeliveryResult(name, True, f"already sent for {day}", attempts=0))
                continue
            ledger.append(day, name, "start", resume_after=sorted(state.sent_parts))
            try:
                result = await _send(notifier, rendered, ledger.progress(day, name))
            except Exception as exc:  # one broken notifier must not keep the others from sending
                log.exception("digest %s: notifier %s raised", day, name)
                result = DeliveryResult(name, False, f"notifier raised {error_text(exc)}", permanent=False)
            # A notifier's detail may quote its URL (Telegram's carries the bot token).
            result = replace(result, detail=redact(result.detail))
            if result.ok:
                ledger.append(day, name, "done", detail=result.detail, attempts=result.attempts)
            else:
                ledger.append(day, name, "failed", detail=result.detail, permanent=result.permanent)
                log.warning("digest %s: %s failed: %s", day, name, result.detail)
            results.append(result)
    return results
