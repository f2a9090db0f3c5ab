"""Parsing an ingest request body: a JSON array or NDJSON, one event per element/line.

:func:`parse_columns` (the daemon's path) decodes the whole batch at once straight into
Arrow tables — msgspec types generated from the event schemas (:mod:`huracan.daemon.wire`),
then pydantic-core (:mod:`huracan.daemon.ingest_fast`); only when both decline does it
fall back to line-by-line parsing, so valid lines are kept and every
invalid line is reported with its number and field errors. :func:`parse_batch` is the
same into event objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from huracan.daemon.ingest_fast import validate_to_arrow
from huracan.daemon.wire import decode_array
from huracan.event_json import has_surrogate_escape, load_event_json, split_array
from huracan.events import EventBase, format_validation_error, parse_event
from huracan.store.schema import events_to_arrow, group_by_type, rows_to_events

__all__ = ["IngestBatch", "UnsupportedMediaType", "check_media_type", "parse_batch", "parse_columns"]


#: Media types ``POST /v1/events`` takes. Anything else is 415: the types a browser may
#: send cross-origin without a preflight (text/plain, multipart/form-data, urlencoded)
#: must never reach a token-less loopback daemon from a web page (issue 13).
JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)


class UnsupportedMediaType(ValueError):
    """The request's Content-Type is not JSON or NDJSON (answered with 415)."""


def check_media_type(content_type: str | None) -> str:
    """The media type of an ingest body, or :class:`UnsupportedMediaType` naming what to send.

    >>> check_media_type("application/x-ndjson; charset=utf-8")
    'application/x-ndjson'
    """
    media, _, params = (content_type or "").partition(";")
    media = media.strip().lower()
    if media not in JSON_TYPES | NDJSON_TYPES:
        got = f"Content-Type {media!r}" if media else "no Content-Type"
        raise UnsupportedMediaType(
            f"{got} is not accepted: send events as 'application/json' (an array) "
            "or 'application/x-ndjson' (one event per line)"
        )
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in {"utf-8", "utf8"}:
            raise UnsupportedMediaType(f"charset {value.strip()!r} is not accepted: send UTF-8")
    return media


def _is_array(body: bytes, content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return body.lstrip()[:1] == b"[" and media not in NDJSON_TYPES


def _frame(body: bytes, content_type: str) -> tuple[list[bytes], bool]:
    """Split the body into per-event chunks; returns (chunks, was_array).

    NDJSON is split on newlines; a JSON array (an ``application/json`` body starting
    with ``[``) into its top-level elements without parsing them, so each element is
    judged alone either way.
    """
    if not body.strip():
        return [], False
    if _is_array(body, content_type):
        return split_array(body), True
    return body.splitlines(), False


def parse_batch(body: bytes, content_type: str = "") -> tuple[list[EventBase], list[dict[str, Any]]]:
    """Parse an ingest body into (valid events, errors).

    Each error is ``{"line": N, "errors": ["field.path: message", ...]}`` where N is the
    1-based line (NDJSON) or array position (JSON array). A line that is not UTF-8,
    holds a lone surrogate, nests too deep or breaks a size cap is rejected alone.

    >>> events, errors = parse_batch(b'{"type": "nope"}\\n', "application/x-ndjson")
    >>> (len(events), errors[0]["line"])
    (0, 1)
    """
    chunks, is_array = _frame(body, content_type)
    numbered = [(i, c) for i, c in enumerate(chunks, 1) if is_array or c.strip()]
    if not numbered:
        return [], []
    return _one_by_one(numbered)


@dataclass
class IngestBatch:
    """A parsed ingest body: valid events as ``{type: Arrow table}``, and the rejected lines."""

    tables: dict[str, pa.Table]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(t.num_rows for t in self.tables.values())

    def events(self, types: frozenset[str] | set[str] | None = None) -> Iterator[EventBase]:
        """The accepted events (of ``types`` only, when given) as objects, e.g. for the live feed."""
        for etype, table in self.tables.items():
            if types is None or etype in types:
                yield from rows_to_events(table, etype)


def _ndjson_as_array(body: bytes) -> tuple[bytes, int]:
    """NDJSON lines as one JSON array, and how many non-blank lines it holds."""
    text = body.strip()
    if b"\r" not in text and b"\n\n" not in text and b"\n " not in text and b" \n" not in text:
        # Plain "\n"-separated lines, none blank: one C-level replace frames them.
        return b"[" + text.replace(b"\n", b",") + b"]", text.count(b"\n") + 1 if text else 0
    lines = [ln for ln in body.splitlines() if ln.strip()]
    return b"[" + b",".join(lines) + b"]", len(lines)


def parse_columns(body: bytes, content_type: str = "") -> IngestBatch:
    """Parse an ingest body into Arrow tables per event type, and per-line errors.

    Accepts exactly what :func:`parse_batch` accepts, with the same values and errors.

    >>> batch = parse_columns(b'{"type": "nope"}\\n', "application/x-ndjson")
    >>> (batch.accepted, batch.errors[0]["line"])
    (0, 1)
    """
    if not body.strip():
        return IngestBatch({})
    # Any \uD800-\uDFFF escape goes the line-by-line way, which tells a lone surrogate
    # (rejected) from a pair (an emoji): the fast paths would hand either to Arrow.
    tables = None
    if not has_surrogate_escape(body):
        if _is_array(body, content_type):
            # The element count is unknown without parsing; the list validator returns what it holds.
            array, expected = body, None
        else:
            array, expected = _ndjson_as_array(body)
            if not expected:
                return IngestBatch({})
        # msgspec first (issue 14), then pydantic-core's typed dicts: each answers only
        # what parse_event would, or None.
        tables = decode_array(array, expected)
        if tables is None:
            tables = validate_to_arrow(array, expected)
    if tables is not None:
        return IngestBatch(tables)
    events, errors = parse_batch(body, content_type)
    return IngestBatch({t: events_to_arrow(g, t) for t, g in group_by_type(events).items()}, errors)


def _one_by_one(items: list[tuple[int, bytes]]) -> tuple[list[EventBase], list[dict[str, Any]]]:
    events: list[EventBase] = []
    errors: list[dict[str, Any]] = []
    for lineno, item in items:
        try:
            data = load_event_json(item)
            if not isinstance(data, dict):
                raise ValueError("each event must be a JSON object")
            events.append(parse_event(data))  # type: ignore[arg-type]
        except ValidationError as exc:
            errors.append({"line": lineno, "errors": format_validation_error(exc)})
        except ValueError as exc:
            errors.append({"line": lineno, "errors": [f"(line): {exc}"]})
    return events, errors
