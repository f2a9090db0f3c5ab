"""JSON events straight to Arrow tables, without building event objects.

The daemon's ingest fast path. Every event class's own pydantic-core field schemas
(types, constraints, defaults, the mode/gate and UTC validators, field validators) are
reused unchanged inside a typed-dict schema, so a batch is validated in Rust into plain
dicts — no model instances. The model-level rules (``model_validator(mode="after")``:
gate consistency, leakage, outcome shape, ...) then run vectorised over the Arrow
columns, from :data:`MODEL_CHECKS`.

The fast path only ever *accepts* what :func:`huracan.events.parse_event` accepts, with
the same values: anything it cannot vouch for (a failed field, a broken model rule, an
old ``schema_version`` that needs an upgrade, a model validator it has no vectorised
form of) makes it answer ``None``, and the caller takes the line-by-line path, which
also produces the exact error messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic_core import CoreSchema, SchemaValidator, ValidationError, core_schema

from huracan.events import EVENT_CLASSES, EVENT_TYPES, EventBase, future_cutoff, known_gates, known_modes
from huracan.store.schema import dicts_to_arrow

__all__ = ["COLUMN_CHECKS", "MODEL_CHECKS", "ModelCheck", "fast_types", "model_checks", "passes", "validate_to_arrow"]

log = logging.getLogger("huracan.daemon.ingest")

_MIN_TS = pa.scalar(datetime.min.replace(tzinfo=UTC), pa.timestamp("us", tz="UTC"))
_MAX_TS = pa.scalar(datetime.max.replace(tzinfo=UTC), pa.timestamp("us", tz="UTC"))

#: ``check(table, rows) -> bools`` (True marks a row the model validator would reject).
ModelCheck = Callable[[pa.Table, Sequence[Any]], Any]


def _or(*masks: Any) -> Any:
    out = masks[0]
    for m in masks[1:]:
        out = pc.or_(out, m)
    return out


def _gate_consistent(t: pa.Table, _rows: Sequence[Mapping[str, Any]]) -> Any:
    above = pc.equal(t["direction"], "above")
    should = pc.if_else(above, pc.greater_equal(t["value"], t["threshold"]), pc.less_equal(t["value"], t["threshold"]))
    return pc.not_equal(should, t["passed"])


def _no_leakage(t: pa.Table, _rows: Sequence[Mapping[str, Any]]) -> Any:
    return pc.greater(t["decision_timestamp"], t["label_cutoff_timestamp"])


def _outcome_shape(t: pa.Table, _rows: Sequence[Mapping[str, Any]]) -> Any:
    cf = t["counterfactual"]
    return _or(
        pc.and_(cf, pc.equal(t["blocked_by"], "[]")),  # JSON text of an empty list
        pc.and_(pc.invert(cf), pc.is_null(t["trade_id"])),
        pc.not_equal(t["win"], pc.greater(t["return_bps"], 0.0)),
    )


def _no_future_data(t: pa.Table, _rows: Sequence[Mapping[str, Any]]) -> Any:
    return pc.greater(t["data_cutoff_timestamp"], t["trained_at"])


def _field(row: Any, name: str) -> Any:
    # Rows are dicts (pydantic-core's typed dicts) or msgspec structs (the wire decoder).
    return row[name] if type(row) is dict else getattr(row, name)


def _paired(_t: pa.Table, rows: Sequence[Any]) -> Any:
    return pa.array([len(_field(r, "predictions")) != len(_field(r, "outcomes")) for r in rows], type=pa.bool_())


def _same_model(t: pa.Table, _rows: Sequence[Mapping[str, Any]]) -> Any:
    return pc.not_equal(t["model_id"], t["verified_sha256"])


def _utc_in_range(col: Any) -> Any:
    # _to_utc (astimezone) raises OverflowError past datetime's range: let the slow path do that.
    return pc.or_(pc.less(col, _MIN_TS), pc.greater(col, _MAX_TS))


def _event_time(col: Any) -> Any:
    # An event's ts: in datetime's range, and not beyond the clock-skew allowance (#12).
    return pc.or_(_utc_in_range(col), pc.greater(col, pa.scalar(future_cutoff(), pa.timestamp("us", tz="UTC"))))


def _member(known: Callable[[], frozenset[str]]) -> Callable[[Any], Any]:
    def check(col: Any) -> Any:
        # Nulls pass: an optional name at None never reaches the validator.
        return pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=pa.array(sorted(known()), pa.string()))))

    return check


#: Vectorised forms of the field-level validators (AfterValidator / field_validator), by
#: ``__qualname__``: ``check(column) -> bools``, True marks a row the validator would reject.
COLUMN_CHECKS: dict[str, Callable[[Any], Any]] = {
    "_to_utc": _utc_in_range,  # the stored instant is the same in any zone
    "_event_time": _event_time,
    "_check_mode": _member(known_modes),
    "_check_gate": _member(known_gates),
    "DecisionTrace._spans": lambda col: pc.equal(col, "[]"),  # JSON text of an empty list
    "FeatureImportance._non_empty": lambda col: pc.equal(col, "{}"),
}


#: Vectorised forms of the events' model validators, by the validator's ``__qualname__``.
#: A type with a model validator missing here is validated as a model instead.
MODEL_CHECKS: dict[str, ModelCheck] = {
    "GateDecision._consistent": _gate_consistent,
    "LabelledEvent._no_leakage": _no_leakage,
    "ShadowOutcome._shape": _outcome_shape,
    "TrainingSession._no_future_data": _no_future_data,
    "Calibration._paired": _paired,
    "ModelLoaded._same": _same_model,
}


def model_checks(cls: type[EventBase]) -> tuple[Any, list[ModelCheck]] | None:
    """``cls``'s core schema under its model validators, and their vectorised forms.

    None when a model validator has no vectorised form in :data:`MODEL_CHECKS`.
    """
    schema: Any = cls.__pydantic_core_schema__
    checks: list[ModelCheck] = []
    while schema["type"] == "function-after":
        fn = schema["function"]
        check = MODEL_CHECKS.get(getattr(fn.get("function"), "__qualname__", ""))
        if fn.get("type") != "no-info" or check is None:
            return None
        checks.append(check)
        schema = schema["schema"]
    return schema, checks


def _as_typed_dict(cls: type[EventBase]) -> tuple[CoreSchema, tuple[ModelCheck, ...]] | None:
    """``cls``'s fields as a typed-dict schema plus its model checks; None if unsupported."""
    peeled = model_checks(cls)
    if peeled is None:
        return None
    schema, checks = peeled
    if schema["type"] != "model" or schema.get("custom_init") or schema.get("root_model") or schema.get("post_init"):
        return None
    fields = schema["schema"]
    if fields["type"] != "model-fields" or fields.get("computed_fields") or fields.get("extras_schema"):
        return None
    config = dict(schema.get("config", {}))
    td_fields = {}
    for name, f in fields["fields"].items():
        field_schema, col_check = _strip(f["schema"])
        if col_check is not None:
            checks.append(_on_column(name, col_check))
        field_schema = _nested_as_dicts(field_schema)
        # A field is optional exactly when its schema carries a default (as in a model).
        td_fields[name] = core_schema.typed_dict_field(field_schema, required=field_schema["type"] != "default")
    behaviour = config.get("extra_fields_behavior", "ignore")
    return core_schema.typed_dict_schema(td_fields, extra_behavior=behaviour, config=config), tuple(checks)  # type: ignore[arg-type]


