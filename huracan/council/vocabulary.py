"""The verifier's vocabulary from ``metrics.yaml``: the words a desk uses for each built-in
metric and part, and which metric is the whole of which.

A snapshot carries the synonyms of its metrics as they were when it was computed (a
plugin's metric brings its own); the words of the shipped ``metrics.yaml`` are laid over
them, so an archived snapshot is verified with today's vocabulary — a new desk phrase
("the training run took", "closed runner trades") works on yesterday's digest too.

*Wholes* say what "all" and "X of Y" are of: a part's whole is its family total
(``live_trades.scalp`` → ``live_trades``); a ``checks:`` part's whole is its total
(``signals_blocked`` → ``signals``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

__all__ = ["catalog_part_words", "catalog_synonyms", "checked_wholes"]


@lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], dict[str, str]]:
    from huracan.plugins.builtin.metrics.catalog import CatalogError, load_catalog

    try:
        cat = load_catalog()
    except CatalogError:  # a broken packaged file is reported where metrics are computed
        return {}, {}, {}
    synonyms = {mid: tuple(d.synonyms) for mid, d in cat.metrics.items()}
    wholes = {part: total for total, parts in cat.checks for part in parts}
    return synonyms, dict(cat.part_synonyms), wholes


def catalog_synonyms() -> Mapping[str, tuple[str, ...]]:
    """Metric id (without parts) → the synonyms ``metrics.yaml`` lists for it."""
    return _catalog()[0]


def catalog_part_words() -> Mapping[str, tuple[str, ...]]:
    """Part (``runner``, ``cost_gate``) → the extra words ``metrics.yaml`` lists for it."""
    return _catalog()[1]


def checked_wholes() -> Mapping[str, str]:
    """Metric id → the total it is a ``checks:`` part of (``signals_blocked`` → ``signals``)."""
    return _catalog()[2]
