"""The wire decoder: msgspec types generated from :mod:`huracan.events`, JSON straight to Arrow.

The HTTP ingest path's first try (issue 14). msgspec decodes and checks a batch in C at
~1.5 µs per event, about 6x less than pydantic-core; the types it checks against are not
written by hand but generated here from each event class's own pydantic core schema:
string lengths and patterns, numeric bounds, literals, enums, aware datetimes, list and
map sizes, nested models and defaults are translated one to one. Python validators are
not translated: a field validator or model validator runs in its vectorised form from
:data:`huracan.daemon.ingest_fast.COLUMN_CHECKS` / ``MODEL_CHECKS`` over the Arrow
columns (the same forms the pydantic fast path uses), and a schema element the generator
does not know leaves its event type out of the fast path altogether.

The contract is the one of :mod:`huracan.daemon.ingest_fast`: this path only ever
*accepts* what :func:`huracan.events.parse_event` accepts, with the same stored values.
Whenever it cannot vouch for a batch — msgspec refuses it (msgspec is stricter than
pydantic's lax mode: ``1.0`` for an int, ``"1.5"`` for a float), a rule fails, a row is an
old ``schema_version``, a timestamp has more than 6 fractional digits (msgspec rounds
them, pydantic truncates), a string escapes a UTF-16 surrogate — it answers ``None`` and
the caller tries the next path, ending with the per-line path that words every error.
``tests/test_daemon_wire.py`` checks the contract by property test over generated valid
and invalid events.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import attrgetter
from typing import Annotated, Any, Literal, Union

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from huracan.daemon.ingest_fast import COLUMN_CHECKS, ModelCheck, model_checks, passes
from huracan.events import EVENT_CLASSES, EventBase
from huracan.store.schema import ENVELOPE, arrow_schema, column_kinds

__all__ = ["Unsupported", "convert_payloads", "decode_array", "wire_types"]

log = logging.getLogger("huracan.daemon.wire")

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_TS_TEXT = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
_AWARE_ONE = Annotated[datetime, msgspec.Meta(tz=True)]
_AWARE = list[_AWARE_ONE]
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: An RFC 3339 time Arrow's cast reads exactly as msgspec does (year 0000, which Arrow
#: alone accepts, is left out; so are lowercase letters, commas and 7+ fraction digits).
_RFC3339 = r"^(000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$"
_ONE_US = timedelta(microseconds=1)


class Unsupported(Exception):
    """A schema element the generator does not translate (its event type stays off this path)."""


def _pattern(p: str) -> str:
    # pydantic's (Rust) ``$`` is the end of the text; Python's also matches before a final
    # newline, so "abc\n" would pass ^[a-z]+$. \Z is Rust's $.
    return p[:-1] + r"\Z" if p.endswith("$") and not p.endswith(r"\$") else p


def _meta(schema: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    return {mkey: schema[skey] for skey, mkey in keys.items() if schema.get(skey) is not None}


_STR_KEYS = {"min_length": "min_length", "max_length": "max_length"}
_NUM_KEYS = {"ge": "ge", "gt": "gt", "le": "le", "lt": "lt", "multiple_of": "multiple_of"}
_KNOWN = {
    "str": {"type", "metadata", "min_length", "max_length", "pattern", "ref"},
    "float": {"type", "metadata", "ge", "gt", "le", "lt", "allow_inf_nan", "ref"},
    "int": {"type", "metadata", "ge", "gt", "le", "lt", "ref"},
    "bool": {"type", "metadata", "ref"},
    "datetime": {"type", "metadata", "tz_constraint", "microseconds_precision", "ref"},
    "list": {"type", "metadata", "items_schema", "min_length", "max_length", "ref"},
    "dict": {"type", "metadata", "keys_schema", "values_schema", "min_length", "max_length", "ref"},
}


@dataclass
class _Field:
    """A translated field: its msgspec type, and the vectorised checks of its Python validators.

    ``item_checks`` are the validators of a list's items: they run over every item of
    every row, flattened into one Arrow array.
    """

    tp: Any
    checks: list[Callable[[Any], Any]]
    item_checks: list[Callable[[Any], Any]] = field(default_factory=list)
    timestamp: bool = False


def _type(schema: dict[str, Any], top: bool, text_ts: bool = True) -> _Field:
    """Translate one core schema; ``top`` allows a validator (a field's own, or its list items').

    ``text_ts``: datetimes are decoded as text (JSON input) rather than as ``datetime``
    (Python payloads, which hold datetime objects).
    """
    kind = schema["type"]
    extra = set(schema) - _KNOWN.get(kind, set(schema))
    if extra - {"serialization", "strict"} or schema.get("strict"):
        raise Unsupported(f"{kind} with {sorted(extra)}")
    if kind == "str":
        meta = _meta(schema, _STR_KEYS)
        if schema.get("pattern"):
            meta["pattern"] = _pattern(schema["pattern"])
        return _Field(Annotated[str, msgspec.Meta(**meta)] if meta else str, [])
    if kind in ("float", "int"):
        meta = _meta(schema, _NUM_KEYS)
        base = float if kind == "float" else int
        # JSON has no NaN/Infinity and msgspec refuses out-of-range numbers, so a float
        # from msgspec is finite whatever allow_inf_nan says (pydantic may be laxer: fine).
        return _Field(Annotated[base, msgspec.Meta(**meta)] if meta else base, [])
    if kind == "bool":
        return _Field(bool, [])
    if kind == "datetime":
        if schema.get("tz_constraint") != "aware" or schema.get("microseconds_precision", "truncate") != "truncate":
            raise Unsupported("datetime other than aware")
        # Kept as text here and parsed per column (see _timestamps): msgspec rounds a 7th
        # fractional digit where pydantic truncates, which only the text shows.
        return _Field(_TS_TEXT if text_ts else _AWARE_ONE, [], timestamp=True)
    if kind == "literal":
        return _Field(Literal[tuple(schema["expected"])], [])
    if kind == "enum":
        if schema.get("sub_type") != "str" or schema.get("missing"):
            raise Unsupported("non-str enum")
        return _Field(schema["cls"], [])
    if kind == "nullable":
        inner = _type(schema["schema"], top, text_ts)
        return _Field(Union[inner.tp, None], inner.checks, inner.item_checks, inner.timestamp)  # noqa: UP007
    if kind == "list":
        items = _type(schema["items_schema"], top)
        if items.item_checks or items.timestamp:
            raise Unsupported("validator or datetime inside a nested list")
        meta = _meta(schema, _STR_KEYS)
        lst: Any = list[items.tp]  # type: ignore[name-defined]
        return _Field(Annotated[lst, msgspec.Meta(**meta)] if meta else lst, [], items.checks)
    if kind == "dict":
        k, v = _type(schema["keys_schema"], False), _type(schema["values_schema"], False)
        if k.item_checks or v.item_checks or k.timestamp or v.timestamp:
            raise Unsupported("validator inside a map")
        meta = _meta(schema, _STR_KEYS)
        dct: Any = dict[k.tp, v.tp]  # type: ignore[name-defined]
        return _Field(Annotated[dct, msgspec.Meta(**meta)] if meta else dct, [])
    if kind == "union":
        if schema.get("mode", "smart") != "smart":
            raise Unsupported("union mode")
        choices = [_type(c if isinstance(c, dict) else c[0], False) for c in schema["choices"]]
        if any(c.checks or c.item_checks or c.timestamp for c in choices):
            raise Unsupported("validator inside a union")
        return _Field(Union[tuple(c.tp for c in choices)], [])  # noqa: UP007
    if kind == "model":
        return _Field(_struct(schema, tag=None)[0], [])
    if kind == "function-after" and top and schema["function"].get("type") == "no-info":
        check = COLUMN_CHECKS.get(getattr(schema["function"]["function"], "__qualname__", ""))
        if check is None:
            raise Unsupported(f"validator {schema['function']['function']!r}")
        inner = _type(schema["schema"], top, text_ts)
        if inner.item_checks:
            raise Unsupported("validator over a list with validated items")
        return _Field(inner.tp, [*inner.checks, check], timestamp=inner.timestamp)
    raise Unsupported(kind)


def _struct(schema: dict[str, Any], tag: str | None, text_ts: bool = True) -> tuple[type, list[ModelCheck]]:
    """A msgspec Struct for a model schema, and its fields' checks (as model checks)."""
    if schema.get("custom_init") or schema.get("root_model") or schema.get("post_init"):
        raise Unsupported("model with custom init")
    fields_schema = schema["schema"]
    if fields_schema["type"] != "model-fields" or fields_schema.get("computed_fields"):
        raise Unsupported("model fields")
    config = schema.get("config", {})
    if config.get("extra_fields_behavior", "ignore") != "forbid" or config.get("strict"):
        raise Unsupported("models must forbid extra fields")
    fields: list[Any] = []
    checks: list[ModelCheck] = []
    for name, f in fields_schema["fields"].items():
        if f.get("validation_alias") or f.get("frozen") is False:
            raise Unsupported(f"field {name} options")
        if tag is not None and name == "type":
            continue  # the union's tag
        inner, default = f["schema"], msgspec.NODEFAULT
        if inner["type"] == "default":
            if inner.get("default_factory_takes_data") or inner.get("validate_default"):
                raise Unsupported(f"default of {name}")
            if "default_factory" in inner:
                default = msgspec.field(default_factory=inner["default_factory"])
            else:
                default = inner["default"]
            inner = inner["schema"]
        tf = _type(inner, top=tag is not None, text_ts=text_ts)
        if tf.timestamp != (tag is not None and column_kinds(tag).get(name) == "timestamp"):
            raise Unsupported(f"datetime in {name} is not a timestamp column")
        checks += [_on_column(name, c) for c in tf.checks] + [_on_items(name, c) for c in tf.item_checks]
        fields.append((name, tf.tp) if default is msgspec.NODEFAULT else (name, tf.tp, default))
    kwargs: dict[str, Any] = {"forbid_unknown_fields": True, "kw_only": True, "gc": False}
    if tag is not None:
        kwargs.update(tag_field="type", tag=tag)
    return msgspec.defstruct(schema.get("model_name", "Model"), fields, **kwargs), checks


