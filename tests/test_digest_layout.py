"""Digest layout that a desk reads on a phone (issue 16): values under their names in the
appendix, chat pointing at the web page, daily P&L bars that show the report's own day."""

from __future__ import annotations

import re

from huracan.config import load_config
from huracan.digest.build import build_digest
from huracan.digest.charts import draw_charts
from huracan.digest.render import render
from tests import digest_data as dd


def test_the_appendix_puts_each_value_under_its_name() -> None:
    snap = dd.snapshot(hostile=False, extra_metrics=40)
    html = render(build_digest(snap, None, None, load_config(), charts=False)).html
    after = html[html.index("All other metrics") :]
    appendix = after[after.index("<table") : after.index("</table>")]
    rows = re.findall(r"<tr>\s*<td[^>]*>", appendix)
    assert len(rows) > 40 and all('colspan="2"' in r for r in rows), "one full-width cell per metric"
    assert '<td align="right"' not in appendix  # no second column squeezing the names


def test_chat_channels_point_to_the_web_page_not_a_server_path() -> None:
    d = build_digest(dd.snapshot(hostile=False), None, None, load_config(), charts=False)
    r = render(d)
    chat = "\n".join(r.telegram) + "".join(str(m.payload) for m in r.discord)
    assert f"/digests/{d.day.isoformat()}/" in chat
    assert d.archive_path and d.archive_path not in chat and "digest.md" not in chat


def test_the_pnl_chart_is_daily_bars_naming_the_days_values() -> None:
    h = dd.history()
    charts = {c.key: c for c in draw_charts(h, dd.snapshot(hostile=False))}
    pnl = charts["shadow_pnl"]
    last = max(d for s in h.shadow_pnl_bps.values() for d, _ in s)
    assert pnl.alt.startswith("Bar chart of simulated P&L per day")
    for mode, series in h.shadow_pnl_bps.items():
        value = dict(series)[last]
        assert f"{mode} {value:+,.0f} bps" in pnl.alt
