"""Parsing an ingest request body: a JSON array or NDJSON, one event per element/line.

The fast path validates the whole batch in pydantic-core at once; only when that fails
does it fall back to line-by-line parsing, so valid lines are kept and every invalid
line is reported with its number and field errors.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from huracan.events import Event, EventBase, format_validation_error, parse_event

__all__ = ["parse_batch"]

_LIST: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def _lines(body: bytes, content_type: str) -> tuple[list[bytes], bool]:
    """Split the body into per-event chunks; returns (chunks, was_array)."""
    stripped = body.lstrip()
    if not stripped:
        return [], False
    if stripped[:1] == b"[" and "ndjson" not in content_type:
        return [], True
    return body.splitlines(), False


def parse_batch(body: bytes, content_type: str = "") -> tuple[list[EventBase], list[dict[str, Any]]]:
    """Parse an ingest body into (valid events, errors).

    Each error is ``{"line": N, "errors": ["field.path: message", ...]}`` where N is the
    1-based line (NDJSON) or array position (JSON array).

    >>> events, errors = parse_batch(b'{"type": "nope"}\\n', "application/x-ndjson")
    >>> (len(events), errors[0]["line"])
    (0, 1)
    """
    lines, is_array = _lines(body, content_type)
    if is_array:
        try:
            return list(_LIST.validate_json(body)), []  # type: ignore[arg-type]
        except ValidationError:
            pass
        try:
            items = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"body is not valid JSON: {exc}") from None
        if not isinstance(items, list):
            raise ValueError("a JSON body must be an array of events")
        return _one_by_one((i, item) for i, item in enumerate(items, 1))

    numbered = [(i, ln) for i, ln in enumerate(lines, 1) if ln.strip()]
    if not numbered:
        return [], []
    try:
        joined = b"[" + b",".join(ln for _, ln in numbered) + b"]"
        return list(_LIST.validate_json(joined)), []  # type: ignore[arg-type]
    except ValidationError:
        return _one_by_one(numbered)


def _one_by_one(items: Any) -> tuple[list[EventBase], list[dict[str, Any]]]:
    events: list[EventBase] = []
    errors: list[dict[str, Any]] = []
    for lineno, item in items:
        try:
            data = json.loads(item) if isinstance(item, bytes | str) else item
            if not isinstance(data, dict):
                raise ValueError("each event must be a JSON object")
            events.append(parse_event(data))  # type: ignore[arg-type]
        except ValidationError as exc:
            errors.append({"line": lineno, "errors": format_validation_error(exc)})
        except ValueError as exc:
            errors.append({"line": lineno, "errors": [f"(line): {exc}"]})
    return events, errors
