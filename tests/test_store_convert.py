"""The fast event -> Arrow conversion equals a plain per-value one, and round-trips.

Events are fuzzed field by field (any text, any zone and microsecond, extreme dates,
optional fields at None, other floats), each candidate re-validated so only valid
events are used.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import to_json

from huracan.events import EVENT_TYPES, EventBase
from huracan.samples import sample_events
from huracan.store.schema import arrow_schema, column_kinds, dicts_to_arrow, events_to_arrow, rows_to_events

aware = st.builds(
    lambda dt, minutes: dt.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30)),
    st.integers(-23 * 60, 23 * 60),
)
any_value = st.one_of(
    st.text(min_size=1, max_size=40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**62), 2**62),
    st.none(),
    st.booleans(),
    aware,
)


def reference_table(events: list[EventBase], etype: str) -> pa.Table:
    """The obvious conversion: one model_dump per event, one pyarrow call per column."""
    schema = arrow_schema(etype)
    dumps = [dict(e) for e in events]
    arrays = []
    for name, kind in column_kinds(etype).items():
        values = [d[name] for d in dumps]
        if kind == "json":
            values = [to_json(v).decode() for v in values]
        arrays.append(pa.array(values, type=schema.field(name).type))
    arrays.append(pc.cast(arrays[3], pa.date32()))
    return pa.Table.from_arrays(arrays, schema=schema).sort_by([("ts", "ascending")])


def fuzz(event: EventBase, data: st.DataObject) -> EventBase:
    cls = type(event)
    payload: dict[str, Any] = dict(event)
    for name in cls.model_fields:
        # type and schema_version are not data: another version would be upgraded on read
        if name in ("type", "schema_version") or not data.draw(st.booleans(), label=f"fuzz {name}"):
            continue
        candidate = dict(payload, **{name: data.draw(any_value, label=name)})
        try:
            cls.model_validate(candidate)
        except ValidationError:
            continue
        payload = candidate
    return cls.model_validate(payload)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(etype=st.sampled_from(sorted(EVENT_TYPES)), seed=st.integers(0, 1000), data=st.data())
def test_fast_conversion_equals_the_plain_one_and_round_trips(etype: str, seed: int, data: st.DataObject) -> None:
    events = [fuzz(e, data) for e in sample_events(etype, n=6, seed=seed)]
    table = events_to_arrow(events)
    expected = reference_table(events, etype)
    assert table.sort_by([("ts", "ascending")]).equals(expected)
    assert dicts_to_arrow([e.__dict__ for e in events], etype).equals(table)
    back = sorted(rows_to_events(table, etype), key=lambda e: (e.ts, e.event_id))
    assert back == sorted(events, key=lambda e: (e.ts, e.event_id))


def test_timestamps_in_other_zones_and_naive_construct_values_convert_like_pyarrow() -> None:
    [sig] = sample_events("signal", n=1)
    plus5 = timezone(timedelta(hours=5))
    odd = sig.model_copy(update={"ts": datetime(2025, 1, 1, 3, 0, 0, 7, tzinfo=plus5)})
    # model_construct skips validation: a naive ts takes pyarrow's path (read as UTC).
    naive = sig.model_copy(update={"ts": datetime(2025, 1, 1, 0, 0, 1)})
    table = events_to_arrow([odd, naive])
    assert table.column("ts").to_pylist() == [
        datetime(2024, 12, 31, 22, 0, 0, 7, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC),
    ]
    assert [d.isoformat() for d in table.column("day").to_pylist()] == ["2024-12-31", "2025-01-01"]


def test_empty_and_optional_timestamp_columns() -> None:
    assert dicts_to_arrow([], "training_session").schema == arrow_schema("training_session")
    [reg] = sample_events("model_registered", n=1)
    assert events_to_arrow([reg.model_copy(update={"parent_model_id": None})]).column("parent_model_id").null_count == 1
