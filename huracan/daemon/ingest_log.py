"""The ingest log: an append-only, fsynced file of Arrow IPC records — ingest's point of durability.

An ingest request is acknowledged once its events are in this log and the log is
fsynced (issue 14): an Arrow IPC append with one fsync per batch costs ~0.3 µs of CPU
per event, where a DuckDB insert + commit of a 5,000-event batch costs ~10 µs. A
background :class:`~huracan.daemon.loader.Loader` moves the log into DuckDB in large
batches and records how far it got in the same transaction.

Layout: ``<dir>/<seq>.hlog`` segment files, ``seq`` increasing. A writer appends only to
its newest segment and starts a new one at every open and past ``segment_bytes``, so a
segment a reader has finished is never written again. A record is::

    b"HLG1" | payload length (u32) | CRC-32 of payload (u32) | payload
    payload = parts (u16) then per part: type length (u8) | type | IPC length (u32) | IPC stream

where each part is one event type's Arrow table as an IPC stream. A record that is
shorter than its header says, or whose CRC does not match, is a torn write (the process
died mid-append, so it was never acknowledged): :func:`recover` cuts it off, keeping the
bytes in a ``.torn`` file beside the segment for inspection.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from huracan.ingest.spool import fsync_dir

__all__ = ["LogPosition", "LogSink", "LogWriter", "Record", "TornRecord", "read_records", "recover", "segments"]

log = logging.getLogger("huracan.daemon.ingest_log")

MAGIC = b"HLG1"
_HEADER = struct.Struct("<4sII")
_SEGMENT = re.compile(r"^(\d{12})\.hlog$")
#: A payload this large is not a record but damage (a request is capped far below it).
MAX_RECORD = 1 << 31


@dataclass(frozen=True, order=True)
class LogPosition:
    """A place in a log directory: segment number and byte offset within it."""

    segment: int
    offset: int


@dataclass
class Record:
    """One acknowledged batch: its tables and where the next record starts."""

    tables: dict[str, pa.Table]
    end: LogPosition

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.tables.values())


def segment_path(directory: Path, seq: int) -> Path:
    return directory / f"{seq:012d}.hlog"


def segments(directory: Path) -> list[int]:
    """Segment numbers present in ``directory``, oldest first."""
    if not directory.exists():
        return []
    found = (_SEGMENT.match(p.name) for p in directory.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def encode(tables: Mapping[str, pa.Table]) -> bytes:
    """One record holding ``tables`` (an IPC stream per event type)."""
    parts = [struct.pack("<H", len(tables))]
    for etype, table in tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        ipc = sink.getvalue()
        name = etype.encode()
        parts += [struct.pack("<B", len(name)), name, struct.pack("<I", ipc.size), ipc.to_pybytes()]
    payload = b"".join(parts)
    return _HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def _decode(payload: bytes) -> dict[str, pa.Table]:
    (n,) = struct.unpack_from("<H", payload, 0)
    pos, tables = 2, {}
    for _ in range(n):
        (k,) = struct.unpack_from("<B", payload, pos)
        etype = payload[pos + 1 : pos + 1 + k].decode()
        pos += 1 + k
        (size,) = struct.unpack_from("<I", payload, pos)
        pos += 4
        tables[etype] = pa.ipc.open_stream(pa.py_buffer(payload[pos : pos + size])).read_all()
        pos += size
    return tables


class TornRecord(Exception):
    """The bytes at ``offset`` are not a whole, intact record."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"at byte {offset}: {reason}")
        self.offset = offset
        self.reason = reason


def read_records(path: Path, seq: int, offset: int = 0) -> Iterator[Record]:
    """Intact records of segment ``path`` from ``offset``; raises :class:`TornRecord` at damage.

    A clean end of file just ends the iteration. A live writer's record still being
    written also looks torn: a reader that tails a live log stops there and tries again.
    """
    with open(path, "rb") as f:
        f.seek(offset)
        while True:
            head = f.read(_HEADER.size)
            if not head:
                return
            if len(head) < _HEADER.size:
                raise TornRecord(offset, "header cut short")
            magic, size, crc = _HEADER.unpack(head)
            if magic != MAGIC or size >= MAX_RECORD:
                raise TornRecord(offset, "no record header")
            payload = f.read(size)
            if len(payload) < size:
                raise TornRecord(offset, f"payload cut short ({len(payload)} of {size} bytes)")
            if zlib.crc32(payload) != crc:
                raise TornRecord(offset, "checksum mismatch")
            try:
                tables = _decode(payload)
            except (struct.error, UnicodeDecodeError, pa.ArrowException) as exc:
                raise TornRecord(offset, f"unreadable payload: {exc}") from None
            offset += _HEADER.size + size
            yield Record(tables, LogPosition(seq, offset))


def recover(directory: Path) -> list[str]:
    """Cut torn tails off every segment of a log no process is writing; returns what was cut.

    Only the last record a dead writer was appending can be torn, and it was never
    acknowledged. The cut bytes are kept in ``<segment>.torn`` (they are not events
    anyone was promised), and the segment is truncated to its last intact record.
    """
    cut = []
    for seq in segments(directory):
        path = segment_path(directory, seq)
        end = 0
        try:
            for record in read_records(path, seq):
                end = record.end.offset
        except TornRecord as exc:
            size = path.stat().st_size
            with open(path, "r+b") as f:
                f.seek(exc.offset)
                tail = f.read()
                f.truncate(exc.offset)
                f.flush()
                os.fsync(f.fileno())
            path.with_suffix(".torn").write_bytes(tail)
            msg = f"{path.name}: cut {size - exc.offset} byte(s) after byte {exc.offset} ({exc.reason})"
            log.warning("ingest log %s", msg)
            cut.append(msg)
        del end
    return cut


