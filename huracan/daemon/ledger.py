"""The run ledger: every scheduled job run, recorded in the hot store.

APScheduler's own job stores pickle jobs; this ledger is our record of what ran, what
failed and which nights still need a run (catch-up).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

__all__ = ["JobLedger", "JobRun", "latest_runs"]

DDL = """
CREATE TABLE IF NOT EXISTS job_runs (
    run_id VARCHAR PRIMARY KEY,
    job VARCHAR NOT NULL,
    day DATE,
    trigger VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,
    error VARCHAR,
    detail VARCHAR
)
"""


@dataclass(frozen=True)
class JobRun:
    run_id: str
    job: str
    day: date | None
    trigger: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    error: str | None
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "day": self.day.isoformat() if self.day else None,
            "trigger": self.trigger,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "status": self.status,
            "error": self.error,
            "detail": self.detail,
        }


class JobLedger:
    """Record job runs through a DuckDB connection factory (``store.cursor``)."""

    def __init__(self, cursor_factory: Any) -> None:
        self._cursor = cursor_factory
        self._cursor().execute(DDL)

    def start(self, job: str, day: date | None, trigger: str) -> str:
        run_id = uuid.uuid4().hex
        self._cursor().execute(
            "INSERT INTO job_runs VALUES (?, ?, ?, ?, ?, NULL, 'running', NULL, NULL)",
            [run_id, job, day, trigger, datetime.now(UTC)],
        )
        return run_id

    def finish(self, run_id: str, status: str, error: str | None = None, detail: dict[str, Any] | None = None) -> None:
        self._cursor().execute(
            "UPDATE job_runs SET ended_at = ?, status = ?, error = ?, detail = ? WHERE run_id = ?",
            [datetime.now(UTC), status, error, json.dumps(detail or {}, default=str), run_id],
        )

    def abandon_running(self) -> int:
        """Mark runs left 'running' by a killed daemon as 'interrupted' (they will be retried)."""
        row = (
            self._cursor()
            .execute(
                "UPDATE job_runs SET status = 'interrupted', ended_at = ? WHERE status = 'running'", [datetime.now(UTC)]
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def succeeded_days(self, job: str) -> set[date]:
        rows = (
            self._cursor()
            .execute("SELECT DISTINCT day FROM job_runs WHERE job = ? AND status = 'ok' AND day IS NOT NULL", [job])
            .fetchall()
        )
        return {r[0] for r in rows}

    def recent(self, limit: int = 50, job: str | None = None) -> list[JobRun]:
        sql = "SELECT * FROM job_runs"
        params: list[Any] = []
        if job:
            sql += " WHERE job = ?"
            params.append(job)
        sql += " ORDER BY started_at DESC LIMIT ?"
        params.append(limit)
        return [self._row(r) for r in self._cursor().execute(sql, params).fetchall()]

    def latest(self) -> list[JobRun]:
        """The most recent run of every job (see :func:`latest_runs`)."""
        return latest_runs(self._cursor())

    @staticmethod
    def _row(r: tuple[Any, ...]) -> JobRun:
        return JobRun(
            run_id=r[0],
            job=r[1],
            day=r[2],
            trigger=r[3],
            started_at=r[4],
            ended_at=r[5],
            status=r[6],
            error=r[7],
            detail=json.loads(r[8]) if r[8] else {},
        )


def latest_runs(conn: Any) -> list[JobRun]:
    """The most recent run of each job, the nightly first: what `huracan status` shows.

    Works on any connection, a read-only one included; a store no daemon has run on
    (no ``job_runs`` table) has none.
    """
    try:
        rows = conn.execute(
            "SELECT * FROM job_runs QUALIFY row_number() OVER (PARTITION BY job ORDER BY started_at DESC) = 1 "
            "ORDER BY job <> 'nightly', started_at DESC"
        ).fetchall()
    except Exception as exc:  # no daemon has ever run here: no ledger table yet
        if "job_runs" in str(exc):
            return []
        raise
    return [JobLedger._row(tuple(r)) for r in rows]
