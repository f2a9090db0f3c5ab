"""Severity tiers of the bounded queue: who is admitted at which fill.

Below ``shed_debug_fill`` everything is admitted; from there DEBUG is shed; from
``kill_switch_fill`` (the kill switch) only ERROR and CRITICAL are admitted; at
capacity only CRITICAL, which then overflows to the disk spool instead of the queue.
The same rules serve single events (:meth:`Limits.admits`) and whole batches
(:func:`admit_batch`, vectorised, so bulk producers pay no per-event Python cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt

__all__ = ["SEVERITIES", "SEVERITY_INDEX", "Limits", "Tier", "admit_batch"]

#: Severity names, lowest first; an event's index in this tuple is its rank here.
SEVERITIES: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: ``"ERROR" -> 3``; keyed by str, so a ``Severity`` member (a ``StrEnum``) works as a key.
SEVERITY_INDEX: dict[str, int] = {name: i for i, name in enumerate(SEVERITIES)}
DEBUG, INFO, WARNING, ERROR, CRITICAL = range(5)


class Tier(IntEnum):
    """The queue's admission state, ordered by severity of the overload."""

    OK = 0
    SHED_DEBUG = 1
    KILL_SWITCH = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class Health(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


TIER_HEALTH = {Tier.OK: Health.OK, Tier.SHED_DEBUG: Health.WARNING, Tier.KILL_SWITCH: Health.CRITICAL}


@dataclass(frozen=True)
class Limits:
    """Fill counts (events, not ratios) at which each tier starts.

    >>> lim = Limits.from_ratios(10_000, 0.80, 0.95)
    >>> lim.shed_debug, lim.kill_switch, lim.tier(9_600)
    (8000, 9500, <Tier.KILL_SWITCH: 2>)
    """

    capacity: int
    shed_debug: int
    kill_switch: int

    @classmethod
    def from_ratios(cls, capacity: int, shed_debug_fill: float, kill_switch_fill: float) -> Limits:
        if not 0 < shed_debug_fill <= kill_switch_fill < 1:
            raise ValueError(
                f"ingest thresholds must satisfy 0 < shed_debug_fill ({shed_debug_fill}) <= "
                f"kill_switch_fill ({kill_switch_fill}) < 1; fix them in the ingest section of huracan.yaml"
            )
        return cls(capacity, int(capacity * shed_debug_fill), int(capacity * kill_switch_fill))

    def tier(self, fill: int) -> Tier:
        if fill >= self.kill_switch:
            return Tier.KILL_SWITCH
        if fill >= self.shed_debug:
            return Tier.SHED_DEBUG
        return Tier.OK

    def admits(self, fill: int, rank: int) -> bool:
        """Whether an event of severity index ``rank`` may enter a queue holding ``fill``."""
        if fill >= self.capacity:
            return False
        if fill >= self.kill_switch:
            return rank >= ERROR
        if fill >= self.shed_debug:
            return rank > DEBUG
        return True


def admit_batch(ranks: npt.NDArray[np.int8], fill: int, limits: Limits) -> tuple[npt.NDArray[np.bool_], int]:
    """Decide, in order, which events of a batch enter a queue now holding ``fill``.

    Returns ``(admitted mask, index of the first event that met a full queue)``: rows
    from that index on that are not admitted found no room at all (the caller sends
    their CRITICAL ones to the spool). The result equals calling :meth:`Limits.admits`
    event by event while counting admissions, without a Python loop.

    >>> lim = Limits(capacity=10, shed_debug=8, kill_switch=9)
    >>> mask, full_at = admit_batch(np.array([1, 0, 1, 0, 3, 4, 4], dtype=np.int8), 7, lim)
    >>> mask.tolist(), full_at
    ([True, False, True, False, True, False, False], 5)
    """
    n = len(ranks)
    mask = np.zeros(n, dtype=np.bool_)
    pos = 0
    for limit, min_rank in ((limits.shed_debug, DEBUG), (limits.kill_switch, INFO), (limits.capacity, ERROR)):
        room = limit - fill
        if room <= 0 or pos >= n:
            continue
        eligible = ranks[pos:] >= min_rank
        taken = np.cumsum(eligible)
        chosen = eligible & (taken <= room)
        mask[pos:] |= chosen
        k = int(taken[-1]) if len(taken) else 0
        if k < room:  # every eligible row fitted: the rest of the batch is settled in this tier
            return mask, n
        # The tier filled up at the room-th eligible row; later rows meet the next tier.
        last = int(np.searchsorted(taken, room))
        fill += room
        pos += last + 1
    return mask, pos
