"""Alerts raised once per (rule, data day, part) until they resolve (#12).

A scheduled job that re-evaluates every 15 minutes would otherwise store the same
CRITICAL seven times in half an hour. An alert's identity is its **key**: the rule
(``name``), the day of data it is about (``data_day``) and what within the rule
(``part``: a metric and its part, a model id). The book answers, for the alerts a job
found, which are new — not already firing — and which firing alerts of the same scope
did not fire this time: those get a ``state = "resolved"`` notice (INFO: stored, not
pushed), and the next time the condition fires it is a new alert.

What is firing is read from the store (``v_alert``, the latest state per key), so a
restarted daemon does not raise again what it raised before; the alerts this process
raised but the logger has not written yet are remembered in memory.

Example::

    book = AlertBook(store.cursor)
    new, resolved = book.reconcile(found, Scope(prefix="metric.", data_day="2018-02-06"))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from huracan.events import Alert, Severity

__all__ = ["ANY_DAY", "AlertBook", "Key", "Scope", "key_of"]

Key = tuple[str, str | None, str | None]
#: A scope's data day that matches every day.
ANY_DAY = "*"

_STATE_SQL = """SELECT name, data_day, part, arg_max(state, ts) AS state FROM v_alert
WHERE name IN (SELECT unnest(?)) OR (? <> '' AND starts_with(name, ?))
GROUP BY name, data_day, part"""


@dataclass(frozen=True)
class Scope:
    """Which firing alerts one evaluation speaks for: those it did not find again resolve.

    ``prefix`` or ``names`` select rules (``"metric."``: every metric rule); ``data_day``
    the day (None: alerts about no day; :data:`ANY_DAY`: every day).
    """

    prefix: str = ""
    names: frozenset[str] = frozenset()
    data_day: str | None = ANY_DAY

    def __call__(self, key: Key) -> bool:
        name, day, _ = key
        rule = (bool(self.prefix) and name.startswith(self.prefix)) or name in self.names
        return rule and (self.data_day == ANY_DAY or day == self.data_day)


def key_of(alert: Alert) -> Key:
    """(rule, data day, part): what makes two alerts the same alert."""
    return (alert.name, alert.data_day, alert.part)


class AlertBook:
    """Which alerts are firing, from the store and from this process."""

    def __init__(self, cursor: Callable[[], Any]) -> None:
        self._cursor = cursor
        self._lock = threading.Lock()
        #: key -> True (raised here, firing) / False (resolved here) until the store has it
        self._recent: dict[Key, bool] = {}

    def firing(self, names: Iterable[str], prefix: str = "") -> set[Key]:
        """Keys of the rules ``names`` (or starting with ``prefix``) whose latest state is firing."""
        wanted = sorted(set(names))
        if not wanted and not prefix:
            return set()
        try:
            rows = self._cursor().execute(_STATE_SQL, [wanted, prefix, prefix]).fetchall()
        except Exception as exc:  # no alert table yet: nothing fires
            if "CatalogException" in f"{type(exc).__name__} {exc}" or "does not exist" in str(exc):
                rows = []
            else:
                raise
        out = {(r[0], r[1], r[2]) for r in rows if r[3] == "firing"}
        with self._lock:
            for key, up in self._recent.items():
                if key[0] in wanted or (prefix and key[0].startswith(prefix)):
                    (out.add if up else out.discard)(key)
        return out

    def reconcile(
        self, found: Iterable[Alert], scope: Scope | None = None, now: datetime | None = None
    ) -> tuple[list[Alert], list[Alert]]:
        """(alerts to raise, resolution notices) for what a job ``found`` this time.

        ``scope`` says which firing keys this evaluation speaks for (e.g. one data day's
        metric alerts): those in scope that were not found again are resolved.
        """
        found = list(found)
        names = {a.name for a in found} | (set(scope.names) if scope else set())
        firing = self.firing(names, scope.prefix if scope else "")
        new: list[Alert] = []
        seen: set[Key] = set()
        for a in found:
            k = key_of(a)
            if k in firing or k in seen:
                continue
            seen.add(k)
            new.append(a)
        resolved = []
        if scope is not None:
            now = now or datetime.now(UTC)
            for k in sorted(firing, key=str):
                if scope(k) and k not in {key_of(a) for a in found}:
                    resolved.append(_resolution(k, now))
        with self._lock:
            for a in new:
                self._recent[key_of(a)] = True
            for r in resolved:
                self._recent[key_of(r)] = False
        return new, resolved


def _resolution(key: Key, now: datetime) -> Alert:
    name, day, part = key
    about = f" for {day}" if day else ""
    return Alert(
        ts=now,
        severity=Severity.INFO,
        name=name,
        message=f"resolved: {name}{about}{f' ({part})' if part else ''} no longer holds",
        component="huracan",
        data_day=day,
        part=part,
        state="resolved",
    )
