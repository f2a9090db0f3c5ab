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
from typing import Any

__all__ = ["VERDICT_LABEL", "VERDICT_STYLE", "duration", "gate_target", "num", "pct", "size"]

#: A gate verdict (``gate_report``) as every face shows it, and its Rich style.
VERDICT_LABEL = {"too_strict": "STRICT", "too_loose": "LOOSE", "ok": "ok", "no_data": "-", "no_target": "?"}
VERDICT_STYLE = {"too_strict": "bold red", "too_loose": "yellow", "ok": "green", "no_data": "dim", "no_target": "dim"}


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


def pct(x: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: ``pct(0.4625)`` is ``46.2%``; None is ``–``."""
    return "–" if x is None else f"{float(x) * 100:.{digits}f}%"


def gate_target(t: Any) -> str:
    """A gate's pass-rate target (``Targets``) as a range: ``30–60%``, ``≥ 15%``, ``ideal 40%``."""
    if t is None:
        return "–"
    lo, hi, ideal = t.min, t.max, t.ideal
    if lo is not None and hi is not None:
        return f"{lo * 100:.0f}–{hi * 100:.0f}%"
    if lo is not None:
        return f"≥ {lo * 100:.0f}%"
    if hi is not None:
        return f"≤ {hi * 100:.0f}%"
    return f"ideal {ideal * 100:.0f}%" if ideal is not None else "–"
