"""The /v1/sql endpoint reads event views and nothing else (issue 13).

Unit tests run the guard on a real store (locked down like the daemon's); one test
drives a real daemon process with a planted secret in its environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from huracan.config import load_config
from huracan.daemon.sql_guard import (
    SqlRefused,
    SqlTimeout,
    SqlTooLarge,
    catalog_names,
    check_statement,
    lock_down,
    run_bounded,
)
from huracan.samples import sample_events
from huracan.store import Store
from tests.daemon_helpers import DaemonProcess

SECRET = "hur-planted-3f9c1d7e5b2a"

#: Every way found to reach beyond the event views; each must be refused before it runs.
HOSTILE = [
    "SELECT content FROM read_text('/proc/self/environ')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM read_parquet('/tmp/x.parquet')",
    "SELECT * FROM read_json('/etc/hosts')",
    "SELECT * FROM read_blob('/proc/self/environ')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM query('SELECT 1')",
    "SELECT * FROM query_table('job_runs')",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM job_runs",
    "SELECT (SELECT count(*) FROM job_runs) AS n",
    "SELECT * FROM main.v_signal",
    "SELECT * FROM hot.main.ev_signal",
    "SELECT * FROM information_schema.tables",
    "WITH job_runs AS (SELECT 1 AS x) SELECT * FROM job_runs",
    "SELECT * FROM (WITH t AS (SELECT 1 AS x) SELECT * FROM t), job_runs",
    "ATTACH '/tmp/other.duckdb' AS o",
    "COPY (SELECT 1) TO '/tmp/out.csv'",
    "COPY v_signal FROM '/etc/passwd'",
    "PRAGMA database_list",
    "SET enable_external_access = true",
    "RESET lock_configuration",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CREATE TABLE t AS SELECT 1",
    "DELETE FROM ev_signal",
    "EXPORT DATABASE '/tmp/dump'",
    "SELECT 1; SELECT content FROM read_text('/proc/self/environ')",
    "PIVOT v_signal ON mode USING count(*)",
    "DESCRIBE v_signal",
    "SUMMARIZE v_signal",
]

LEGIT = [
    ("SELECT count(*) FROM v_signal", []),
    ("SELECT mode, count(*) AS n FROM v_signal GROUP BY mode ORDER BY mode", []),
    ("WITH s AS (SELECT * FROM v_signal) SELECT count(*) FROM s JOIN v_gate_decision g USING (signal_id)", []),
    ("SELECT count(*) FROM v_signal WHERE signal_id IN (SELECT unnest(?))", [["a", "b"]]),
    (
        "SELECT g FROM v_shadow_outcome o, unnest(CAST(json_extract_string(o.blocked_by, '$[*]') AS VARCHAR[])) AS g(g)",
        [],
    ),
    ("SELECT * FROM range(3)", []),
    ("SELECT day, count(*) FROM ev_signal GROUP BY day", []),
]


@pytest.fixture
def locked_store(tmp_path: Path) -> Iterator[Store]:
    settings = load_config(data_dir=tmp_path / "data")
    with Store.open(settings) as store:
        old = datetime.now(UTC) - timedelta(days=30)
        events = [e.model_copy(update={"ts": old}) for e in sample_events("signal", n=5, seed=3)]
        store.write_events(events + list(sample_events("signal", n=3, seed=4)))
        store.roll()  # the old days move to the Delta archive: the views read registered Arrow datasets
        store.hot.con.execute("CREATE TABLE job_runs (run_id BIGINT, error VARCHAR)")  # as the daemon's ledger
        lock_down(store.hot.con)  # no directory needs to stay readable
        yield store


@pytest.mark.parametrize("sql", HOSTILE)
def test_hostile_statements_are_refused_before_they_run(locked_store: Store, sql: str) -> None:
    cur = locked_store.cursor()
    with pytest.raises(SqlRefused) as info:
        check_statement(cur, sql, catalog_names(cur))
    assert "v_" in str(info.value) or "WITH name" in str(info.value)  # says what is allowed


@pytest.mark.parametrize(("sql", "params"), LEGIT)
def test_reads_of_the_event_views_pass(locked_store: Store, sql: str, params: list[object]) -> None:
    cur = locked_store.cursor()
    check_statement(cur, sql, catalog_names(cur))
    run_bounded(cur, sql, params, timeout_s=30, max_rows=1000)


def test_locked_database_refuses_files_even_unchecked_but_reads_both_tiers(locked_store: Store) -> None:
    cur = locked_store.cursor()
    assert locked_store.cold_tables, "the fixture must have archived days"
    assert cur.execute("SELECT count(*) FROM v_signal").fetchone() == (8,)  # hot + cold Delta table
    # A roll after the lock-down: the new table version is read through the locked database too.
    late = datetime.now(UTC) - timedelta(days=29)
    locked_store.write_events([e.model_copy(update={"ts": late}) for e in sample_events("signal", n=2, seed=9)])
    assert locked_store.roll().rows == 2
    assert locked_store.cursor().execute("SELECT count(*) FROM v_signal").fetchone() == (10,)
    for sql in ("SELECT content FROM read_text('/proc/self/environ')", "SELECT * FROM glob('/*')"):
        with pytest.raises(Exception, match="disabled by configuration"):
            cur.execute(sql).fetchall()
    with pytest.raises(Exception, match="locked"):
        cur.execute("SET enable_external_access = true")


def test_a_slow_statement_is_interrupted_and_the_cursor_still_works(locked_store: Store) -> None:
    cur = locked_store.cursor()
    with pytest.raises(SqlTimeout, match=r"api\.sql_timeout_s"):
        run_bounded(cur, "SELECT count(*) FROM range(100000000000) a", None, timeout_s=0.3, max_rows=10)
    assert run_bounded(cur, "SELECT 42 AS x", None, timeout_s=5, max_rows=10).to_pylist() == [{"x": 42}]


def test_an_answer_over_the_row_cap_is_refused_not_truncated(locked_store: Store) -> None:
    cur = locked_store.cursor()
    with pytest.raises(SqlTooLarge, match=r"api\.sql_max_rows"):
        run_bounded(cur, "SELECT * FROM range(1001)", None, timeout_s=30, max_rows=1000)
    assert run_bounded(cur, "SELECT * FROM range(1000)", None, timeout_s=30, max_rows=1000).num_rows == 1000


@pytest.mark.slow
def test_daemon_sql_endpoint_never_returns_a_secret(tmp_path: Path) -> None:
    d = DaemonProcess(
        tmp_path / "data",
        env={
            "HURACAN_SCHEDULER__CATCHUP_DAYS": "0",
            "HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN": SECRET,
            "OPENAI_API_KEY": SECRET,
            "HURACAN_API__SQL_TIMEOUT_S": "1",
        },
    )
    d.start()
    try:
        ok = httpx.post(
            d.url + "/v1/sql", json={"sql": "SELECT count(*) AS n FROM v_signal"}, params={"format": "json"}
        )
        assert ok.status_code == 200 and ok.json()["rows"] == [[0]]
        for sql in HOSTILE:
            r = httpx.post(d.url + "/v1/sql", json={"sql": sql}, params={"format": "json"}, timeout=30)
            assert r.status_code == 403, (sql, r.status_code, r.text)
            assert SECRET not in r.text
            assert "v_<type>" in r.json()["detail"] or "WITH name" in r.json()["detail"]
        slow = httpx.post(d.url + "/v1/sql", json={"sql": "SELECT count(*) FROM range(100000000000) a"}, timeout=30)
        assert slow.status_code == 504 and "api.sql_timeout_s" in slow.json()["detail"]
        assert httpx.get(d.url + "/healthz").status_code == 200
    finally:
        assert d.terminate() == 0
        d.cleanup()
    assert SECRET not in d.log_path.read_text(errors="replace")
    assert os.environ.get("OPENAI_API_KEY") != SECRET  # the secret lived in the daemon only
