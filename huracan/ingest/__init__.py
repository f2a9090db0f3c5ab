"""Ingest: the never-blocking :class:`EventLogger`, its disk :class:`Spool`, and the
:class:`QueueMonitor` that turns queue health into alerts.

>>> from huracan.ingest import EventLogger, MemorySink
>>> log = EventLogger(MemorySink()).start()
>>> log.close()
True
"""

from huracan.ingest.logger import EventLogger, TierListener
from huracan.ingest.monitor import HealthReport, QueueMonitor
from huracan.ingest.sinks import ArrowSink, EventSink, MemorySink
from huracan.ingest.spool import ReplayReport, Spool, SpoolLockedError
from huracan.ingest.tiers import Health, Limits, Tier

__all__ = [
    "ArrowSink",
    "EventLogger",
    "EventSink",
    "Health",
    "HealthReport",
    "Limits",
    "MemorySink",
    "QueueMonitor",
    "ReplayReport",
    "Spool",
    "SpoolLockedError",
    "Tier",
    "TierListener",
]
