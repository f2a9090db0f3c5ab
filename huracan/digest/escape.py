"""Escaping untrusted text (LLM output, event text, plugin text) for each channel.

The renderers install these as Jinja ``finalize`` functions, so every ``{{ value }}``
in a template is escaped unless the template author does something deliberate.

>>> tg_escape('<script>alert("x")</script> & \\'ok\\'')
"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'ok'"
>>> md_escape("*bold* [link](http://x) <b>")
'\\\\*bold\\\\* \\\\[link\\\\](http://x) \\\\<b\\\\>'
>>> discord_escape("@everyone look")
'@\\u200beveryone look'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["discord_escape", "md_escape", "plain", "tg_escape"]

# Telegram's HTML mode knows exactly these four entities; html.escape's "&#x27;" for a
# quote would be shown literally, so this is hand-rolled (Telegram Bot API, "HTML style").
_TG = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

# Inline Markdown metacharacters (CommonMark lets any ASCII punctuation be
# backslash-escaped); "<" and ">" too, so raw HTML in untrusted text is not HTML.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~#])")
# Block markers only matter at the start of a line: "- x", "+ x", "1. x", "> x", "===".
_MD_BLOCK = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain(value: Any) -> str:
    """``str(value)`` without control characters (they break terminals and some clients)."""
    if value is None:
        return ""
    return _CONTROL.sub("", str(value))


def tg_escape(value: Any) -> str:
    """Escape for Telegram ``parse_mode=HTML``: only ``&lt; &gt; &amp; &quot;``."""
    return plain(value).translate(_TG)


def md_escape(value: Any) -> str:
    """Escape for Markdown (archive file, Discord): text stays text, never markup."""
    s = _MD_INLINE.sub(r"\\\1", plain(value))
    return _MD_BLOCK.sub(_block, s)


def _block(m: re.Match[str]) -> str:
    marker = m.group(2)
    if marker[0].isdigit():  # "1." -> "1\." (a backslash before a digit is no escape)
        return m.group(1) + marker[:-1] + "\\" + marker[-1]
    return m.group(1) + "\\" + marker


def discord_escape(value: Any) -> str:
    """Markdown-escape and break ``@everyone`` / ``@here`` / ``<@id>`` mentions.

    ``allowed_mentions: {"parse": []}`` already stops the ping; the zero-width space
    also keeps the text from *looking* like a mention.
    """
    return md_escape(value).replace("@", "@\u200b")