def _event_struct(cls: type[EventBase], text_ts: bool) -> tuple[type, tuple[ModelCheck, ...]]:
    peeled = model_checks(cls)
    if peeled is None:
        raise Unsupported(f"a model validator of {cls.__name__} has no vectorised form")
    schema, checks = peeled
    if schema["type"] != "model":
        raise Unsupported(schema["type"])
    tag = cls.model_fields["type"].default
    struct, field_checks = _struct(schema, tag, text_ts)
    return struct, (*checks, *field_checks)


def _on_column(name: str, check: Callable[[Any], Any]) -> ModelCheck:
    return lambda table, _rows: check(table[name])


def _on_items(name: str, check: Callable[[Any], Any]) -> ModelCheck:
    def run(_table: pa.Table, rows: Sequence[Any]) -> Any:
        items = [x for r in rows for x in (getattr(r, name) or ())]
        return check(pa.array(items)) if items else pa.array([False])

    return run


@dataclass(frozen=True)
class _Plan:
    """How one type's decoded structs become its Arrow table."""

    event_type: str
    #: one getter per struct attribute, by name (``type`` left out): a column is
    #: ``list(map(getter, rows))``, 2.5× cheaper than transposing row tuples
    getters: dict[str, Callable[[Any], Any]]
    checks: tuple[ModelCheck, ...]


