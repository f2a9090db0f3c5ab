"""Alerts over the digest's notifiers, at most one per alert name per cooldown.

Example::

    dispatcher = AlertDispatcher(plugins.notifiers(), cooldown_s=settings.ingest.alert_cooldown_s)
    await dispatcher.send(Alert(name="queue_fill", message="queue at 96 %", severity="CRITICAL"))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from huracan.events import Alert
from huracan.plugins.types import DeliveryResult, Notifier
from huracan.redact import error_text

__all__ = ["AlertDispatcher"]

log = logging.getLogger("huracan.digest.alerts")


class AlertDispatcher:
    """Sends alerts to every enabled notifier; repeats of a name within ``cooldown_s`` are held back."""

    def __init__(
        self,
        notifiers: Mapping[str, Notifier],
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifiers = notifiers
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._last: dict[str, float] = {}
        self.suppressed: dict[str, int] = {}

    def cooling(self, name: str) -> bool:
        """True while ``name`` was sent less than ``cooldown_s`` ago."""
        last = self._last.get(name)
        return last is not None and self.clock() - last < self.cooldown_s

    async def send(self, alert: Alert) -> list[DeliveryResult]:
        """Send ``alert`` unless its name is cooling down (then return ``[]``)."""
        if self.cooling(alert.name):
            self.suppressed[alert.name] = self.suppressed.get(alert.name, 0) + 1
            return []
        self._last[alert.name] = self.clock()
        results = []
        for name, n in self.notifiers.items():
            if not n.enabled():
                continue
            try:
                results.append(await n.send_alert(alert))
            except Exception as exc:  # a broken notifier must not stop the others
                log.exception("alert %s: notifier %s raised", alert.name, name)
                results.append(DeliveryResult(name, False, f"notifier raised {error_text(exc)}"))
        return results
