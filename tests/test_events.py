from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from huracan.events import (
    EVENT_ADAPTER,
    EVENT_TYPES,
    GateDecision,
    LeakageError,
    ShadowOutcome,
    Signal,
    TrainingSample,
    check_training_samples,
    format_validation_error,
    parse_event,
    register_gate,
)
from huracan.samples import sample_events

T0 = datetime(2025, 11, 6, 12, tzinfo=UTC)


@given(etype=st.sampled_from(sorted(EVENT_TYPES)), seed=st.integers(0, 10_000))
@settings(max_examples=150, deadline=None)
def test_any_valid_event_survives_a_json_round_trip(etype: str, seed: int) -> None:
    (event,) = sample_events(etype, n=1, seed=seed)
    assert parse_event(event.model_dump_json()) == event
    assert parse_event(json.loads(event.model_dump_json())) == event


finite_bad = st.sampled_from([float("nan"), float("inf"), float("-inf")])


@given(bad=finite_bad)
def test_non_finite_floats_are_rejected_with_their_path(bad: float) -> None:
    (sig,) = sample_events("signal", seed=3)
    data = sig.model_dump(mode="python")
    data["features"] = {"volatility_1h": bad}
    with pytest.raises(ValidationError) as exc:
        parse_event(data)
    assert any(line.startswith("features.volatility_1h:") for line in format_validation_error(exc.value))


@given(p=st.one_of(st.floats(max_value=-1e-9, allow_nan=False), st.floats(min_value=1.000001, allow_nan=False)))
def test_probabilities_outside_unit_interval_are_rejected(p: float) -> None:
    (sig,) = sample_events("signal", seed=1)
    data = sig.model_dump()
    data["confidence"] = p
    with pytest.raises(ValidationError) as exc:
        parse_event(data)
    assert format_validation_error(exc.value)[0].startswith("confidence:")


@given(field=st.sampled_from(["price", "symbol", "side", "mode", "regime"]))
def test_broken_fields_name_their_path(field: str) -> None:
    (sig,) = sample_events("signal", seed=2)
    data = sig.model_dump()
    data[field] = {"price": -5.0, "symbol": "", "side": "sideways", "mode": "swing", "regime": ""}[field]
    with pytest.raises(ValidationError) as exc:
        parse_event(data)
    assert any(line.startswith(f"{field}:") for line in format_validation_error(exc.value))


def test_naive_timestamps_are_rejected_and_other_zones_normalised_to_utc() -> None:
    base = dict(signal_id="s", symbol="BTC-USD", mode="scalp", regime="trend", side="long", price=1.0, confidence=0.5)
    with pytest.raises(ValidationError) as exc:
        Signal(ts=datetime(2025, 1, 1), **base)
    assert "ts: Input should have timezone info" in format_validation_error(exc.value)[0]
    assert "timezone.utc" in format_validation_error(exc.value)[0]
    from datetime import timezone

    s = Signal(ts=datetime(2025, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))), **base)
    assert s.ts == datetime(2025, 1, 1, tzinfo=UTC) and s.ts.utcoffset() == timedelta(0)


def test_unknown_gate_is_rejected_until_a_plugin_registers_it() -> None:
    kw = dict(signal_id="s", mode="scalp", passed=True, value=1.0, threshold=0.5, direction="above")
    name = f"test_gate_{uuid.uuid4().hex[:8]}"  # the registry is process-wide: a name no other test used
    with pytest.raises(ValidationError, match=f"unknown gate '{name}'"):
        GateDecision(gate=name, **kw)
    register_gate(name)
    assert GateDecision(gate=name, **kw).gate == name


def test_gate_decision_must_agree_with_its_threshold() -> None:
    with pytest.raises(ValidationError, match="contradicts"):
        GateDecision(
            signal_id="s", gate="spread_gate", mode="scalp", passed=True, value=9.0, threshold=6.0, direction="below"
        )


def _outcome(**kw: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        type="shadow_outcome",
        event_id="ev-1",
        signal_id="s1",
        trade_id="t1",
        symbol="ETH-USD",
        mode="scalp",
        regime="trend",
        side="long",
        entry_price=100.0,
        exit_price=101.0,
        return_bps=100.0,
        win=True,
        holding_seconds=60,
        decision_timestamp=T0.isoformat(),
        label_cutoff_timestamp=(T0 + timedelta(minutes=1)).isoformat(),
    )
    base.update(kw)
    return base


def test_leakage_rule_names_the_event_and_both_timestamps() -> None:
    later = T0 + timedelta(hours=1)
    with pytest.raises(ValidationError) as exc:
        parse_event(_outcome(decision_timestamp=later.isoformat()))
    msg = str(exc.value)
    assert "ev-1" in msg and later.isoformat() in msg and (T0 + timedelta(minutes=1)).isoformat() in msg


def test_training_sample_that_saw_the_future_is_rejected() -> None:
    s = TrainingSample(
        sample_id="x1",
        decision_timestamp=T0,
        label_cutoff_timestamp=T0 + timedelta(hours=2),
        features={"a": 1.0},
        label=1,
    )
    check_training_samples([s], trained_at=T0 + timedelta(hours=3))
    with pytest.raises(LeakageError, match="x1"):
        check_training_samples([s], trained_at=T0 + timedelta(hours=1))


def test_v1_shadow_outcome_is_upgraded_on_read() -> None:
    v1 = _outcome(schema_version=1, pnl_pct=1.25)
    v1.pop("return_bps")
    ev = parse_event(v1)
    assert isinstance(ev, ShadowOutcome)
    assert ev.schema_version == 2 and ev.return_bps == pytest.approx(125.0) and ev.counterfactual is False


def test_counterfactual_needs_the_blocking_gates() -> None:
    with pytest.raises(ValidationError, match="blocked_by"):
        parse_event(_outcome(trade_id=None, counterfactual=True))
    ev = parse_event(_outcome(trade_id=None, counterfactual=True, blocked_by=["cost_gate"]))
    assert isinstance(ev, ShadowOutcome) and ev.blocked_by == ["cost_gate"]


def test_json_schema_covers_every_type() -> None:
    schema = json.dumps(EVENT_ADAPTER.json_schema())
    for t in EVENT_TYPES:
        assert f'"{t}"' in schema
