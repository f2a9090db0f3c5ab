"""The disk spool: events that could not be written yet, kept in order until they can.

Append-only segment files in one directory: ``<seq>.jsonl`` (one event's JSON per
line) and ``<seq>.<type>.arrow`` (an Arrow IPC file of one event type). ``seq`` orders
the segments, so a replay sends them in the order they were spooled; a segment is
deleted only after its sink write succeeded (a crash between the two replays that one
segment again: delivery is at least once). Batches holding CRITICAL events are
fsynced. Over ``max_bytes`` the spool sheds lowest severity first, oldest first,
CRITICAL last — and counts what it shed.

The logger uses it when its sink fails or the queue is full for a CRITICAL event; the
daemon client uses it on its own for "daemon unreachable"::

    spool = Spool(settings.spool_dir, max_bytes=512 * 2**20)
    spool.append(events)                 # never loses them on a crash after return
    report = spool.replay(sink)          # oldest first; stops at the first failure
    if report.error: ...                 # the rest stays spooled for the next try
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from huracan.events import EVENT_TYPES, EventBase, parse_event
from huracan.ingest.counters import SeverityCounts, arrow_severity_counts, count_severities
from huracan.ingest.tiers import CRITICAL, SEVERITIES, SEVERITY_INDEX

__all__ = ["ReplayReport", "Spool", "SpoolLockedError", "fsync_dir"]

log = logging.getLogger("huracan.ingest.spool")

_SEGMENT = re.compile(r"^(\d{12})\.(?:(jsonl)|([a-z0-9_]+)\.arrow)$")
_SEV_KEY = b'"severity":"'


class SpoolLockedError(RuntimeError):
    """Another process (or another Spool object) already owns this spool directory."""


@dataclass
class _Segment:
    seq: int
    path: Path
    kind: Literal["jsonl", "arrow"]
    event_type: str | None
    counts: list[int] = field(default_factory=lambda: [0] * len(SEVERITIES))
    nbytes: int = 0


@dataclass
class ReplayReport:
    """What one :meth:`Spool.replay` delivered; ``error`` is the sink's exception, if any."""

    events: int = 0
    segments: int = 0
    by_severity: list[int] = field(default_factory=lambda: [0] * len(SEVERITIES))
    error: Exception | None = None


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a created, renamed or removed file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _line_severity(line: bytes) -> int | None:
    # The envelope's severity precedes every nested field in model_dump_json's output, and
    # a quote inside a JSON string is escaped, so the first match is the event's own.
    i = line.find(_SEV_KEY)
    if i < 0:
        return None
    start = i + len(_SEV_KEY)
    return SEVERITY_INDEX.get(line[start : line.find(b'"', start)].decode("ascii", "replace"))


