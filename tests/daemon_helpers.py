"""Running a real `huracan daemon` subprocess in tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaemonProcess:
    def __init__(
        self, data_dir: Path, port: int = 0, env: dict[str, str] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.env = dict(os.environ, HURACAN_DATA_DIR=str(data_dir), LITELLM_LOCAL_MODEL_COST_MAP="True", **(env or {}))
        self.env.pop("HURACAN_URL", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.log_path = data_dir.parent / f"daemon-{time.monotonic_ns()}.log"

    def start(self, wait: bool = True) -> DaemonProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "huracan", "daemon", "--host", self.host, "--port", str(self.port)],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> str:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        runfile = self.data_dir / "daemon.json"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
            if runfile.exists():
                info = json.loads(runfile.read_text())
                if info["pid"] == self.proc.pid:
                    try:
                        if httpx.get(info["url"] + "/healthz", timeout=2).status_code == 200:
                            self.url = info["url"]
                            return self.url
                    except httpx.HTTPError:
                        pass
            time.sleep(0.05)
        raise TimeoutError(f"daemon not ready in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def terminate(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def post(self, body: bytes, ctype: str = "application/x-ndjson", **headers: str) -> httpx.Response:
        return httpx.post(self.url + "/v1/events", content=body, headers={"Content-Type": ctype, **headers}, timeout=60)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=60, **kw)

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        if hasattr(self, "_log"):
            self._log.close()


def run_cli(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, HURACAN_DATA_DIR=str(data_dir), **(env or {}))
    full_env.pop("HURACAN_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "huracan", *args], env=full_env, capture_output=True, text=True, timeout=timeout
    )
