"""Render a :class:`Digest` into every format with Jinja2.

HTML autoescape is switched on explicitly (``select_autoescape`` does not match
``*.html.j2``), every environment uses ``StrictUndefined`` so a typo in a template fails
loudly, and the Markdown / Telegram / Discord environments escape every ``{{ value }}``
through a ``finalize`` function (see :mod:`huracan.digest.escape`).

Example::

    rendered = render(digest)
    rendered.write(Path("out"))      # digest.html, digest.txt, digest.md, telegram-1.html, ...
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from huracan.digest.escape import discord_escape, md_escape, plain, tg_escape
from huracan.digest.model import ChartImage, Digest, Section
from huracan.digest.pack import (
    DISCORD_CONTENT,
    DISCORD_EMBEDS_PER_MESSAGE,
    TELEGRAM_LIMIT,
    pack_blocks,
    pack_embeds,
    section_embeds,
    split_text,
)

__all__ = ["DiscordMessage", "RenderedDigest", "render", "write_archive"]

ICONS = {
    "ok": "🟢",
    "warning": "🟠",
    "critical": "🔴",
    "no_data": "⚪",
    "insufficient_data": "⚪",
    "zero": "🟣",
    "info": "🔵",
}
COLORS = {
    "ok": "#15803d",
    "warning": "#b45309",
    "critical": "#b91c1c",
    "no_data": "#6b7280",
    "insufficient_data": "#6b7280",
    "zero": "#7e22ce",
    "info": "#1d4ed8",
}
BACKGROUNDS = {
    "ok": "#f0fdf4",
    "warning": "#fffbeb",
    "critical": "#fef2f2",
    "no_data": "#f9fafb",
    "insufficient_data": "#f9fafb",
    "zero": "#faf5ff",
    "info": "#eff6ff",
}
DISCORD_COLORS = {k: int(v[1:], 16) for k, v in COLORS.items()}
#: which section a chart sits under; a chart whose section is absent goes to "Charts"
CHART_SECTION = {
    "learning": "learning",
    "shadow_pnl": "shadow",
    "gates": "gates",
    # Model detail: after the sections, so the phone's first screens stay on the news.
    "reliability": "charts",
    "importance": "charts",
}
TELEGRAM_CAPTION = 1024


@dataclass(frozen=True)
class DiscordMessage:
    """One webhook call: the JSON payload and the chart files attached as ``files[n]``."""

    payload: dict[str, Any]
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderedDigest:
    """Every format of one day's digest, ready for the notifiers and the archive."""

    day: date
    subject: str
    #: the email's HTML; charts referenced as ``cid:<key>@huracan.digest``
    html: str
    #: the same HTML with charts as relative file names, for a browser
    html_preview: str
    text: str
    markdown: str
    telegram: tuple[str, ...]
    #: (chart key, caption) for each sendPhoto after the messages
    telegram_photos: tuple[tuple[str, str], ...]
    discord: tuple[DiscordMessage, ...]
    charts: tuple[ChartImage, ...]

    def chart(self, key: str) -> ChartImage:
        for c in self.charts:
            if c.key == key:
                return c
        raise KeyError(f"no chart {key!r} in the digest of {self.day}; charts: {[c.key for c in self.charts]}")

    def write(self, out_dir: Path) -> list[Path]:
        """Write every format to ``out_dir`` (created); return the files written."""
        out_dir.mkdir(parents=True, exist_ok=True)
        files: dict[str, str | bytes] = {
            "digest.html": self.html_preview,
            "digest.txt": self.text,
            "digest.md": self.markdown,
        }
        for i, msg in enumerate(self.telegram, 1):
            files[f"telegram-{i}.html"] = msg
        for i, dm in enumerate(self.discord, 1):
            files[f"discord-{i}.json"] = json.dumps({"payload": dm.payload, "files": list(dm.files)}, indent=2)
        for c in self.charts:
            files[c.filename] = c.png
        return [_atomic_write(out_dir / name, data) for name, data in files.items()]