@dataclass(frozen=True)
class _Wire:
    decoder: msgspec.json.Decoder[Any]
    list_type: Any  # list[Union[structs]], for msgspec.convert
    plans: dict[type, _Plan]
    #: timestamp fields by event type (Python payloads: a text value there is left to pydantic)
    ts_fields: dict[str, tuple[str, ...]]


@cache
def _wire(text_ts: bool = True) -> _Wire | None:
    structs: list[type] = []
    plans: dict[type, _Plan] = {}
    ts_fields: dict[str, tuple[str, ...]] = {}
    for cls in EVENT_CLASSES:
        etype = cls.model_fields["type"].default
        try:
            struct, checks = _event_struct(cls, text_ts)
        except Unsupported as exc:
            log.info("event type %s is validated by pydantic, not the wire decoder: %s", etype, exc)
            continue
        kinds = column_kinds(etype)
        names = tuple(n for n in kinds if n != "type")
        structs.append(struct)
        plans[struct] = _Plan(etype, {n: attrgetter(n) for n in names}, checks)
        ts_fields[etype] = tuple(n for n, k in kinds.items() if k == "timestamp")
    if not structs:
        return None
    try:
        events: Any = Union[tuple(structs)]  # noqa: UP007 - built at run time
        decoder = msgspec.json.Decoder(list[events])
    except (TypeError, ValueError) as exc:  # a msgspec we do not understand: stay correct, go slow
        log.warning("wire decoder disabled: %s", exc)
        return None
    return _Wire(decoder, list[events], plans, ts_fields)


def wire_types() -> frozenset[str]:
    """Event types the wire decoder takes (the others go to pydantic)."""
    w = _wire()
    return frozenset() if w is None else frozenset(p.event_type for p in w.plans.values())


class _Doubt(Exception):
    """This batch is not for the fast path (the caller answers None)."""


