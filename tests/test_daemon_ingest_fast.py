"""The columnar ingest fast path accepts exactly what parse_event accepts, with the same values.

Reference: the line-by-line path (``parse_batch``: ``parse_event`` per line) converted with
``events_to_arrow``. Bodies are real events with random damage per line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huracan.daemon import ingest_http
from huracan.daemon.ingest_fast import COLUMN_CHECKS, MODEL_CHECKS, fast_types, validate_to_arrow
from huracan.daemon.ingest_http import parse_batch, parse_columns
from huracan.events import EVENT_CLASSES, EVENT_TYPES
from huracan.samples import sample_events
from huracan.store.schema import events_to_arrow, group_by_type

POOL = {t: [e.model_dump(mode="json") for e in sample_events(t, n=4, seed=11)] for t in sorted(EVENT_TYPES)}

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["scalp", "runner", "cost_gate", "nope", "", "2025-11-06T08:00:00+05:00", "1e400", "above"]),
    st.builds(
        lambda m, h: (
            (datetime(2025, 11, 6, 8, tzinfo=UTC) + timedelta(minutes=m))
            .astimezone(timezone(timedelta(hours=h)))
            .isoformat()
        ),
        st.integers(-3000, 3000),
        st.integers(-12, 12),
    ),
    st.just([]),
    st.just({}),
)


@st.composite
def damaged_line(draw: st.DrawFn) -> str:
    etype = draw(st.sampled_from(sorted(POOL)))
    payload: dict[str, Any] = dict(draw(st.sampled_from(POOL[etype])))
    action = draw(st.sampled_from(["keep", "set", "set", "set", "drop", "extra", "flip", "flip", "name", "raw"]))
    # event_id and ts are never dropped: their defaults (a new uuid, now) differ per parse.
    fields = [k for k in payload if k not in ("type",)]
    if action == "set":
        payload[draw(st.sampled_from(fields))] = draw(json_scalar)
    elif action == "drop":
        droppable = [k for k in fields if k not in ("event_id", "ts")]
        if droppable:
            payload.pop(draw(st.sampled_from(droppable)))
    elif action == "extra":
        payload["unexpected"] = 1
    elif action == "flip":
        for key in ("passed", "win", "counterfactual"):
            if key in payload:
                payload[key] = not payload[key]
        if "decision_timestamp" in payload:
            payload["decision_timestamp"], payload["label_cutoff_timestamp"] = (
                payload["label_cutoff_timestamp"],
                payload["decision_timestamp"],
            )
    elif action == "name":  # an unregistered mode or gate name (the validators are vectorised)
        for key in ("mode", "gate"):
            if key in payload and draw(st.booleans()):
                payload[key] = draw(st.sampled_from(["nope", "Scalp", "cost_gate", "scalp", None]))
    elif action == "raw":
        return draw(st.sampled_from(["{broken", "[1]", '{"type": "nope"}', "1, 2", json.dumps(payload) + ", {}"]))
    return json.dumps(payload)


def reference(body: bytes, ctype: str) -> tuple[dict[str, pa.Table], list[dict[str, Any]]]:
    events, errors = parse_batch(body, ctype)
    return {t: events_to_arrow(g, t) for t, g in group_by_type(events).items()}, errors


def assert_same(body: bytes, ctype: str) -> None:
    try:
        expected_tables, expected_errors = reference(body, ctype)
    except ValueError as exc:
        # Not JSON, or a valid event the store cannot hold (schema_version past int32):
        # the whole body is refused either way, with the same error.
        with pytest.raises(type(exc)) as got:
            parse_columns(body, ctype)
        assert str(got.value) == str(exc)
        return
    batch = parse_columns(body, ctype)
    assert batch.errors == expected_errors
    assert sorted(batch.tables) == sorted(expected_tables)
    for etype, table in expected_tables.items():
        assert batch.tables[etype].equals(table), etype


valid_line = st.sampled_from([json.dumps(p) for t in sorted(POOL) for p in POOL[t]])


@st.composite
def body_lines(draw: st.DrawFn) -> list[str]:
    # Mostly valid lines and one damaged one: any damage sends the whole batch to the
    # slow path, so a fault of the fast path only shows when it is the batch's only one.
    lines = draw(st.lists(valid_line, max_size=4))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2]))):
        lines.insert(draw(st.integers(0, len(lines))), draw(damaged_line()))
    return lines


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=body_lines())
def test_ndjson_fast_path_equals_the_line_by_line_path(lines: list[str]) -> None:
    assert_same("\n".join(lines).encode(), "application/x-ndjson")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=body_lines())
def test_json_array_fast_path_equals_the_line_by_line_path(lines: list[str]) -> None:
    assert_same(("[" + ",".join(lines) + "]").encode(), "application/json")


def test_valid_batches_of_every_type_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [json.dumps(p) for t in sorted(POOL) for p in POOL[t]]

    def no_slow_path(*_: Any) -> Any:
        raise AssertionError("the fast path refused a valid batch")

    monkeypatch.setattr(ingest_http, "parse_batch", no_slow_path)
    batch = parse_columns("\n".join(lines).encode(), "application/x-ndjson")
    assert batch.accepted == len(lines) and sorted(batch.tables) == sorted(EVENT_TYPES)
    assert fast_types() == frozenset(EVENT_TYPES)  # every type validated as dicts, no objects


def test_every_python_validator_of_the_events_has_a_vectorised_form() -> None:
    # A new validator without one still works (that type is validated as a model), but
    # silently slower: this test says so.
    names = set()
    for cls in EVENT_CLASSES:
        decorators = cls.__pydantic_decorators__
        names |= {d.func.__qualname__ for d in decorators.model_validators.values()}
        names |= {d.func.__qualname__ for d in decorators.field_validators.values()}
    assert names <= set(MODEL_CHECKS) | set(COLUMN_CHECKS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(valid_line, min_size=1, max_size=4),
    seps=st.lists(st.sampled_from(["\n", "\r\n", "\n\n", "\n \n", "\n\t\n", " \n", "\n\x0c\n"]), min_size=4),
    tail=st.sampled_from(["", "\n", "\r\n", "\n\n  "]),
)
def test_ndjson_line_breaks_and_blank_lines_are_framed_like_the_line_by_line_path(
    lines: list[str], seps: list[str], tail: str
) -> None:
    # The plain "\n" framing is one replace; any other break or blank line takes the split.
    body = "".join(line + sep for line, sep in zip(lines, seps, strict=False))[: -len(seps[len(lines) - 1])] + tail
    assert_same(body.encode(), "application/x-ndjson")
    assert parse_columns(body.encode(), "application/x-ndjson").accepted == len(lines)


def test_a_line_holding_two_events_is_not_taken_as_two() -> None:
    one = json.dumps(POOL["signal"][0])
    assert validate_to_arrow(f"[{one},{one}]".encode(), 1) is None
    batch = parse_columns(f"{one}, {one}\n".encode(), "application/x-ndjson")
    assert batch.accepted == 0 and batch.errors[0]["line"] == 1


def test_feed_objects() -> None:
    lines = [json.dumps(p) for p in POOL["signal"] + POOL["alert"]]
    batch = parse_columns("\n".join(lines).encode(), "application/x-ndjson")
    assert [e.type for e in batch.events({"alert"})] == ["alert"] * len(POOL["alert"])


def test_resent_batches_land_once_across_days(tmp_path: Any) -> None:
    # No replay flag any more (issue 14): every batch is de-duplicated by event id on load.
    from huracan.config import load_config
    from huracan.daemon.service import Daemon
    from huracan.store import Store

    settings = load_config(data_dir=tmp_path)
    daemon = Daemon(settings)
    daemon.store = Store.open(settings)
    daemon._open_ingest_log()
    try:
        first = [dict(p) for p in POOL["signal"][:2]]
        first[1]["ts"] = "2025-11-09T23:59:59.999999Z"  # another day
        body = "\n".join(json.dumps(p) for p in first).encode()
        assert daemon.write_batch(parse_columns(body, "application/x-ndjson")) == 2
        daemon.loader.wait_loaded()
        more = "\n".join(json.dumps(p) for p in [*first, POOL["signal"][2]]).encode()
        assert daemon.write_batch(parse_columns(more, "application/x-ndjson")) == 3
        daemon.write_batch(parse_columns(more, "application/x-ndjson"))  # the same batch twice before a load
        assert daemon.loader.wait_loaded()
        assert daemon.store.counts() == {**dict.fromkeys(EVENT_TYPES, 0), "signal": 3}
        assert daemon.loader.stats()["duplicates"] == 5
    finally:
        daemon.loader.stop()
        daemon.ingest_log.close()
        daemon.store.close()
