"""The delivery ledger: what was sent, per day, channel and part, across restarts.

An append-only JSON-lines file (``<data_dir>/deliveries.jsonl``), each record fsynced
before the next send — not the hot DuckDB, which only the daemon may write. A torn last
line (the process died mid-write) is ignored on read. An exclusive ``flock`` on a
sibling lock file keeps two processes (the daemon and a ``huracan digest send``) from
delivering the same day at once.

Records::

    {"ts": ..., "day": "2025-11-06", "kind": "digest", "channel": "telegram", "event": "part", "part": 2}
    event: start | part | done | failed   (failed also has "detail" and "permanent")
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = ["ChannelProgress", "ChannelState", "DeliveryLedger", "LedgerBusyError"]


class LedgerBusyError(RuntimeError):
    """Another process holds the delivery lock."""


@dataclass(frozen=True)
class ChannelState:
    """What the ledger knows about one channel's digest of one day."""

    done: bool = False
    sent_parts: frozenset[int] = frozenset()
    runs: int = 0
    failures: int = 0
    last_error: str | None = None


class DeliveryLedger:
    """Append-only record of deliveries (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> DeliveryLedger:
        return cls(Path(data_dir) / "deliveries.jsonl")

    # -- reading -------------------------------------------------------------------------

    def records(self) -> Iterator[dict[str, Any]]:
        """Every complete record, oldest first (a torn final line is skipped)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # torn write from a crash; the next record starts on a new line
            if isinstance(rec, dict):
                yield rec

    def state(self, day: date, channel: str, kind: str = "digest") -> ChannelState:
        """The state of ``channel``'s ``kind`` for ``day``."""
        done = False
        parts: set[int] = set()
        runs = failures = 0
        last_error: str | None = None
        key = day.isoformat()
        for r in self.records():
            if r.get("day") != key or r.get("channel") != channel or r.get("kind") != kind:
                continue
            ev = r.get("event")
            if ev == "start":
                runs += 1
            elif ev == "part" and isinstance(r.get("part"), int):
                parts.add(r["part"])
            elif ev == "done":
                done = True
            elif ev == "failed":
                failures += 1
                last_error = str(r.get("detail", ""))
        return ChannelState(done, frozenset(parts), runs, failures, last_error)

    def days(self, kind: str = "digest") -> dict[str, dict[str, ChannelState]]:
        """``{day: {channel: state}}`` for every day in the ledger (for status views)."""
        pairs = {
            (r["day"], r["channel"]) for r in self.records() if r.get("kind") == kind and "day" in r and "channel" in r
        }
        out: dict[str, dict[str, ChannelState]] = {}
        for d, ch in sorted(pairs):
            out.setdefault(d, {})[ch] = self.state(date.fromisoformat(d), ch, kind)
        return out

    # -- writing -------------------------------------------------------------------------

    def append(self, day: date, channel: str, event: str, kind: str = "digest", **extra: Any) -> None:
        """Append one record and fsync it before returning."""
        rec = {"ts": datetime.now(UTC).isoformat(), "day": day.isoformat(), "kind": kind, "channel": channel}
        rec |= {"event": event, **extra}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(rec, separators=(",", ":")) + "\n"
        with open(self.path, "a+b") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() > 0:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    line = "\n" + line  # the previous writer died mid-line
            f.write(line.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())

    def progress(self, day: date, channel: str, kind: str = "digest") -> ChannelProgress:
        """A :class:`~huracan.digest.progress.Progress` that records each sent part here."""
        return ChannelProgress(self, day, channel, kind, self.state(day, channel, kind).sent_parts)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock while delivering.

        Raises :class:`LedgerBusyError` at once (never blocks the event loop) when another
        process holds it.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_suffix(".lock")
        with open(lock_path, "a+") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LedgerBusyError(
                    f"another process is delivering digests right now (lock {lock_path} is held); "
                    "wait for it to finish, or check `huracan digest status`"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class ChannelProgress:
    """Parts of one channel's delivery, durably recorded as they are sent."""

    def __init__(self, ledger: DeliveryLedger, day: date, channel: str, kind: str, sent: frozenset[int]) -> None:
        self._ledger = ledger
        self._day = day
        self._channel = channel
        self._kind = kind
        self._sent = set(sent)

    @property
    def sent(self) -> frozenset[int]:
        return frozenset(self._sent)

    def mark(self, index: int) -> None:
        self._ledger.append(self._day, self._channel, "part", self._kind, part=index)
        self._sent.add(index)