def _timestamps(values: Sequence[Any]) -> pa.Array:
    """RFC 3339 texts or aware datetimes (or None) to ``timestamp[us, UTC]``, as pydantic would."""
    present = [v for v in values if v is not None]
    if present and type(present[0]) is str:
        text = pa.array(values, type=pa.string())
        if pc.all(pc.match_substring_regex(text, _RFC3339)).as_py():
            # The one plain shape: Arrow parses it in C to the same instant msgspec and
            # pydantic give (impossible dates and offsets are errors in all three; the
            # property test holds them together). Anything else takes msgspec's way.
            try:
                return pc.cast(text, _TIMESTAMP)
            except pa.ArrowInvalid:
                pass
        if pc.any(pc.match_substring_regex(text, r"[.,]\d{7}")).as_py():
            raise _Doubt("more than 6 fractional digits")  # pydantic truncates, msgspec rounds
        try:
            parsed = msgspec.convert(present, _AWARE)
        except msgspec.ValidationError:
            raise _Doubt("not an RFC 3339 time msgspec reads") from None
    elif {v.tzinfo for v in present} == {UTC}:
        return pa.array(values, type=_TIMESTAMP)  # datetimes in UTC: converted in C, exactly
    else:
        parsed = present  # other zones (Arrow drops an offset's sub-second part): exact in Python
    micros = iter([(v - _EPOCH) // _ONE_US for v in parsed])
    ints = [next(micros) if v is not None else None for v in values] if len(present) < len(values) else list(micros)
    return pa.array(ints, type=pa.int64()).view(_TIMESTAMP)


_ENCODE = msgspec.json.Encoder().encode


def _to_table(plan: _Plan, rows: list[Any]) -> pa.Table:
    schema = arrow_schema(plan.event_type)
    kinds = column_kinds(plan.event_type)
    arrays: list[pa.Array] = []
    n = len(rows)
    for col in schema:
        name = col.name
        if name == "day":
            continue
        if name == "type":
            arrays.append(pa.array([plan.event_type] * n, pa.string()))
            continue
        values = list(map(plan.getters[name], rows))
        kind = kinds[name]
        if kind == "json":
            # msgspec writes exactly pydantic's JSON (key order, float digits, escapes): the
            # property test holds it to that.
            arrays.append(pa.array(list(map(_ENCODE, values)), type=pa.binary()).cast(pa.string()))
        elif kind == "timestamp":
            arrays.append(_timestamps(values))
        else:
            arrays.append(pa.array(values, type=col.type))
    ts = arrays[ENVELOPE.index("ts")]
    arrays.append(pc.cast(ts, pa.date32()))
    table = pa.Table.from_arrays(arrays, schema=schema)
    if n > 1 and not pc.all(pc.greater_equal(ts[1:], ts[:-1])).as_py():
        table = table.sort_by("ts")
    return table


def decode_array(json_array: bytes, expected: int | None) -> dict[str, pa.Table] | None:
    """Decode and check a JSON array of events into ``{type: table}``; None when in any doubt.

    ``expected`` is how many events the caller framed (NDJSON lines); another count also
    means None.

    >>> decode_array(b'[{"type": "nope"}]', 1) is None
    True
    """
    w = _wire()
    if w is None or (b"\\u" in json_array and _SURROGATE_ESCAPE.search(json_array)):
        return None
    try:
        items = w.decoder.decode(json_array)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if expected is not None and len(items) != expected:
        return None
    return _tables(w, items)


def convert_payloads(payloads: Sequence[Mapping[str, Any]]) -> dict[str, pa.Table] | None:
    """Check plain event payloads (dicts holding datetimes) into ``{type: table}``; None when in doubt.

    The producer-side twin of :func:`decode_array` (``EventLogger.log_dicts``): the same
    generated types and checks, fed Python values instead of JSON text.
    """
    w = _wire(text_ts=False)
    if w is None:
        return None
    for p in payloads:
        fields = w.ts_fields.get(p.get("type"))  # type: ignore[arg-type]
        if fields is None or any(type(p.get(f)) is str for f in fields):
            return None  # an unknown type, or a time as text (msgspec would round it): pydantic decides
    try:
        items = msgspec.convert(payloads, w.list_type)
    except msgspec.ValidationError:
        return None
    return _tables(w, items)


def _tables(w: _Wire, items: list[Any]) -> dict[str, pa.Table] | None:
    groups: dict[type, list[Any]] = {}
    for item in items:
        groups.setdefault(type(item), []).append(item)
    tables: dict[str, pa.Table] = {}
    for struct, rows in groups.items():
        plan = w.plans[struct]
        try:
            table = _to_table(plan, rows)
        except (_Doubt, OverflowError, pa.ArrowException):  # e.g. an int beyond int64: pydantic words it
            return None
        if not passes(table, rows, plan.event_type, plan.checks):
            return None
        tables[plan.event_type] = table
    return tables
