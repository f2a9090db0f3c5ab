"""The msgspec wire decoder accepts only what parse_event accepts, with the same stored values.

Its types are generated from the pydantic schemas in ``huracan.events``: these tests hold
the generated decoder to the one definition. Property: for any body, if the wire decoder
answers, the line-by-line reference accepts every line and stores equal tables; and every
valid event of every type is taken by the wire decoder (so the speed is real).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huracan.daemon import ingest_fast, ingest_http
from huracan.daemon.ingest_http import parse_columns
from huracan.daemon.wire import decode_array, wire_types
from huracan.events import EVENT_TYPES
from tests.test_daemon_ingest_fast import POOL, damaged_line, reference

NEAR_MISSES: list[tuple[str, Any]] = [
    ("ts", "2025-11-06T08:00:00.1234567Z"),  # 7 digits: pydantic truncates, msgspec would round
    ("ts", "2025-11-06T08:00:00.9999999+00:00"),
    ("ts", "2025-11-06T08:00Z"),  # no seconds: pydantic takes it, msgspec not
    ("ts", "2025-11-06 08:00:00Z"),
    ("ts", "2025-11-06t08:00:00z"),
    ("ts", "2025-11-06T08:00:00"),  # naive
    ("ts", "2025-11-06T08:00:00,5Z"),
    ("ts", 1762416000),  # a unix time: pydantic's lax mode
    ("ts", "9999-12-31T23:59:59Z"),  # the future (issue 12)
    ("ts", "0001-01-01T00:00:00+05:00"),  # before datetime's range once in UTC
    ("ts", "0000-01-01T00:00:00Z"),  # year 0: Arrow's cast alone would take it
    ("ts", "2025-02-29T08:00:00Z"),
    ("ts", "2024-02-29T08:00:00.000001-23:59"),
    ("ts", "2025-11-06T08:00:60Z"),
    ("ts", "2025-11-06T24:00:00Z"),
    ("ts", "2025-11-06T08:00:00+24:00"),
    ("ts", "2025-11-06T08:00:00+05"),
    ("schema_version", 1.0),
    ("schema_version", "1"),
    ("schema_version", 2**31),
    ("schema_version", 2**64),
    ("price", "3120.5"),
    ("price", 0),
    ("price", 1e308),
    ("confidence", 1.0000000000000002),
    ("confidence", True),
    ("passed", 1),
    ("passed", "true"),
    ("signal_id", ""),
    ("signal_id", "x" * 200),
    ("signal_id", "x" * 201),
    ("signal_id", "é" * 200),  # characters, not bytes
    ("model_id", "a" * 64 + "\n"),  # $ in Python matches before a final newline, in pydantic not
    ("model_id", "A" * 64),
    ("severity", "info"),
    ("severity", "CRITICAL"),
    ("source", "hamilton"),
    ("features", {"x" * 201: 1.0}),
    ("features", {str(i): float(i) for i in range(1001)}),
    ("features", {"a": "1"}),
    ("features", {"a": 1}),
    ("blocked_by", ["cost_gate", "nope"]),
    ("blocked_by", ["cost_gate"] * 1001),
    ("old_value", "1"),
    ("old_value", 1),
    ("old_value", 1.5),
    ("old_value", True),
    ("old_value", None),
    ("old_value", "x" * 4001),
    ("spans", [{"name": "a", "start_offset_ms": 0, "duration_ms": 1, "extra": 1}]),
    ("spans", []),
    ("outcomes", [0, 1, 2]),
    ("outcomes", [0.0]),
    ("latency_ms", -0.0),
    ("value", -0.0),
]
near_miss = st.sampled_from(NEAR_MISSES)


@st.composite
def near_miss_line(draw: st.DrawFn) -> str:
    etype = draw(st.sampled_from(sorted(POOL)))
    payload: dict[str, Any] = dict(draw(st.sampled_from(POOL[etype])))
    key, value = draw(near_miss)
    if key in payload or draw(st.booleans()):
        payload[key] = value
    text = json.dumps(payload, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 9)) == 0:  # a duplicate key: the last one wins in both parsers
        text = text[:-1] + ', "severity": "ERROR"}'
    return text


valid_line = st.sampled_from([json.dumps(p) for t in sorted(POOL) for p in POOL[t]])


@st.composite
def body(draw: st.DrawFn) -> list[str]:
    lines = draw(st.lists(valid_line, max_size=3))
    for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
        line = draw(st.one_of(near_miss_line(), damaged_line()))
        lines.insert(draw(st.integers(0, len(lines))), line)
    return lines


def assert_wire_implies_reference(lines: list[str]) -> None:
    raw = "\n".join(lines).encode()
    got = decode_array(b"[" + b",".join(ln.encode() for ln in lines) + b"]", len(lines))
    if got is None:
        return  # declined: the next path decides (tested in test_daemon_ingest_fast)
    try:
        expected, errors = reference(raw, "application/x-ndjson")
    except ValueError as exc:  # valid to parse_event but not storable: the wire must not accept it
        raise AssertionError(f"wire accepted what the store refuses: {exc}") from None
    assert errors == [], f"wire accepted lines parse_event rejects: {errors}"
    assert sorted(got) == sorted(expected)
    for etype, table in expected.items():
        assert got[etype].equals(table), (etype, got[etype].to_pylist(), table.to_pylist())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=body())
def test_the_wire_decoder_only_accepts_what_parse_event_accepts_with_equal_values(lines: list[str]) -> None:
    assert_wire_implies_reference(lines)


@pytest.mark.parametrize("etype", sorted(EVENT_TYPES))
def test_every_near_miss_alone_is_decided_like_parse_event(etype: str) -> None:
    for key, value in NEAR_MISSES:
        payload = dict(POOL[etype][0], **{key: value})
        assert_wire_implies_reference([json.dumps(payload)])


def test_every_event_type_is_generated_and_valid_batches_never_reach_pydantic(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wire_types() == frozenset(EVENT_TYPES)
    lines = [json.dumps(p) for t in sorted(POOL) for p in POOL[t]]

    def refuse(*_: Any) -> Any:
        raise AssertionError("a valid batch left the wire decoder")

    monkeypatch.setattr(ingest_http, "validate_to_arrow", refuse)
    monkeypatch.setattr(ingest_http, "parse_batch", refuse)
    batch = parse_columns("\n".join(lines).encode(), "application/x-ndjson")
    assert batch.accepted == len(lines)
    expected, _ = reference("\n".join(lines).encode(), "application/x-ndjson")
    for etype, table in expected.items():
        assert batch.tables[etype].equals(table)


def test_the_caps_and_rules_of_events_py_hold_on_the_wire() -> None:
    sig = dict(POOL["signal"][0])
    cases = {
        "too long an id": dict(sig, signal_id="x" * 201),
        "too many features": dict(sig, features={str(i): 1.0 for i in range(1001)}),
        "an unknown mode": dict(sig, mode="nope"),
        "a future ts": dict(sig, ts=(datetime.now(UTC) + timedelta(hours=1)).isoformat()),
        "an extra field": dict(sig, unexpected=1),
    }
    for what, payload in cases.items():
        assert decode_array(json.dumps([payload]).encode(), 1) is None, what
        assert parse_columns(json.dumps(payload).encode(), "application/x-ndjson").accepted == 0, what
    gate = dict(POOL["gate_decision"][0])
    gate["passed"] = not gate["passed"]
    assert decode_array(json.dumps([gate]).encode(), 1) is None  # the model rule, vectorised


def test_the_generator_leaves_out_what_it_cannot_translate(monkeypatch: pytest.MonkeyPatch) -> None:
    # A validator with no vectorised form: that type goes to pydantic, the others stay fast.
    from huracan.daemon import wire

    monkeypatch.setitem(ingest_fast.COLUMN_CHECKS, "_check_mode", None)  # type: ignore[arg-type]
    monkeypatch.delitem(ingest_fast.COLUMN_CHECKS, "_check_mode")
    wire._wire.cache_clear()
    try:
        types = wire_types()
        assert "signal" not in types and "alert" in types
        line = json.dumps(POOL["signal"][0])
        assert decode_array(f"[{line}]".encode(), 1) is None
        assert parse_columns(line.encode(), "application/x-ndjson").accepted == 1
    finally:
        wire._wire.cache_clear()


# -- the producer's twin: plain payloads (log_dicts) --------------------------------------
def as_payload(line: str) -> Any:
    """A JSON line as an Engine holds it: times as aware datetimes where they parse."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return data
    for key in ("ts", "decision_timestamp", "label_cutoff_timestamp", "trained_at", "data_cutoff_timestamp"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                data[key] = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
    return data


def assert_convert_implies_reference(lines: list[str]) -> None:
    from huracan.daemon.wire import convert_payloads
    from huracan.events import parse_event
    from huracan.store.schema import events_to_arrow, group_by_type

    payloads = [as_payload(ln) for ln in lines]
    if not all(isinstance(p, dict) for p in payloads):
        return
    got = convert_payloads(payloads)
    if got is None:
        return
    events = [parse_event(dict(p)) for p in payloads]  # must not raise: the fast path accepted
    expected = {t: events_to_arrow(g, t) for t, g in group_by_type(events).items()}
    assert sorted(got) == sorted(expected)
    for etype, table in expected.items():
        assert got[etype].equals(table), (etype, got[etype].to_pylist(), table.to_pylist())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=body())