class Spool:
    """An ordered, size-bounded, crash-safe buffer of events on disk.

    Thread-safe. One process owns a directory at a time (an ``flock`` on ``.lock``).

    Args:
        directory: where the segment files live (created if missing).
        max_bytes: cap on the spool's size; above it the lowest severity is shed first.
        segment_bytes: a JSON-lines segment is closed once it reaches this size; one
            segment is one sink write on replay, so keep it near a batch's size.
    """

    def __init__(self, directory: str | Path, max_bytes: int, *, segment_bytes: int = 4 << 20) -> None:
        if max_bytes <= 0:
            raise ValueError(f"spool max_bytes must be positive, got {max_bytes}")
        self.directory = Path(directory)
        self.max_bytes = int(max_bytes)
        self.segment_bytes = int(segment_bytes)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._replay_lock = threading.Lock()
        self._lockfile = self._acquire_dir()
        self._segments: dict[int, _Segment] = {}
        self._busy: set[int] = set()  # segments being replayed: never rewritten meanwhile
        self._active: _Segment | None = None
        self._fh: Any = None
        self._bytes = 0
        self._closed = False
        #: events discarded to respect ``max_bytes``, by severity index
        self.shed = SeverityCounts()
        #: lines that could not be parsed on replay (a torn write at a crash)
        self.corrupt_lines = 0
        self._scan()
        self._next_seq = max(self._segments, default=0) + 1

    # -- opening ---------------------------------------------------------------------
    def _acquire_dir(self) -> Any:
        fh = open(self.directory / ".lock", "a+")  # noqa: SIM115 - held open for the spool's lifetime
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read().strip() or "unknown"
            fh.close()
            raise SpoolLockedError(
                f"spool directory {self.directory} is in use (owner pid {owner}); give this logger its "
                "own spool_dir, or stop the other process"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        return fh

    def _scan(self) -> None:
        for p in self.directory.iterdir():
            if p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)  # a rewrite interrupted by a crash; the original is intact
                continue
            m = _SEGMENT.match(p.name)
            if m is None:
                continue
            seg = _Segment(int(m.group(1)), p, "jsonl" if m.group(2) else "arrow", m.group(3))
            try:
                if seg.kind == "jsonl":
                    for line in p.read_bytes().splitlines():
                        idx = _line_severity(line)
                        if idx is not None:
                            seg.counts[idx] += 1
                else:
                    with pa.memory_map(str(p)) as src:
                        seg.counts = arrow_severity_counts(pa.ipc.open_file(src).read_all())
            except (OSError, pa.ArrowInvalid, KeyError) as exc:
                log.error("spool segment %s is unreadable (%s); moved aside to %s.bad", p, exc, p.name)
                p.rename(p.with_name(p.name + ".bad"))
                continue
            seg.nbytes = p.stat().st_size
            self._segments[seg.seq] = seg
            self._bytes += seg.nbytes

    # -- appending -------------------------------------------------------------------
    def append(self, events: Sequence[EventBase], *, fsync: bool | None = None) -> int:
        """Spool ``events`` in order; fsync when asked or when any is CRITICAL.

        Returns how many were written. Over ``max_bytes`` older, lower-severity events
        are shed to make room (see :attr:`shed`).
        """
        if not events:
            return 0
        counts = count_severities(events)
        data = b"".join([e.model_dump_json().encode() + b"\n" for e in events])
        durable = counts[CRITICAL] > 0 if fsync is None else fsync
        with self._lock:
            self._check_open()
            seg = self._active if self._active is not None else self._open_segment()
            start = seg.nbytes
            try:
                self._fh.write(data)
                self._fh.flush()
                if durable:
                    os.fsync(self._fh.fileno())
            except OSError:
                # A full disk: cut what part of the batch reached the file, so the segment
                # holds whole lines only and a later replay sends nothing half-written (#14).
                self._cut_active(start)
                raise
            self._account(seg, counts, len(data))
            if seg.nbytes >= self.segment_bytes:
                self._rotate()
            self._enforce_cap()
        return len(events)

    def append_arrow(self, event_type: str, table: pa.Table, *, fsync: bool | None = None) -> int:
        """Spool an Arrow table of one event type as its own segment (written atomically)."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}; known: {', '.join(sorted(EVENT_TYPES))}")
        if table.num_rows == 0:
            return 0
        counts = arrow_severity_counts(table)
        durable = counts[CRITICAL] > 0 if fsync is None else fsync
        with self._lock:
            self._check_open()
            self._rotate()  # later JSON lines must sort after this table
            seg = _Segment(self._take_seq(), Path(), "arrow", event_type)
            seg.path = self.directory / f"{seg.seq:012d}.{event_type}.arrow"
            self._write_arrow_file(seg.path, table, durable)
            self._segments[seg.seq] = seg
            self._account(seg, counts, seg.path.stat().st_size)
            self._enforce_cap()
        return int(table.num_rows)

    def _write_arrow_file(self, path: Path, table: pa.Table, durable: bool) -> None:
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            with pa.ipc.new_file(f, table.schema) as writer:
                writer.write_table(table)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        if durable:
            fsync_dir(self.directory)

    def _cut_active(self, size: int) -> None:
        fh, self._fh, self._active = self._fh, None, None
        try:
            fh.truncate(size)
        except (OSError, ValueError) as exc:
            log.error("could not cut a partly written spool batch from %s: %s", fh.name, exc)
        finally:
            try:
                fh.close()
            except OSError:
                pass

    def sync(self) -> None:
        """fsync the segment being appended to (``close()`` of a logger calls it)."""
        with self._lock:
            if self._fh is not None and not self._closed:
                self._fh.flush()
                os.fsync(self._fh.fileno())

    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def _open_segment(self) -> _Segment:
        seg = _Segment(self._take_seq(), Path(), "jsonl", None)
        seg.path = self.directory / f"{seg.seq:012d}.jsonl"
        self._fh = open(seg.path, "xb")  # noqa: SIM115 - stays open while the segment is active
        fsync_dir(self.directory)  # the new name survives a power loss
        self._segments[seg.seq] = seg
        self._active = seg
        return seg

    def _rotate(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = None
        self._active = None

    def _account(self, seg: _Segment, counts: list[int], nbytes: int) -> None:
        for i, k in enumerate(counts):
            seg.counts[i] += k
        seg.nbytes += nbytes
        self._bytes += nbytes

    # -- the size cap ----------------------------------------------------------------
    def _enforce_cap(self) -> None:
        while self._bytes > self.max_bytes:
            candidates = [s for s in sorted(self._segments.values(), key=lambda s: s.seq) if s.seq not in self._busy]
            present = [i for i in range(len(SEVERITIES)) if any(s.counts[i] for s in candidates)]
            if not present:
                return  # only segments being replayed are left; they go away on success
            rank = present[0]
            seg = next(s for s in candidates if s.counts[rank])
            if seg is self._active:
                self._rotate()
            self._drop_severity(seg, rank)

    def _drop_severity(self, seg: _Segment, rank: int) -> None:
        removed = seg.counts[rank]
        if seg.kind == "jsonl":
            kept = [ln for ln in seg.path.read_bytes().splitlines(keepends=True) if _line_severity(ln) != rank]
            data = b"".join(kept)
            rows = len(kept)
        else:
            with pa.memory_map(str(seg.path)) as src:
                table = pa.ipc.open_file(src).read_all()
            table = table.filter(pc.not_equal(table.column("severity"), SEVERITIES[rank]))
            rows = table.num_rows
        self.shed.add_one(rank, removed)
        seg.counts[rank] = 0
        self._bytes -= seg.nbytes
        if rows == 0:
            self._remove(seg)
            return
        if seg.kind == "jsonl":
            tmp = seg.path.with_name(seg.path.name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, seg.path)
            fsync_dir(self.directory)
        else:
            self._write_arrow_file(seg.path, table, durable=True)
        seg.nbytes = seg.path.stat().st_size
        self._bytes += seg.nbytes
        log.warning(
            "spool over its cap of %d bytes: shed %d %s event(s) from %s",
            self.max_bytes,
            removed,
            SEVERITIES[rank],
            seg.path.name,
        )

    def _remove(self, seg: _Segment) -> None:
        seg.path.unlink(missing_ok=True)
        self._segments.pop(seg.seq, None)

    # -- replay ----------------------------------------------------------------------
    def replay(self, sink: Any, *, max_segments: int | None = None) -> ReplayReport:
        """Write spooled segments to ``sink`` oldest first, deleting each once written.

        Stops at the first segment the sink refuses and returns the exception in
        :attr:`ReplayReport.error`; that segment and later ones stay for the next replay.
        Arrow segments need a sink with ``write_arrow``.
        """
        with self._replay_lock:
            with self._lock:
                self._check_open()
                self._rotate()
                todo = sorted(self._segments.values(), key=lambda s: s.seq)[:max_segments]
                self._busy.update(s.seq for s in todo)
            report = ReplayReport()
            try:
                for seg in todo:
                    try:
                        self._deliver(seg, sink)
                    except Exception as exc:  # the sink's failure is data for the caller, not a crash
                        report.error = exc
                        break
                    with self._lock:
                        self._remove(seg)
                        self._bytes -= seg.nbytes
                        self._busy.discard(seg.seq)
                    report.segments += 1
                    report.events += sum(seg.counts)
                    for i, k in enumerate(seg.counts):
                        report.by_severity[i] += k
            finally:
                with self._lock:
                    self._busy.clear()
                    self._enforce_cap()
            return report

    def _deliver(self, seg: _Segment, sink: Any) -> None:
        if seg.kind == "arrow":
            with pa.memory_map(str(seg.path)) as src:
                table = pa.ipc.open_file(src).read_all()
            sink.write_arrow(seg.event_type, table)
            return
        events = []
        for n, line in enumerate(seg.path.read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                events.append(parse_event(line))
            except ValueError as exc:
                # A torn last line after a crash; anything else would be a bug worth seeing.
                self.corrupt_lines += 1
                log.error("spool %s line %d is not a valid event, skipped: %s", seg.path.name, n, str(exc)[:200])
        if events:
            sink.write_events(events)

    # -- inspection and lifecycle ----------------------------------------------------
    @property
    def pending(self) -> int:
        """Events waiting in the spool."""
        with self._lock:
            return sum(sum(s.counts) for s in self._segments.values())

    @property
    def nbytes(self) -> int:
        return self._bytes

    def stats(self) -> dict[str, Any]:
        """Pending events (total and by severity), size, segments, shed and corrupt counts."""
        with self._lock:
            by_sev = [sum(s.counts[i] for s in self._segments.values()) for i in range(len(SEVERITIES))]
            return {
                "pending": sum(by_sev),
                "pending_by_severity": dict(zip(SEVERITIES, by_sev, strict=True)),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "segments": len(self._segments),
                "shed": self.shed.as_dict(),
                "corrupt_lines": self.corrupt_lines,
            }

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"the spool at {self.directory} is closed; open a new Spool to use it")

    def close(self) -> None:
        """Close the active segment and release the directory. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._rotate()
            self._closed = True
            fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_UN)
            self._lockfile.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
