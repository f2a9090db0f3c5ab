"""What one event's JSON text must be before it is parsed (issue 13).

The caps themselves are declared with the schema in :mod:`huracan.events`; this module
applies the ones a JSON parser must see *before* it builds objects — the parts that
made a single hostile line cost a whole batch:

- strict UTF-8 and no lone surrogate (``"\\ud800"``): a string the store cannot encode;
- nesting at most :data:`~huracan.events.MAX_JSON_DEPTH`: Python's parser recurses, so a
  line 5,000 levels deep was a ``RecursionError``;
- a JSON array body split into its elements without parsing them, so each element is
  accepted or rejected on its own, as NDJSON lines are.

Every reader of event JSON text (the daemon's ingest, :func:`huracan.events.parse_event`,
``huracan events validate``) goes through :func:`load_event_json`.

>>> load_event_json(b'{"a": [1, 2]}')
{'a': [1, 2]}
>>> split_array(b'[{"a": 1}, {"b": "],"}]')
[b'{"a": 1}', b' {"b": "],"}']
"""

from __future__ import annotations

import json
import re
from typing import Any

from huracan.events import MAX_JSON_DEPTH

__all__ = ["has_surrogate_escape", "json_depth", "load_event_json", "split_array"]

# A complete string (escapes included) or one structural character; everything else
# (numbers, literals, whitespace) is skipped by finditer.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')
_BRACKETS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in ``raw`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(raw):
        c = m.group()[0]
        if c in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in b"]}":
            depth -= 1
    return deepest


def has_surrogate_escape(body: bytes) -> bool:
    """True when ``body`` holds any ``\\uD800``–``\\uDFFF`` escape (paired or not): a cheap pre-scan."""
    return _SURROGATE_ESCAPE.search(body) is not None


def split_array(body: bytes) -> list[bytes]:
    """The top-level elements of a JSON array, as raw bytes, without parsing them.

    Raises ``ValueError`` when ``body`` is not an array. A malformed element comes back as
    its raw bytes, so its own parse reports it; the others are unaffected.
    """
    start = body.find(b"[")
    if start < 0 or body[:start].strip():
        raise ValueError("a JSON body must be an array of events")
    items: list[bytes] = []
    depth, begin = 0, start + 1
    for m in _TOKENS.finditer(body, start):
        c = m.group()[0]
        if c in b"[{":
            depth += 1
        elif c in b"]}":
            depth -= 1
            if depth == 0:
                last = body[begin : m.start()]
                if last.strip() or items:
                    items.append(last)
                if body[m.end() :].strip():
                    raise ValueError("the JSON array is followed by more data")
                return items
        elif c == ord(",") and depth == 1:
            items.append(body[begin : m.start()])
            begin = m.end()
    raise ValueError("the JSON array is not closed (']' missing): the body was cut off")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise ValueError(
                "a string holds a lone UTF-16 surrogate (e.g. \\ud800), which is not text; send valid Unicode"
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k)
            _check_strings(v)
    elif isinstance(value, list):
        for v in value:
            _check_strings(v)


def load_event_json(raw: bytes | str) -> Any:
    """Parse one event's JSON text after the checks above; ``ValueError`` says which failed.

    >>> load_event_json(b'[' * 40 + b']' * 40)
    Traceback (most recent call last):
    ...
    ValueError: nested 40 levels deep; an event may nest at most 32
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not valid UTF-8 (byte {exc.start}): send UTF-8 text") from None
        data = raw
    else:
        text, data = raw, raw.encode("utf-8", "surrogatepass")
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested {depth} levels deep; an event may nest at most {MAX_JSON_DEPTH}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    _check_strings(value)
    return value