def _nested_as_dicts(schema: Any) -> Any:
    """Sub-models (e.g. a trace's spans) validated as dicts too: they only become JSON text.

    pydantic-core emits a typed dict's keys in field order, as a model serialises, so the
    JSON is the same. Only plain sub-models (no validators of their own) are converted,
    and nothing under a Python validator, which may expect model objects.
    """
    kind = schema["type"]
    if kind == "model":
        fields = schema["schema"]
        if schema.get("custom_init") or schema.get("root_model") or schema.get("post_init"):
            return schema
        if fields["type"] != "model-fields" or fields.get("computed_fields") or fields.get("extras_schema"):
            return schema
        config = dict(schema.get("config", {}))
        return core_schema.typed_dict_schema(
            {
                name: core_schema.typed_dict_field(
                    _nested_as_dicts(f["schema"]), required=f["schema"]["type"] != "default"
                )
                for name, f in fields["fields"].items()
            },
            extra_behavior=config.get("extra_fields_behavior", "ignore"),
            config=config,  # type: ignore[arg-type]
        )
    if kind.startswith("function-"):
        return schema
    out = dict(schema)
    for key in ("schema", "items_schema", "keys_schema", "values_schema"):
        if key in out:
            out[key] = _nested_as_dicts(out[key])
    return out


