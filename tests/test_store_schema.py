"""Arrow schemas derived from the event models, and the event <-> Arrow round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from huracan.events import EVENT_TYPES, ConfigChange, ShadowOutcome
from huracan.samples import sample_events
from huracan.store.schema import (
    ENVELOPE,
    arrow_schema,
    column_kinds,
    events_to_arrow,
    group_by_type,
    row_to_payload,
    rows_to_events,
)

TS = pa.timestamp("us", tz="UTC")


def test_envelope_first_then_fields_in_declaration_order_then_day() -> None:
    schema = arrow_schema("signal")
    assert schema.names[: len(ENVELOPE)] == list(ENVELOPE)
    assert schema.names[len(ENVELOPE) :] == [
        "signal_id",
        "symbol",
        "mode",
        "regime",
        "side",
        "price",
        "confidence",
        "features",
        "day",
    ]
    assert schema.field("schema_version").type == pa.int32()
    assert schema.field("ts").type == TS
    assert schema.field("price").type == pa.float64()
    assert schema.field("features").type == pa.string()  # JSON text
    assert schema.field("day").type == pa.date32()


@pytest.mark.parametrize(
    ("etype", "column", "kind", "arrow_type", "nullable"),
    [
        ("gate_decision", "passed", "bool", pa.bool_(), False),
        ("gate_decision", "model_id", "string", pa.string(), True),
        ("training_session", "samples_shadow", "int", pa.int64(), False),
        ("training_session", "trained_at", "timestamp", TS, False),
        ("shadow_trade", "predicted_win_prob", "float", pa.float64(), True),
        ("model_registered", "size_bytes", "int", pa.int64(), True),
        ("shadow_outcome", "blocked_by", "json", pa.string(), True),
        ("shadow_outcome", "exit_reason", "string", pa.string(), False),  # Literal of str
        ("config_change", "old_value", "json", pa.string(), True),  # union of scalars keeps its JSON type
        ("calibration", "bins", "json", pa.string(), True),  # list of sub-models
        ("decision_trace", "spans", "json", pa.string(), True),
    ],
)
def test_field_types_map_as_the_contract_says(
    etype: str, column: str, kind: str, arrow_type: pa.DataType, nullable: bool
) -> None:
    assert column_kinds(etype)[column] == kind
    field = arrow_schema(etype).field(column)
    assert field.type == arrow_type
    assert field.nullable is nullable


@pytest.mark.parametrize("etype", sorted(EVENT_TYPES))
def test_every_type_round_trips_through_arrow(etype: str) -> None:
    events = list(sample_events(etype, n=25, seed=3))
    table = events_to_arrow(events)
    assert table.schema == arrow_schema(etype)
    back = list(rows_to_events(table, etype))
    assert sorted(back, key=lambda e: e.event_id) == sorted(events, key=lambda e: e.event_id)


def test_rows_are_sorted_by_ts_and_day_is_the_utc_day() -> None:
    base = datetime(2025, 11, 6, 23, 59, 59, tzinfo=UTC)
    events = [
        next(sample_events("alert", seed=i)).model_copy(update={"ts": base + timedelta(seconds=i)})
        for i in (3, 1, 2, 0)
    ]
    table = events_to_arrow(events)
    ts = table.column("ts").to_pylist()
    assert ts == sorted(ts)
    assert [d.isoformat() for d in table.column("day").to_pylist()] == [
        "2025-11-06",
        "2025-11-07",
        "2025-11-07",
        "2025-11-07",
    ]


def test_nested_values_are_json_text_and_none_is_the_text_null() -> None:
    change = ConfigChange(key="k", old_value=None, new_value=0.5, author="me")
    table = events_to_arrow([change])
    assert table.column("old_value").to_pylist() == ["null"]
    assert table.column("new_value").to_pylist() == ["0.5"]
    assert list(rows_to_events(table, "config_change")) == [change]
    sig = next(sample_events("signal"))
    assert table.num_rows == 1
    assert events_to_arrow([sig]).column("features")[0].as_py().startswith("{")


def test_mixed_types_are_refused_with_the_offending_event() -> None:
    events = [*sample_events("signal", n=2), next(sample_events("alert"))]
    with pytest.raises(ValueError, match=r"event 2 \(.*\) is 'alert'.*group_by_type"):
        events_to_arrow(events)
    assert {t: len(v) for t, v in group_by_type(events).items()} == {"signal": 2, "alert": 1}
    with pytest.raises(ValueError, match="empty"):
        events_to_arrow([])
    assert events_to_arrow([], "alert").num_rows == 0


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown event type 'nope'; known types: alert"):
        arrow_schema("nope")


def test_a_v1_row_is_upgraded_on_read() -> None:
    """NULL columns are absent fields; the v1 -> v2 upgrade fills return_bps from pnl_pct."""
    now = datetime(2025, 11, 1, tzinfo=UTC)
    row = {
        "event_id": "old-1",
        "type": "shadow_outcome",
        "schema_version": 1,
        "ts": now,
        "severity": "INFO",
        "source": "engine",
        "decision_timestamp": now,
        "label_cutoff_timestamp": now,
        "signal_id": "s",
        "trade_id": "t",
        "symbol": "BTC-USD",
        "mode": "scalp",
        "regime": "trend",
        "side": "long",
        "entry_price": 100.0,
        "exit_price": 101.0,
        "pnl_pct": 1.0,
        "return_bps": None,
        "counterfactual": None,
        "blocked_by": None,
        "win": True,
        "holding_seconds": 60.0,
        "day": now.date(),
    }
    payload = row_to_payload(row, "shadow_outcome")
    assert "return_bps" not in payload and "day" not in payload
    [event] = rows_to_events(pa.Table.from_pylist([row]), "shadow_outcome")
    assert isinstance(event, ShadowOutcome)
    assert event.schema_version == 2 and event.return_bps == 100.0 and event.blocked_by == []


def test_pydantic_datetime_annotations_are_timestamps() -> None:
    from typing import Annotated

    from pydantic import AfterValidator, AwareDatetime

    from huracan.store.schema import _classify

    assert _classify(Annotated[AwareDatetime, AfterValidator(lambda v: v)]) == ("timestamp", False)
    assert _classify(AwareDatetime | None) == ("timestamp", True)
