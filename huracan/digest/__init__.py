"""The daily digest: build it from the snapshot, render it, deliver it.

>>> from huracan.digest import build_digest, render   # doctest: +SKIP
>>> rendered = render(build_digest(snapshot, council_result, history, settings))
"""

from __future__ import annotations

from huracan.digest.build import build_digest
from huracan.digest.history import History, load_history
from huracan.digest.model import ChartImage, CouncilSummary, Digest, Row, Section, Verdict
from huracan.digest.render import DiscordMessage, RenderedDigest, render, write_archive

__all__ = [
    "ChartImage",
    "CouncilSummary",
    "Digest",
    "DiscordMessage",
    "History",
    "RenderedDigest",
    "Row",
    "Section",
    "Verdict",
    "build_digest",
    "load_history",
    "render",
    "write_archive",
]
