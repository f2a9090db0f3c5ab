"""Packing rendered blocks into chat messages within each platform's limits.

Telegram: at most 4,096 characters per message (counted after entity parsing; the
raw HTML is never shorter than that, so counting raw text is safe). Discord: at most 10
embeds per message, 4,096 characters per description, 256 per title and 6,000 over all
embeds of a message.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DISCORD_EMBEDS_PER_MESSAGE",
    "DISCORD_EMBED_DESCRIPTION",
    "DISCORD_EMBED_TITLE",
    "DISCORD_EMBED_TOTAL",
    "TELEGRAM_LIMIT",
    "embed_size",
    "pack_blocks",
    "pack_embeds",
    "split_text",
]

TELEGRAM_LIMIT = 4096
DISCORD_CONTENT = 2000
DISCORD_EMBEDS_PER_MESSAGE = 10
DISCORD_EMBED_TITLE = 256
DISCORD_EMBED_DESCRIPTION = 4096
DISCORD_EMBED_TOTAL = 6000


def _cut_point(line: str, limit: int) -> int:
    """Where to cut an over-long line: at a space, never inside an ``&entity;``."""
    cut = line.rfind(" ", 0, limit)
    if cut <= limit // 2:
        cut = limit
    amp = line.rfind("&", 0, cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp  # an entity like "&amp;" would straddle the cut
    return max(cut, 1)


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, on line boundaries.

    A single line longer than ``limit`` is cut at a space (or hard) — the templates keep
    such lines free of tags, so no chunk holds half an element.
    """
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = _cut_point(line, limit)
            chunks.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def pack_blocks(blocks: list[str], limit: int = TELEGRAM_LIMIT, sep: str = "\n\n") -> list[str]:
    """Pack blocks (sections) into as few messages as fit, splitting only between blocks.

    A block that alone exceeds ``limit`` is split on its lines with :func:`split_text`.
    """
    messages: list[str] = []
    current = ""
    for block in (b.strip("\n") for b in blocks):
        if not block.strip():
            continue
        pieces = [block] if len(block) <= limit else split_text(block, limit)
        for piece in pieces:
            candidate = f"{current}{sep}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward the 6,000 limit of one embed."""
    n = len(embed.get("title", "")) + len(embed.get("description", ""))
    n += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", []):
        n += len(f.get("name", "")) + len(f.get("value", ""))
    return n


def section_embeds(title: str, description: str, color: int) -> list[dict[str, Any]]:
    """One or more embeds for a section: the description split within Discord's limits."""
    title = title[:DISCORD_EMBED_TITLE]
    # Stay well under 6,000 per message so a section embed always fits with a title.
    parts = split_text(description, min(DISCORD_EMBED_DESCRIPTION, DISCORD_EMBED_TOTAL - DISCORD_EMBED_TITLE - 100))
    embeds = []
    for i, part in enumerate(parts or [""]):
        e: dict[str, Any] = {"title": title if i == 0 else f"{title} (cont.)"[:DISCORD_EMBED_TITLE], "color": color}
        if part:
            e["description"] = part
        embeds.append(e)
    return embeds


def pack_embeds(embeds: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group embeds into messages of ≤ 10 embeds and ≤ 6,000 characters in all."""
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for e in embeds:
        n = embed_size(e)
        if current and (len(current) >= DISCORD_EMBEDS_PER_MESSAGE or size + n > DISCORD_EMBED_TOTAL):
            groups.append(current)
            current, size = [], 0
        current.append(e)
        size += n
    if current:
        groups.append(current)
    return groups
