"""Daemon parts that need no running daemon: sd_notify, the run file, ingest parsing."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from huracan.daemon.ingest_http import parse_batch
from huracan.daemon.notify import Notifier, watchdog_interval
from huracan.daemon.runfile import RunFile, read_runfile, remove_runfile, write_runfile
from huracan.daemon.service import is_loopback
from huracan.samples import sample_events


def _recv_socket(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(2)
    return s


def test_sd_notify_sends_one_datagram_per_call(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    with _recv_socket(path) as sock:
        n = Notifier(socket_path=path)
        assert n.send(ready=True, status="serving on x", mainpid=42)
        msg = sock.recv(4096).decode()
        assert msg.splitlines() == ["READY=1", "STATUS=serving on x", "MAINPID=42"]
        assert n.send(watchdog=True)
        assert sock.recv(4096) == b"WATCHDOG=1"
        assert n.send(stopping=True)
        assert sock.recv(4096) == b"STOPPING=1"


def test_sd_notify_abstract_socket() -> None:
    name = f"huracan-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert Notifier(socket_path="@" + name).send(ready=True)
        assert sock.recv(100) == b"READY=1"


def test_sd_notify_is_a_noop_without_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert Notifier().send(ready=True) is False
    # a socket that went away must not raise into the daemon
    assert Notifier(socket_path=str(tmp_path / "gone.sock")).send(ready=True) is False


def test_watchdog_interval_is_half_the_usec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert watchdog_interval() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert watchdog_interval() is None


def test_runfile_round_trip_and_stale_pid(tmp_path: Path) -> None:
    info = RunFile(os.getpid(), "http://127.0.0.1:1", "2025-01-01T00:00:00+00:00", str(tmp_path))
    write_runfile(tmp_path, info)
    assert read_runfile(tmp_path) == info
    remove_runfile(tmp_path, pid=os.getpid() + 1)  # not ours: kept
    assert read_runfile(tmp_path) == info
    remove_runfile(tmp_path, pid=os.getpid())
    assert read_runfile(tmp_path) is None
    dead = RunFile(2**22 + 12345, "http://127.0.0.1:1", "x", str(tmp_path))
    write_runfile(tmp_path, dead)
    assert read_runfile(tmp_path) is None


@pytest.mark.parametrize(
    ("host", "loop"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
    ],
)
def test_is_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


def _ndjson(n: int) -> list[str]:
    return [e.model_dump_json() for e in sample_events(None, n=n, seed=5)]


def test_parse_batch_ndjson_keeps_valid_lines_and_numbers_bad_ones() -> None:
    lines = _ndjson(1)
    bad_sig = json.loads(next(x for x in lines if '"signal"' in x)) | {"confidence": 2}
    body = "\n".join([lines[0], json.dumps(bad_sig), "{broken", "", lines[1]]).encode()
    events, errors = parse_batch(body, "application/x-ndjson")
    assert [e.type for e in events] == [json.loads(lines[0])["type"], json.loads(lines[1])["type"]]
    assert [e["line"] for e in errors] == [2, 3]
    assert errors[0]["errors"][0].startswith("confidence:")


def test_parse_batch_json_array_fast_path_and_fallback() -> None:
    lines = _ndjson(2)
    events, errors = parse_batch(("[" + ",".join(lines) + "]").encode(), "application/json")
    assert len(events) == len(lines) and errors == []
    body = ("[" + ",".join([lines[0], '{"type": "signal"}']) + "]").encode()
    events, errors = parse_batch(body, "application/json")
    assert len(events) == 1 and errors[0]["line"] == 2
    with pytest.raises(ValueError, match="not closed"):
        parse_batch(b"[1, 2", "application/json")


def test_parse_batch_upgrades_old_schema_versions() -> None:
    (o,) = sample_events("shadow_outcome", seed=1)
    v1 = o.model_dump(mode="json")
    v1["schema_version"] = 1
    v1["pnl_pct"] = v1.pop("return_bps") / 100
    events, errors = parse_batch(json.dumps(v1).encode(), "application/x-ndjson")
    assert errors == [] and events[0].schema_version == 2
