"""Stored rows of any schema version, brought to the current one on their way to the archive.

The archive holds the current version only (issue 15): the Delta tables are read by SQL
here and by Spark, Trino and Polars elsewhere, and none of them can run the Python
upgrades registered in :mod:`huracan.events`. So rows are upgraded when they are written
to the archive (by the roll and by ``huracan store migrate``), with those same registered
functions: current rows pass through vectorised, and only older rows go through
:func:`huracan.events.parse_event` one by one.

Example::

    >>> import pyarrow as pa
    >>> from huracan.samples import sample_events
    >>> from huracan.store.schema import events_to_arrow
    >>> t = events_to_arrow(list(sample_events("signal", n=2)))
    >>> current_rows(t.to_batches()[0], "signal").schema == archive_schema("signal")
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from huracan.events import EVENT_TYPES
from huracan.store.schema import ENVELOPE, arrow_schema, events_to_arrow, rows_to_events

__all__ = ["UpgradeError", "archive_schema", "current_reader", "current_rows"]


class UpgradeError(ValueError):
    """A stored row of an older schema version cannot be upgraded to the current one."""


@cache
def archive_schema(event_type: str) -> pa.Schema:
    """The archive's (Delta table's) schema of ``event_type``: :func:`arrow_schema`, with
    every model field nullable.

    The envelope and ``day`` stay NOT NULL. Model fields come and go between schema
    versions, and a Delta table enforces NOT NULL on every later write: a field a newer
    release drops would make its own archive unwritable.
    """
    keep = {*ENVELOPE, "day"}
    return pa.schema([f if f.name in keep else f.with_nullable(True) for f in arrow_schema(event_type)])


def current_rows(batch: pa.RecordBatch | pa.Table, event_type: str) -> pa.Table:
    """``batch`` (rows of ``event_type`` as stored, any version) in :func:`archive_schema`.

    Columns are matched by name; a column the batch lacks is null (a field newer than the
    rows); a column the schema lacks is dropped once the upgrade has consumed it.
    """
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    target = archive_schema(event_type)
    current = EVENT_TYPES[event_type].CURRENT_VERSION
    if "schema_version" in table.column_names and table.num_rows:
        old = pc.fill_null(pc.less(table["schema_version"], current), True)
        if pc.any(old).as_py():
            fresh = _conform(table.filter(pc.invert(old)), target, event_type)
            return pa.concat_tables([fresh, _upgrade(table.filter(old), target, event_type)])
    return _conform(table, target, event_type)


def current_reader(batches: Iterable[pa.RecordBatch | pa.Table], event_type: str) -> pa.RecordBatchReader:
    """A reader of ``batches`` through :func:`current_rows`: streams, one batch at a time."""
    schema = archive_schema(event_type)

    def gen() -> Iterator[pa.RecordBatch]:
        for b in batches:
            if b.num_rows:
                rows = current_rows(b, event_type)
                # A batch that differs from the declared schema would crash a native reader.
                if not rows.schema.equals(schema):
                    raise UpgradeError(f"{event_type}: the archive schema changed while writing")
                yield from rows.to_batches()

    return pa.RecordBatchReader.from_batches(schema, gen())


def _conform(table: pa.Table, target: pa.Schema, event_type: str) -> pa.Table:
    cols = []
    for f in target:
        if f.name in table.column_names:
            col = table[f.name]
        elif f.name == "type":
            col = pa.array([event_type] * table.num_rows, pa.string())
        elif f.name == "day" and "ts" in table.column_names:
            col = pc.cast(table["ts"], pa.date32())
        else:
            col = pa.nulls(table.num_rows, f.type)
        cols.append(col)
    try:
        return _cast(cols, target)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise UpgradeError(f"{event_type} rows do not fit the archive schema: {exc}") from None


def _cast(cols: list[pa.Array | pa.ChunkedArray], target: pa.Schema) -> pa.Table:
    arrays = [c.cast(f.type) for c, f in zip(cols, target, strict=True)]
    for c, f in zip(arrays, target, strict=True):
        if not f.nullable and c.null_count:
            raise pa.ArrowInvalid(f"column {f.name!r} holds {c.null_count} null(s) but may not be null")
    return pa.Table.from_arrays(arrays, schema=target)


def _upgrade(table: pa.Table, target: pa.Schema, event_type: str) -> pa.Table:
    events = []
    for i in range(0, table.num_rows, 10_000):
        chunk = table.slice(i, 10_000).drop_columns([c for c in ("day",) if c in table.column_names])
        it = rows_to_events(chunk, event_type)
        for n in range(chunk.num_rows):
            try:
                events.append(next(it))
            except ValueError as exc:  # pydantic's ValidationError is a ValueError
                eid = chunk["event_id"][n].as_py() if "event_id" in chunk.column_names else "?"
                raise UpgradeError(
                    f"{event_type} event {eid!r} of an older schema version cannot be upgraded: {exc}"
                ) from None
    return _conform(events_to_arrow(events, event_type), target, event_type)