def test_log_dicts_fast_path_only_accepts_what_parse_event_accepts(lines: list[str]) -> None:
    assert_convert_implies_reference(lines)


def test_log_dicts_queues_valid_payloads_as_tables_and_refuses_a_bad_batch_whole() -> None:
    from huracan.ingest import EventLogger, MemorySink

    payloads = [as_payload(json.dumps(p)) for t in ("signal", "gate_decision") for p in POOL[t]]
    sink = MemorySink()
    with EventLogger(sink) as lg:
        assert lg.log_dicts(payloads) == len(payloads)
        bad = [*payloads, dict(payloads[0], mode="nope"), dict(payloads[1], price=-1)]
        with pytest.raises(ValueError, match=r"2 invalid payload\(s\), none queued: payload 8: mode: .*unknown mode"):
            lg.log_dicts(bad)
    assert sink.rows == len(payloads) and {t for t, _ in sink.tables} == {"signal", "gate_decision"}


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offset_min=st.integers(-(24 * 60 - 1), 24 * 60 - 1),
    digits=st.integers(0, 6),
    sep=st.sampled_from("T "),
)
def test_times_parsed_in_arrow_equal_pydantics(when: datetime, offset_min: int, digits: int, sep: str) -> None:
    # Plain RFC 3339 times are parsed by Arrow's cast in C: the same instant pydantic gives.
    import pyarrow as pa
    import pyarrow.compute as pc
    from pydantic import AwareDatetime, TypeAdapter

    from huracan.daemon.wire import _RFC3339, _timestamps

    sign, m = ("+" if offset_min >= 0 else "-"), abs(offset_min)
    frac = f".{when.microsecond:06d}"[: digits + 1] if digits else ""
    text = f"{when.year:04d}-{when:%m-%d}{sep}{when:%H:%M:%S}{frac}{sign}{m // 60:02d}:{m % 60:02d}"
    assert pc.all(pc.match_substring_regex(pa.array([text]), _RFC3339)).as_py()  # Arrow's way, not msgspec's
    expected = TypeAdapter(AwareDatetime).validate_python(text)
    got = _timestamps([text, None])
    assert got.null_count == 1
    assert got[0].value == (expected - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1), text


@pytest.mark.parametrize(
    "zone",
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(seconds=1, microseconds=7))],
    ids=["utc", "+05:30", "sub-second offset"],
)
def test_log_dicts_times_in_any_zone_are_stored_as_parse_event_stores_them(zone: Any) -> None:
    # UTC datetimes are converted by Arrow in C; any other zone exactly, in Python.
    payloads = [as_payload(json.dumps(p)) for p in POOL["signal"][:5]]
    for i, p in enumerate(payloads):
        p["ts"] = datetime(2025, 11, 6, 8, 0, i, 123457, tzinfo=UTC).astimezone(zone)
    from huracan.daemon.wire import convert_payloads
    from huracan.events import parse_event
    from huracan.store.schema import events_to_arrow

    got = convert_payloads(payloads)
    assert got is not None, "the fast path declined plain valid payloads"
    expected = events_to_arrow([parse_event(dict(p)) for p in payloads], "signal")
    assert got["signal"].equals(expected), (got["signal"]["ts"], expected["ts"])
