"""The live feed: learning activity pushed to server-sent-event subscribers.

Each subscriber has a bounded queue; a slow one loses its oldest items rather than
slowing ingest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

from huracan.events import EventBase

__all__ = ["FEED_TYPES", "Feed"]

#: What counts as learning activity on the feed (signals and gate decisions are too many).
FEED_TYPES = frozenset(
    {
        "training_session",
        "model_registered",
        "model_export",
        "model_loaded",
        "config_change",
        "alert",
        "shadow_trade",
        "shadow_outcome",
        "live_outcome",
    }
)


class Feed:
    def __init__(self, maxsize: int = 1000) -> None:
        self._subs: set[asyncio.Queue[dict[str, Any]]] = set()
        self._maxsize = maxsize

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._maxsize)
        self._subs.add(q)
        try:
            yield q
        finally:
            self._subs.discard(q)

    def publish(self, item: dict[str, Any]) -> None:
        for q in list(self._subs):
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(item)

    def publish_many(self, events: Iterable[EventBase]) -> None:
        if not self._subs:
            return
        for e in events:
            if e.type in FEED_TYPES:
                self.publish(_summary(e))


def _summary(e: EventBase) -> dict[str, Any]:
    d = e.model_dump(mode="json")
    for bulky in ("predictions", "outcomes", "features", "spans"):
        d.pop(bulky, None)
    return d
