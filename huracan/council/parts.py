"""The parts of metrics: which id segments are parts (``shadow_win_rate.runner``), and the
phrases a part word inside a family's name makes ("closed runner trades")."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huracan.council.lexicon import Family

__all__ = ["inner_parts", "known_parts", "parts_of_totals", "trailing_parts"]


def inner_parts(
    phrases: dict[str, set[tuple[str, str | None]]], families: dict[str, Family], part_words: dict[str, set[str]]
) -> None:
    """A part word inside a family's phrase names the member: "closed runner trades",
    "shadow scalp trades" (one-slot families; the phrase's own words stay around it)."""
    words_of: dict[str, list[str]] = {}
    for w, segs in part_words.items():
        for seg in segs:
            words_of.setdefault(seg, []).append(w)
    for key, owners in list(phrases.items()):
        words = key.split()
        if not 2 <= len(words) <= 3:
            continue
        for fam_id, mem in list(owners):
            fam = families[fam_id]
            if mem is not None or len(fam.slots) != 1:
                continue
            for seg in fam.slots[0]:
                member = fam.members.get((seg,))
                # one-word part words only ("runner", "scalp", "engine"): "closed cost gate trades"
                # is no one's phrasing, and every variant costs the lexicon's regex
                for pw in [w for w in words_of.get(seg, ()) if " " not in w] if member else ():
                    for i in range(1, len(words)):
                        variant = " ".join([*words[:i], pw, *words[i:]])
                        if variant not in phrases:
                            phrases[variant] = {(fam_id, member)}


@lru_cache(maxsize=1)
def known_parts() -> frozenset[str]:
    from huracan.events import known_gates, known_modes

    return frozenset(known_modes()) | frozenset(known_gates()) | {"engine", "hamilton", "huracan"}


def parts_of_totals(ids: Iterable[str]) -> frozenset[str]:
    """Suffixes of ids whose prefix is itself a metric (``x.swing`` beside ``x``): parts."""
    ids = set(ids)
    return frozenset(mid.rsplit(".", 1)[1] for mid in ids if "." in mid and mid.rsplit(".", 1)[0] in ids)


def trailing_parts(mid: str, known: frozenset[str]) -> list[str]:
    """Parts of a metric from a snapshot written before metrics carried them: known names at the end."""
    segs = mid.split(".")
    parts: list[str] = []
    while len(segs) > 1 and segs[-1] in known:
        parts.insert(0, segs.pop())
    return parts
