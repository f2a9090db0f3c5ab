"""Hostile event text, for tests and the fault suite (issue 13).

:data:`HOSTILE` packs every way a string in an event has attacked a surface Huracan
renders to: HTML and Telegram tags, Markdown links and images, Discord mass mentions,
Rich markup (a ``[link=…]`` to an outside site), terminal escapes (colours, an OSC-8
hyperlink), NUL, DEL, a C1 control and a bidi override. :func:`hostile_copy` appends it
to every free-text field of an event (ids too, deterministically, so joins still hold),
keeping the event valid: whatever renders the result must show the text, never obey it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from huracan.events import EVENT_TYPES

__all__ = ["HOSTILE", "MARKERS", "free_text_fields", "hostile_copy"]

#: One string, every attack. Each piece is also in :data:`MARKERS`, by what it attacks.
HOSTILE = (
    "<script>x</script>&amp;"
    "[link=https://ev.il/r]r[/link][red]R[/red]"
    "[m](https://ev.il/m)![i](https://ev.il/i)"
    "@everyone"
    "\x1b[5;7mE\x1b]8;;https://ev.il/t\x1b\\T\x1b]8;;\x1b\\"
    "\x00\x7f\x9b\u202e"
)

#: What must never appear *interpreted* on a surface, by surface.
MARKERS = {
    "html_tag": "<script>",
    "rich_link": "[link=https://ev.il/r]",
    "md_link": "](https://ev.il/m)",
    "mention": "@everyone",
    "esc": "\x1b",
    "nul": "\x00",
    "del": "\x7f",
    "c1": "\x9b",
    "bidi": "\u202e",
}

# Fields whose values other code matches on (enums, registered names, hashes, numbers
# as text): left alone so the event stays valid and joins hold.
_KEEP = frozenset(
    {"model_id", "type", "severity", "source", "side", "mode", "gate", "direction", "exit_reason", "outcome"}
)


@cache
def free_text_fields(event_type: str) -> frozenset[str]:
    """The fields of ``event_type`` that hold free text (a string with no pattern, enum or set)."""
    schema = EVENT_TYPES[event_type].model_json_schema()
    out = set()
    for name, prop in schema.get("properties", {}).items():
        if name in _KEEP:
            continue
        options = prop.get("anyOf", [prop])
        if any(o.get("type") == "string" and not {"pattern", "enum", "const", "format"} & o.keys() for o in options):
            out.add(name)
    return frozenset(out)


def hostile_copy(event: dict[str, Any], payload: str = HOSTILE) -> dict[str, Any]:
    """``event`` (a JSON dict) with ``payload`` appended to every free-text field and importance name."""
    out = dict(event)
    for name in free_text_fields(out["type"]):
        value = out.get(name)
        if isinstance(value, str):
            out[name] = value + payload
    if out["type"] == "feature_importance":
        out["importances"] = {k + payload: v for k, v in out["importances"].items()}
    if isinstance(out.get("reasons"), list):
        out["reasons"] = [r + payload for r in out["reasons"]]
    return out
