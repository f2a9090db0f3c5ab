"""What the council spends: a JSON-lines ledger and the budget it enforces.

Every call (tokens, dollars) and every run (mode, canary, totals) is one line in
``<data_dir>/council/ledger.jsonl``. Month-to-date spend is the sum of this UTC
month's call lines. Over the monthly budget or the per-run cap, the council takes the
offline path and says so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huracan.config import CouncilSettings, Settings
from huracan.council.llm import OverBudget
from huracan.council.schema import CallCost

__all__ = ["Budget", "Ledger", "month_to_date_usd"]


class Ledger:
    """Append-only JSON lines; the daemon is the single writer."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def for_settings(cls, settings: Settings) -> Ledger:
        return cls(settings.data_dir / "council" / "ledger.jsonl")

    def _append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")

    def record_call(self, run_id: str, day: str, cost: CallCost, now: datetime) -> None:
        self._append({"kind": "call", "ts": now.isoformat(), "run_id": run_id, "day": day, **cost.model_dump()})

    def record_run(self, run_id: str, day: str, now: datetime, **summary: Any) -> None:
        self._append({"kind": "run", "ts": now.isoformat(), "run_id": run_id, "day": day, **summary})

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        out = []
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                # A torn last line (a crash mid-write) must not stop the budget from working.
                if lineno != len(lines):
                    raise ValueError(f"{self.path}:{lineno}: not JSON; fix or delete that line") from None
        return out

    def month_to_date(self, now: datetime) -> float:
        """Dollars spent on calls in ``now``'s UTC month."""
        month = now.astimezone(UTC).strftime("%Y-%m")
        return sum(
            float(r.get("cost_usd", 0.0))
            for r in self.records()
            if r.get("kind") == "call" and str(r.get("ts", "")).startswith(month)
        )


class Budget:
    """The monthly budget and per-run cap for one run."""

    def __init__(self, cfg: CouncilSettings, ledger: Ledger, run_id: str, day: str, now: datetime):
        self.cfg = cfg
        self.ledger = ledger
        self.run_id = run_id
        self.day = day
        self.now = now
        self.month_before = ledger.month_to_date(now)
        self.run_spent = 0.0
        self.calls: list[CallCost] = []

    @property
    def month_to_date(self) -> float:
        return self.month_before + self.run_spent

    def exhausted(self) -> str | None:
        """Why no more paid calls may be made, or None."""
        if self.month_to_date >= self.cfg.monthly_budget_usd:
            return (
                f"monthly budget exhausted (${self.month_to_date:.2f} of ${self.cfg.monthly_budget_usd:.2f} spent "
                "this month)"
            )
        if self.run_spent >= self.cfg.per_run_cap_usd:
            return f"per-run cap reached (${self.run_spent:.2f} of ${self.cfg.per_run_cap_usd:.2f})"
        return None

    def check(self) -> None:
        """Raise :class:`OverBudget` when a paid call may not start."""
        reason = self.exhausted()
        if reason:
            raise OverBudget(reason)

    def charge(self, cost: CallCost) -> None:
        self.run_spent += cost.cost_usd
        self.calls.append(cost)
        self.ledger.record_call(self.run_id, self.day, cost, datetime.now(UTC))


def month_to_date_usd(settings: Settings, now: datetime | None = None) -> float:
    """Council spend this UTC month (for ``/metrics`` and ``huracan council cost``)."""
    return Ledger.for_settings(settings).month_to_date(now or datetime.now(UTC))