class LogWriter:
    """Appends records to a log directory; :meth:`append` returns once they are fsynced.

    Thread-safe. Concurrent appends share fsyncs (group commit): each caller waits only
    until an fsync that started after its write has finished. Each writer starts a new
    segment, after every existing one and after ``after_segment``.
    """

    def __init__(
        self, directory: Path, *, segment_bytes: int = 64 << 20, fsync: bool = True, after_segment: int = 0
    ) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.fsync = fsync
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # the file and the written position
        self._sync_lock = threading.Lock()  # one fsync at a time
        # A new segment past every existing one and past the loader's recorded position
        # (a restored store may remember segments this directory no longer holds).
        self._seq = max([*segments(directory), after_segment])
        self._fh: Any = None
        self._written = 0  # bytes written to the current segment
        self._synced = LogPosition(0, 0)
        self._closed = False
        self.appended_rows = 0
        self._open_segment(self._seq + 1)

    @property
    def position(self) -> LogPosition:
        """The end of what has been written (fsynced or not)."""
        return LogPosition(self._seq, self._written)

    def _open_segment(self, seq: int) -> None:
        if self._fh is not None:
            self._sync_file(self._fh)
            self._fh.close()
        self._seq, self._written = seq, 0
        self._fh = open(segment_path(self.directory, seq), "xb", buffering=0)  # noqa: SIM115 - the active segment
        if self.fsync:
            fsync_dir(self.directory)  # the new name survives a power loss

    def _sync_file(self, fh: object) -> None:
        if self.fsync:
            os.fsync(fh.fileno())  # type: ignore[attr-defined]

    def append(self, tables: Mapping[str, pa.Table]) -> LogPosition:
        """Write one record of ``tables`` and return once it is durable; its end position.

        Raises ``OSError`` (e.g. disk full) with nothing acknowledged: a partly written
        record is a torn tail that :func:`recover` cuts.
        """
        tables = {t: tb for t, tb in tables.items() if tb.num_rows}
        if not tables:
            return self.position
        data = encode(tables)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the ingest log {self.directory} is closed")
            if self._written and self._written + len(data) > self.segment_bytes:
                self._open_segment(self._seq + 1)
            fh = self._fh
            start = self._written
            try:
                view, done = memoryview(data), 0
                while done < len(data):  # a raw write may be short (a filling disk)
                    n = fh.write(view[done:])
                    if not n:
                        raise OSError(errno.ENOSPC, "No space left on device (short write to the ingest log)")
                    done += n
            except OSError:
                # Whatever part reached the file is cut now, so the next record starts clean.
                fh.truncate(start)
                raise
            self._written += len(data)
            end = LogPosition(self._seq, self._written)
            self.appended_rows += sum(t.num_rows for t in tables.values())
        self._sync_to(end, fh)
        return end

    def _sync_to(self, end: LogPosition, fh: object) -> None:
        with self._sync_lock:
            if self._synced >= end:
                return  # another caller's fsync covered this record
            with self._lock:
                target = LogPosition(self._seq, self._written)
                current = self._fh
            if current is fh:
                try:
                    self._sync_file(fh)
                except (ValueError, OSError) as exc:
                    # Rotated (fsynced, then closed) between the check and here: durable already.
                    if not getattr(fh, "closed", False):
                        raise OSError(f"fsync of the ingest log failed: {exc}") from exc
            # else: the segment was rotated, and rotation fsynced it before closing
            self._synced = target

    def rotate_if_idle(self, loaded: LogPosition, min_bytes: int = 1 << 20) -> None:
        """Start a new segment when everything written so far is loaded and the active
        segment is big enough to be worth deleting (the loader then removes the old one)."""
        with self._lock:
            if not self._closed and self._written >= min_bytes and loaded >= LogPosition(self._seq, self._written):
                self._open_segment(self._seq + 1)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._fh is not None:
                self._sync_file(self._fh)
                self._fh.close()
                self._fh = None


class LogSink:
    """An :class:`~huracan.ingest.EventLogger` sink writing into the log (the daemon's own events).

    ``on_append`` is called after each durable append (the loader's ``wake``).
    """

    def __init__(self, writer: LogWriter, on_append: Callable[[], None] | None = None) -> None:
        self.writer = writer
        self.on_append = on_append

    def write_events(self, events: Sequence[Any]) -> int:
        from huracan.store.schema import events_to_arrow, group_by_type

        return self.write_tables({t: events_to_arrow(g, t) for t, g in group_by_type(events).items()})

    def write_arrow(self, event_type: str, table: pa.Table) -> int:
        return self.write_tables({event_type: table})

    def write_tables(self, tables: Mapping[str, pa.Table]) -> int:
        self.writer.append(tables)
        if self.on_append is not None:
            self.on_append()
        return sum(t.num_rows for t in tables.values())