def _on_column(name: str, check: Callable[[Any], Any]) -> ModelCheck:
    return lambda table, _rows: check(table[name])


def _strip(schema: Any) -> tuple[Any, Callable[[Any], Any] | None]:
    """Remove one top-level Python validator of a field that has a vectorised form.

    Looks through ``default`` and ``nullable`` wrappers (so the check sees defaults too,
    which can only send a batch to the slow path, never wrongly accept it). Validators
    nested deeper (e.g. inside a list) stay in the schema and run as written.
    """
    kind = schema["type"]
    if kind in ("default", "nullable"):
        inner, check = _strip(schema["schema"])
        return (dict(schema, schema=inner), check) if check is not None else (schema, None)
    if kind == "function-after" and schema["function"].get("type") == "no-info":
        check = COLUMN_CHECKS.get(getattr(schema["function"]["function"], "__qualname__", ""))
        if check is not None and _strip(schema["schema"])[1] is None:
            return schema["schema"], check
    return schema, None


@dataclass(frozen=True)
class _Fast:
    validator: SchemaValidator
    checks: dict[str, tuple[ModelCheck, ...]]
    as_dicts: frozenset[str]


@cache
def _fast() -> _Fast | None:
    choices: dict[str, CoreSchema] = {}
    checks: dict[str, tuple[ModelCheck, ...]] = {}
    as_dicts = set()
    for cls in EVENT_CLASSES:
        tag = cls.model_fields["type"].default
        derived = _as_typed_dict(cls)
        if derived is None:
            choices[tag] = cls.__pydantic_core_schema__  # model objects: every rule runs as written
            checks[tag] = ()
        else:
            choices[tag], checks[tag] = derived
            as_dicts.add(tag)
    try:
        union = core_schema.tagged_union_schema(choices, discriminator="type")
        return _Fast(SchemaValidator(core_schema.list_schema(union)), checks, frozenset(as_dicts))
    except Exception as exc:  # a pydantic-core change we do not understand: stay correct, go slow
        log.warning("ingest fast path disabled (cannot derive typed-dict schemas: %s)", exc)
        return None


def fast_types() -> frozenset[str]:
    """Event types the fast path validates as dicts (the others as model objects)."""
    f = _fast()
    return frozenset() if f is None else f.as_dicts


def validate_to_arrow(json_array: bytes, expected: int | None) -> dict[str, pa.Table] | None:
    """Validate a JSON array of events into ``{type: table}``; None when any doubt.

    ``expected`` is how many events the caller framed (e.g. NDJSON lines): a different
    count (a line holding two values) also means None.

    >>> validate_to_arrow(b'[{"type": "nope"}]', 1) is None
    True
    """
    f = _fast()
    if f is None:
        return None
    try:
        items: list[Any] = f.validator.validate_json(json_array)
    except ValidationError:
        return None
    if expected is not None and len(items) != expected:
        return None
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        row = item if type(item) is dict else item.__dict__
        groups.setdefault(row["type"], []).append(row)
    tables: dict[str, pa.Table] = {}
    for etype, rows in groups.items():
        try:
            table = dicts_to_arrow(rows, etype)
        except (OverflowError, pa.ArrowException):
            # A value the store cannot hold (schema_version past int32): the line-by-line
            # path decides, after every per-line rule (a future ts) has had its say.
            return None
        if not passes(table, rows, etype, f.checks[etype]):
            return None
        tables[etype] = table
    return tables


def passes(table: pa.Table, rows: Sequence[Any], etype: str, checks: tuple[ModelCheck, ...]) -> bool:
    """True when no row of ``table`` breaks a rule (a model check, or an old ``schema_version``)."""
    # An older version needs parse_event's upgrade first: leave it to the slow path.
    bad = [pc.less(table["schema_version"], EVENT_TYPES[etype].CURRENT_VERSION)]
    # Only "any row broken?" matters, so a check may see the rows in arrival order and the
    # table sorted by ts. Unknown (null) counts as broken: the slow path decides.
    bad += [check(table, rows) for check in checks]
    return not any(pc.any(pc.fill_null(b, True)).as_py() for b in bad)
