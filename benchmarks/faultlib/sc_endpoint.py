"""The daemon's HTTP surface attacked: the SQL endpoint and ingest (issue 13)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from benchmarks.faultlib.core import Lab, scenario
from tests.daemon_helpers import DaemonProcess
from tests.test_safety_ingest import _hostile_lines
from tests.test_safety_sql import HOSTILE as HOSTILE_SQL

#: Planted in the daemon's environment (a bot token, an LLM key): never in any answer.
SECRET = "hur-planted-secret-7c1e9b2d4f6a"
FUTURE_TS = "9999-12-31T00:00:00Z"


def _daemon(lab: Lab) -> DaemonProcess:
    def make() -> Any:
        cm = lab.daemon(
            lab.copy("endpoint"),
            env={
                "HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN": SECRET,
                "OPENAI_API_KEY": SECRET,
                "HURACAN_API__SQL_TIMEOUT_S": "1",
                "HURACAN_API__SQL_MAX_ROWS": "1000",
            },
        )
        d = cm.__enter__()
        d.close = lambda: cm.__exit__(None, None, None)  # type: ignore[attr-defined]
        return d

    d: DaemonProcess = lab.shared("endpoint-daemon", make)
    return d


def _sql(d: DaemonProcess, sql: str) -> httpx.Response:
    return httpx.post(d.url + "/v1/sql", json={"sql": sql}, params={"format": "json"}, timeout=60)


def _count(d: DaemonProcess, view: str) -> int:
    return int(_sql(d, f"SELECT count(*) FROM {view}").json()["rows"][0][0])


@scenario(
    "SQL: read_text('/proc/self/environ') with secrets in the daemon's env",
    "403 before it runs; no secret in the answer",
    fast=True,
)
def sql_environ(lab: Lab) -> tuple[str, bool]:
    d = _daemon(lab)
    r = _sql(d, "SELECT content FROM read_text('/proc/self/environ')")
    leaked = SECRET in r.text
    return f"HTTP {r.status_code}: {r.json().get('detail', '')[:90]}; secret in answer: {leaked}", (
        r.status_code == 403 and not leaked
    )


@scenario(
    "SQL: files, settings, other tables, ATTACH/COPY/PRAGMA/SET/INSTALL/LOAD, two statements",
    "every one refused (403), the daemon keeps serving reads",
    fast=True,
)
def sql_everything_else(lab: Lab) -> tuple[str, bool]:
    d = _daemon(lab)
    codes = [_sql(d, s).status_code for s in HOSTILE_SQL]
    refused = sum(c == 403 for c in codes)
    n = _count(d, "v_signal")
    return f"{refused}/{len(codes)} refused with 403; v_signal still reads ({n:,} rows)", refused == len(
        codes
    ) and n > 0


@scenario("SQL: a statement that never ends", "interrupted after api.sql_timeout_s (1 s here): 504", fast=True)
def sql_timeout(lab: Lab) -> tuple[str, bool]:
    d = _daemon(lab)
    t0 = time.perf_counter()
    r = _sql(d, "SELECT count(*) FROM range(100000000000) a")
    took = time.perf_counter() - t0
    ok = httpx.get(d.url + "/healthz", timeout=10).status_code == 200
    return f"HTTP {r.status_code} after {took:.1f} s; healthz after: {ok}", r.status_code == 504 and took < 10 and ok


@scenario("SQL: an answer larger than the row cap", "refused (413), not silently truncated", fast=True)
def sql_row_cap(lab: Lab) -> tuple[str, bool]:
    d = _daemon(lab)
    r = _sql(d, "SELECT * FROM range(5000)")
    return f"HTTP {r.status_code}: {r.json().get('detail', '')[:70]}", r.status_code == 413


@scenario(
    "Ingest: a web page's simple CORS POST (text/plain, multipart, urlencoded, no type)",
    "415 for each; nothing stored",
    fast=True,
)
def ingest_content_types(lab: Lab) -> tuple[str, bool]:
    d = _daemon(lab)
    before = _count(d, "v_alert")
    line = json.dumps(_alert("browser"))
    codes = []
    for ctype in ("text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": ctype} if ctype else {}
        codes.append(httpx.post(d.url + "/v1/events", content=line.encode(), headers=headers, timeout=30).status_code)
    after = _count(d, "v_alert")
    return f"statuses {codes}; alerts stored {before} -> {after}", codes == [415] * 4 and after == before


def _alert(event_id: str) -> dict[str, Any]:
    from huracan.samples import sample_events

    (a,) = sample_events("alert", n=1, seed=5)
    return dict(a.model_dump(mode="json"), event_id=event_id)


@scenario(
    "Ingest: one NDJSON batch with a lone surrogate, 5,000-deep object, 100,000-deep array, 5 MB text, "
    "an oversized id and a ts of 9999-12-31 among valid lines",
    "each bad line rejected alone with its reason (207); every valid line stored; no 5xx",
    fast=True,
)
def ingest_bad_lines(lab: Lab) -> tuple[str, bool]:
    d = _daemon(lab)
    before = _count(d, "v_alert")
    good = [json.dumps(_alert(f"fault-good-{i}")) for i in range(3)]
    bad = [*_hostile_lines().values(), json.dumps(dict(_alert("fault-future"), ts=FUTURE_TS))]
    body = "\n".join([good[0], *bad, *good[1:]]).encode()
    r = httpx.post(d.url + "/v1/events", content=body, headers={"Content-Type": "application/x-ndjson"}, timeout=60)
    res = r.json()
    stored = _count(d, "v_alert") - before
    lines = sorted(e["line"] for e in res.get("errors", []))
    return (
        f"HTTP {r.status_code}: accepted {res.get('accepted')}, rejected {res.get('rejected')} (lines {lines}); "
        f"stored {stored}",
        r.status_code == 207 and res.get("accepted") == 3 and lines == list(range(2, 2 + len(bad))) and stored == 3,
    )