def _atomic_write(path: Path, data: str | bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def write_archive(rendered: RenderedDigest, archive_dir: Path) -> Path:
    """Write ``archive_dir/YYYY-MM-DD/digest.md`` and the chart PNGs beside it."""
    day_dir = archive_dir / rendered.day.isoformat()
    day_dir.mkdir(parents=True, exist_ok=True)
    for c in rendered.charts:
        _atomic_write(day_dir / c.filename, c.png)
    return _atomic_write(day_dir / "digest.md", rendered.markdown)


def _oneline(value: Any) -> str:
    return " ".join(plain(value).split())


@cache
def _env(kind: str) -> jinja2.Environment:
    finalize: dict[str, Callable[[Any], str]] = {"md": md_escape, "telegram": tg_escape, "discord": discord_escape}
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("huracan", "templates/digest"),
        autoescape=kind == "html",
        undefined=jinja2.StrictUndefined,
        finalize=finalize.get(kind, plain),
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["oneline"] = _oneline
    return env


def _context(d: Digest, img: dict[str, str]) -> dict[str, Any]:
    sections = list(d.sections)
    present = {s.key for s in sections}
    by_section: dict[str, list[ChartImage]] = {}
    for chart in d.charts:
        key = CHART_SECTION.get(chart.key, "charts")
        by_section.setdefault(key if key in present else "charts", []).append(chart)
    if "charts" in by_section and "charts" not in present:
        sections.append(Section("charts", "Model detail", status="info"))
    c = d.council
    if c.offline:
        verification = "Written by the deterministic template (offline council); every number is from the snapshot."
    else:
        verification = f"Numbers checked against the snapshot: {c.numbers_verified} verified"
        verification += f", {c.numbers_removed} removed as unverifiable." if c.numbers_removed else "."
    cost = "Council cost: " + (f"${c.cost_usd:,.4f}" if c.cost_usd is not None else "not recorded")
    if c.tokens is not None:
        cost += f" ({c.tokens:,} tokens)"
    if c.models:
        cost += " · models: " + ", ".join(c.models)
    return {
        "d": d,
        "sections": sections,
        "charts_by_section": by_section,
        "img": img,
        "icons": ICONS,
        "colors": COLORS,
        "bg": BACKGROUNDS,
        "council_paragraphs": [p.strip() for p in c.text.split("\n\n") if p.strip()],
        "verification_line": verification,
        "cost_line": cost,
        "full_table_line": _full_table_line(d),
    }


def _full_table_line(d: Digest) -> str:
    """Where the chat channels' readers find the metrics the chat leaves out."""
    if not d.appendix:
        return ""
    # A reader on a phone cannot open a path on the server (issue 16): name the web page.
    return (
        f"All {d.metric_count:,} metrics of the day, one line each, are in the email digest and on "
        f"Huracan's web page at /digests/{d.day.isoformat()}/."
    )


def _telegram(d: Digest, ctx: dict[str, Any]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    m: Any = _env("telegram").get_template("telegram.html.j2").make_module(ctx)
    blocks = [str(m.header(d))]
    blocks += [str(m.section(s, ctx["charts_by_section"].get(s.key, []))) for s in ctx["sections"] if s.rows or s.notes]
    if ctx["full_table_line"]:
        blocks.append(str(m.full_table(ctx["full_table_line"])))
    blocks.append(str(m.council(d, ctx["council_paragraphs"], ctx["verification_line"], ctx["cost_line"])))
    photos = tuple((c.key, split_text(str(m.caption(c)), TELEGRAM_CAPTION)[0]) for c in d.charts)
    return tuple(pack_blocks(blocks, TELEGRAM_LIMIT)), photos


def _discord(d: Digest, ctx: dict[str, Any]) -> tuple[DiscordMessage, ...]:
    m: Any = _env("discord").get_template("discord.md.j2").make_module(ctx)
    embeds = section_embeds(discord_escape(d.verdict.headline), str(m.verdict(d)), DISCORD_COLORS[d.verdict.status])
    for s in ctx["sections"]:
        if s.rows or s.notes:
            embeds += section_embeds(discord_escape(s.title), str(m.section(s)), DISCORD_COLORS.get(s.status, 0))
    if ctx["full_table_line"]:
        embeds += section_embeds("All metrics", discord_escape(ctx["full_table_line"]), DISCORD_COLORS["info"])
    council_text = str(m.council(d, ctx["council_paragraphs"]))
    footer = "\n".join(discord_escape(x) for x in (ctx["verification_line"], ctx["cost_line"]))
    embeds += section_embeds("The council's notes", f"{council_text}\n*{footer}*".strip(), DISCORD_COLORS["info"])
    # allowed_mentions parse=[]: nothing in the text can ping @everyone, a role or a user.
    base: dict[str, Any] = {"username": "Huracan", "allowed_mentions": {"parse": []}}
    messages = []
    for i, group in enumerate(pack_embeds(embeds)):
        content = discord_escape(d.title)[:DISCORD_CONTENT] if i == 0 else ""
        messages.append(DiscordMessage({**base, "content": content, "embeds": group}))
    charts = list(d.charts)
    for start in range(0, len(charts), DISCORD_EMBEDS_PER_MESSAGE):
        batch = charts[start : start + DISCORD_EMBEDS_PER_MESSAGE]
        chart_embeds = [
            {
                "title": discord_escape(c.title)[:256],
                "description": discord_escape(c.alt)[:4096],
                "image": {"url": f"attachment://{c.filename}"},
                "color": DISCORD_COLORS["info"],
            }
            for c in batch
        ]
        for group in pack_embeds(chart_embeds):
            names = tuple(e["image"]["url"].removeprefix("attachment://") for e in group)
            attachments = [
                {
                    "id": n,
                    "filename": name,
                    "description": plain(d.charts[[c.filename for c in d.charts].index(name)].alt)[:1024],
                }
                for n, name in enumerate(names)
            ]
            messages.append(DiscordMessage({**base, "content": "", "embeds": group, "attachments": attachments}, names))
    return tuple(messages)


def render(digest: Digest) -> RenderedDigest:
    """Render ``digest`` into HTML (+ preview), text, Markdown, Telegram and Discord."""
    cid = {c.key: f"cid:{c.cid}" for c in digest.charts}
    files = {c.key: c.filename for c in digest.charts}
    html = _env("html").get_template("digest.html.j2").render(_context(digest, cid))
    preview = _env("html").get_template("digest.html.j2").render(_context(digest, files))
    ctx = _context(digest, files)
    text = _env("text").get_template("digest.txt.j2").render(ctx)
    markdown = _env("md").get_template("digest.md.j2").render(ctx)
    telegram, photos = _telegram(digest, ctx)
    return RenderedDigest(
        day=digest.day,
        subject=f"{digest.verdict.headline} — Huracan {digest.day.isoformat()}",
        html=html,
        html_preview=preview,
        text=text,
        markdown=markdown,
        telegram=telegram,
        telegram_photos=photos,
        discord=_discord(digest, ctx),
        charts=digest.charts,
    )
