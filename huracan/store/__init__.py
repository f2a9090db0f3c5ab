"""Event storage: the hot DuckDB tier, the cold Delta Lake archive, one query surface.

>>> from huracan.store import Store          # doctest: +SKIP
>>> store = Store.open(settings)             # the single writer; read_only=True for readers
>>> store.write_events(events)
>>> store.query("SELECT count(*) AS n FROM v_signal WHERE day = ?", [day])

Other modules of this package (journal, learning tables, model registry) build on it.
"""

from huracan.store.cold import ArchiveUnavailable, ColdArchive, ColdTable
from huracan.store.hot import StoreLockedError
from huracan.store.roll import RolledTable, RollReport
from huracan.store.schema import arrow_schema, events_to_arrow
from huracan.store.store import Store, StoreClosedError

__all__ = [
    "ArchiveUnavailable",
    "ColdArchive",
    "ColdTable",
    "RollReport",
    "RolledTable",
    "Store",
    "StoreClosedError",
    "StoreLockedError",
    "arrow_schema",
    "events_to_arrow",
]
