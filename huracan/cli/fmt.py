"""Number and size formatting shared by the CLI's tables, so every command says the same.

>>> size(6_082_560)
'5.8 MiB'
>>> num(10950.0)
'10,950'
>>> num(0.65432)
'0.6543'
>>> num(914.0)
'914'
>>> duration(4255)
'1 h 10 min'
>>> duration(521, compact=True)
'8m41s'
"""

from __future__ import annotations

import math

__all__ = ["duration", "num", "size"]


def size(n: float | None) -> str:
    """Bytes in IEC units (KiB = 1024 B), the way `du -h` and `store info` count them."""
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def num(v: float | int | None, digits: int = 4) -> str:
    """A number for a table: whole numbers with thousands separators, others with ``digits``
    significant digits — never scientific notation for values a person reads (1.095e+04)."""
    if v is None:
        return "-"
    x = float(v)
    if not math.isfinite(x):
        return "∞" if x > 0 else ("-∞" if x < 0 else "n/a")
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.1f}"
    return f"{x:.{digits}g}"


def duration(seconds: float | None, compact: bool = False) -> str:
    """Seconds as a person reads them: 0.4 s, 12 s, 3 min 5 s, 1 h 10 min, 2 d 3 h.

    ``compact`` (table cells): 0.4s, 12s, 3m05s, 1h10m, 2d03h.
    """
    if seconds is None:
        return "-"
    s = float(seconds)
    if compact:
        if s < 60:
            return f"{s:.1f}s" if s < 10 else f"{s:.0f}s"
        m, sec = divmod(round(s), 60)
        h, m = divmod(m, 60)
        d, h = divmod(h, 24)
        return f"{d}d{h:02d}h" if d else (f"{h}h{m:02d}m" if h else f"{m}m{sec:02d}s")
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    m, sec = divmod(round(s), 60)
    if m < 60:
        return f"{m} min {sec} s" if sec else f"{m} min"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(h, 24)
    return f"{d} d {h} h" if h else f"{d} d"
