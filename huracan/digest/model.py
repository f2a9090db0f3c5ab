"""The digest of one day, independent of how it is rendered.

:func:`huracan.digest.build.build_digest` fills it from the snapshot, the council's
result and the chart history; :func:`huracan.digest.render.render` turns it into HTML,
text, Markdown, Telegram and Discord. Every string here is raw (unescaped): text from
LLMs, events and plugins is untrusted and each renderer escapes it for its format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

__all__ = [
    "STATUS_RANK",
    "ChartImage",
    "CouncilSummary",
    "Digest",
    "Row",
    "Section",
    "Verdict",
    "worst",
]

RowStatus = Literal["ok", "warning", "critical", "no_data", "insufficient_data", "zero", "info"]

#: Higher is worse; a section shows its worst row's status. A zero on a trading day is a
#: finding (shown like a warning); too little data to judge is not news.
STATUS_RANK: dict[str, int] = {
    "info": 0,
    "ok": 1,
    "no_data": 2,
    "insufficient_data": 2,
    "zero": 3,
    "warning": 3,
    "critical": 4,
}


def worst(statuses: list[str] | tuple[str, ...], default: str = "ok") -> str:
    """The most serious status in ``statuses`` (``default`` when empty)."""
    return max(statuses, key=lambda s: STATUS_RANK.get(s, 0), default=default)


@dataclass(frozen=True)
class Row:
    """One line of a section: a metric's name and its formatted value."""

    label: str
    value: str
    status: str = "ok"
    change: str = ""
    note: str = ""
    metric_id: str | None = None
    #: (mode, value) when the row joins a family split by mode; ``value`` joins them too
    parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled block of rows and free-text notes (notes are untrusted text)."""

    key: str
    title: str
    rows: tuple[Row, ...] = ()
    notes: tuple[str, ...] = ()
    status: str = "ok"
    source: str = "builtin"


@dataclass(frozen=True)
class Verdict:
    """The first screen: one headline and at most a few bullets."""

    headline: str
    status: str
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True)
class CouncilSummary:
    """What the council said, already verified, and what it cost."""

    text: str
    notes: tuple[str, ...] = ()
    dissent: tuple[str, ...] = ()
    numbers_verified: int = 0
    numbers_removed: int = 0
    flags: tuple[str, ...] = ()
    cost_usd: float | None = None
    tokens: int | None = None
    offline: bool = True
    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChartImage:
    """A rendered chart: PNG bytes, a file name and the alt text every channel shows."""

    key: str
    title: str
    alt: str
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.key}.png"

    @property
    def cid(self) -> str:
        """Content-ID for the HTML email (without angle brackets)."""
        return f"{self.key}@huracan.digest"


@dataclass(frozen=True)
class Digest:
    """Everything the renderers need for one day."""

    day: date
    generated_at: datetime
    title: str
    verdict: Verdict
    sections: tuple[Section, ...]
    council: CouncilSummary
    charts: tuple[ChartImage, ...] = ()
    self_check_problems: tuple[str, ...] = ()
    disabled_plugins: dict[str, str] = field(default_factory=dict)
    #: every metric not shown in ``sections``, one row each, grouped like the sections
    appendix: tuple[Section, ...] = ()
    #: how many metrics the snapshot holds (the chat channels point to the full table)
    metric_count: int = 0
    #: where the Markdown archive of this digest is written
    archive_path: str = ""
