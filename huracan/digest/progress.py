"""Sending a digest as numbered parts, resumable after the last part that was sent.

A Telegram digest is several messages and photos, a Discord digest several webhook
calls. Each part is recorded in the delivery ledger as soon as the server accepted it,
so a run killed mid-channel resumes after the last recorded part (at-least-once per
part: a part sent but not yet recorded is sent again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from huracan.digest.retry import DeliveryError, Redactor, Sleep, with_retries
from huracan.plugins.types import DeliveryResult

__all__ = ["MemoryProgress", "Progress", "send_parts"]

P = TypeVar("P")


class Progress(Protocol):
    """Which parts of one channel's digest were sent; ``mark`` records one durably."""

    @property
    def sent(self) -> frozenset[int]: ...

    def mark(self, index: int) -> None: ...


class MemoryProgress:
    """A :class:`Progress` kept in memory (for one-off sends and tests)."""

    def __init__(self, sent: Sequence[int] = ()) -> None:
        self._sent = set(sent)

    @property
    def sent(self) -> frozenset[int]:
        return frozenset(self._sent)

    def mark(self, index: int) -> None:
        self._sent.add(index)


async def send_parts(
    channel: str,
    parts: Sequence[P],
    send_one: Callable[[int, P], Awaitable[object]],
    progress: Progress | None,
    *,
    max_attempts: int,
    backoff_s: float,
    sleep: Sleep = asyncio.sleep,
    redact: Redactor,
) -> DeliveryResult:
    """Send every part not yet in ``progress``, in order, each with retries.

    Stops at the first part that fails for good: later parts would arrive out of order.
    """
    progress = progress if progress is not None else MemoryProgress()
    attempts = 0
    sent_now = 0
    for i, part in enumerate(parts):
        if i in progress.sent:
            continue
        try:
            _, n = await with_retries(
                lambda i=i, part=part: send_one(i, part),  # type: ignore[misc]
                max_attempts=max_attempts,
                backoff_s=backoff_s,
                sleep=sleep,
                redact=redact,
                what=f"{channel} part {i + 1}/{len(parts)}",
            )
        except DeliveryError as exc:
            return DeliveryResult(
                channel,
                ok=False,
                detail=redact(f"{exc} ({sent_now} part(s) sent this run, {len(progress.sent)}/{len(parts)} in all)"),
                attempts=attempts + exc.attempts,
                permanent=exc.permanent,
            )
        attempts += n
        sent_now += 1
        progress.mark(i)
    skipped = len(parts) - sent_now
    detail = f"sent {sent_now} part(s)" + (f", {skipped} already sent before" if skipped else "")
    return DeliveryResult(channel, ok=True, detail=detail, attempts=max(attempts, 1) if sent_now else 0)
