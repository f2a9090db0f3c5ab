"""Ceilings of the ingest building blocks on this machine, measured before choosing (issue 14).

Each figure is CPU time per event (``time.process_time`` for in-process work, ``/proc``
for server processes), so it holds on a machine shared with other work; the load
average is printed beside it. Compared in one run:

* durability — an Arrow IPC record appended to a file with one ``fsync`` per batch vs a
  DuckDB insert + commit of the same rows at 5,000-row and 500,000-row batches;
* decoding — stdlib ``json``, ``orjson`` and ``msgspec`` to plain values, pydantic-core's
  typed-dict validation straight to Arrow (the old fast path), and the generated msgspec
  decoder (:mod:`huracan.daemon.wire`) straight to Arrow;
* HTTP — a do-nothing ASGI app under uvicorn with one process and with two, posting
  5,000-event NDJSON bodies: what the server alone costs per event.

    .venv/bin/python benchmarks/probe.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cpu_seconds_tree, load_note

BATCH = 5_000


def mixed_bodies(n_batches: int, batch: int = BATCH, seed: int = 3) -> list[bytes]:
    """NDJSON bodies of the daemon's usual mix (signals, gates, outcomes, traces), distinct ids."""
    from huracan.samples import sample_events

    kinds = ["signal", "gate_decision", "gate_decision", "gate_decision", "shadow_outcome", "decision_trace"]
    pool = [e.model_dump_json().encode() for k in kinds for e in sample_events(k, n=batch // len(kinds) + 1, seed=seed)]
    out = []
    for b in range(n_batches):
        lines = []
        for j in range(batch):
            raw = pool[j % len(pool)]
            lines.append(raw.replace(b'"event_id":"', f'"event_id":"p{b:05d}{j:06d}'.encode(), 1))
        out.append(b"\n".join(lines))
    return out


def per_event_cpu(fn: Callable[[], int], repeat: int) -> float:
    """Median CPU microseconds per event of ``fn`` (which returns how many events it handled)."""
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        c0 = time.process_time()
        n = fn()
        samples.append((time.process_time() - c0) / max(n, 1) * 1e6)
    samples.sort()
    return samples[len(samples) // 2]


def probe_durability(tables: list[pa.Table], root: Path, repeat: int) -> dict[str, float]:
    from huracan.config import load_config
    from huracan.store import Store

    out: dict[str, float] = {}
    path = root / "probe.log"
    fh = open(path, "ab")  # noqa: SIM115 - closed below

    def ipc_append() -> int:
        n = 0
        for t in tables:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, t.schema) as w:
                w.write_table(t)
            fh.write(sink.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
            n += t.num_rows
        return n

    out["ipc_append_fsync_us"] = per_event_cpu(ipc_append, repeat)
    # fsync waits on the disk, not the CPU: the wall figure is what a request waits.
    t0 = time.perf_counter()
    n = ipc_append()
    out["ipc_append_fsync_wall_us"] = (time.perf_counter() - t0) / n * 1e6
    fh.close()

    settings = load_config(data_dir=root / "duck")
    settings.data_dir.mkdir()
    with Store.open(settings) as store:
        etype = tables[0].column("type")[0].as_py()
        small = [t for t in tables if t.column("type")[0].as_py() == etype]

        def insert_small() -> int:
            return sum(store.write_arrow(etype, t) for t in small)

        big = pa.concat_tables(small * max(1, 500_000 // sum(t.num_rows for t in small)))

        def insert_big() -> int:
            return store.write_arrow(etype, big)

        out["duckdb_insert_5k_us"] = per_event_cpu(insert_small, repeat)
        out["duckdb_insert_500k_us"] = per_event_cpu(insert_big, max(2, repeat // 2))
        out["duckdb_insert_500k_rows"] = big.num_rows
    return out


def probe_decoding(bodies: list[bytes], repeat: int) -> dict[str, float]:
    import msgspec
    import orjson

    from huracan.daemon.ingest_http import parse_columns

    out: dict[str, float] = {}
    body = bodies[0]
    lines = body.split(b"\n")
    array = b"[" + b",".join(lines) + b"]"
    out["json_loads_us"] = per_event_cpu(lambda: len([json.loads(x) for x in lines]), repeat)
    out["orjson_loads_us"] = per_event_cpu(lambda: len(orjson.loads(array)), repeat)
    out["msgspec_to_builtins_us"] = per_event_cpu(lambda: len(msgspec.json.decode(array)), repeat)
    out["pydantic_fast_path_to_arrow_us"] = per_event_cpu(
        lambda: parse_columns(body, "application/x-ndjson").accepted, repeat
    )
    try:
        from huracan.daemon.wire import decode_to_arrow
    except ImportError:
        return out
    out["msgspec_wire_to_arrow_us"] = per_event_cpu(
        lambda: decode_to_arrow(body, "application/x-ndjson").accepted, repeat
    )
    return out


_ASGI_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    n, more = 0, True
    while more:
        msg = await receive()
        n += msg.get("body", b"").count(b"\\n") + 1 if msg.get("body") else 0
        more = msg.get("more_body", False)
    body = b'{"accepted": %d}' % n
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def probe_http(bodies: list[bytes], workers: int, seconds: float, root: Path) -> dict[str, float]:
    """A do-nothing ASGI app under uvicorn: the HTTP layer's own cost per event."""
    (root / "probe_app.py").write_text(_ASGI_APP)
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "probe_app:app",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, cwd=root)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5 if workers > 1 else 0.1)  # let every worker start accepting
        stop = time.perf_counter() + seconds
        counts = [0, 0]

        def client(k: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            i = k
            while time.perf_counter() < stop:
                conn.request("POST", "/v1/events", body=bodies[i % len(bodies)])
                conn.getresponse().read()
                counts[k] += BATCH
                i += 2
            conn.close()

        c0, t0 = cpu_seconds_tree(proc.pid), time.perf_counter()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, cpu = time.perf_counter() - t0, cpu_seconds_tree(proc.pid) - c0
        n = sum(counts)
        return {"eps_wall": n / wall, "server_us_per_event": cpu / n * 1e6}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(quick: bool = False) -> dict[str, Any]:
    from huracan.daemon.ingest_http import parse_columns

    repeat = 3 if quick else 7
    bodies = mixed_bodies(8 if quick else 20)
    tables = [t for b in bodies for t in parse_columns(b, "application/x-ndjson").tables.values()]
    with tempfile.TemporaryDirectory(prefix="huracan-probe-") as tmp:
        root = Path(tmp)
        out: dict[str, Any] = {"load": load_note()}
        out.update(probe_durability(tables, root, repeat))
        out.update(probe_decoding(bodies, repeat))
        secs = 2.0 if quick else 5.0
        one = probe_http(bodies, 1, secs, root)
        two = probe_http(bodies, 2, secs, root)
        out["http_1proc_eps"], out["http_1proc_server_us"] = one["eps_wall"], one["server_us_per_event"]
        out["http_2proc_eps"], out["http_2proc_server_us"] = two["eps_wall"], two["server_us_per_event"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run(args.quick)
    for k, v in out.items():
        print(f"{k:<36} {v:,.3f}" if isinstance(v, float) else f"{k:<36} {v}")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
