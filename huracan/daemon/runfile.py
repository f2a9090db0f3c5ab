"""The file a running daemon keeps in its data directory so commands can find it.

``<data_dir>/daemon.json`` holds the pid, the URL and the start time; a command that
finds it checks the pid is alive and ``/healthz`` answers before using the URL.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["RunFile", "read_runfile", "remove_runfile", "write_runfile"]

NAME = "daemon.json"


@dataclass(frozen=True)
class RunFile:
    pid: int
    url: str
    started_at: str
    data_dir: str


def write_runfile(data_dir: Path, info: RunFile) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(info)))
    os.replace(tmp, path)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_runfile(data_dir: Path) -> RunFile | None:
    """The running daemon's record, or None when there is none or its process is gone."""
    path = data_dir / NAME
    try:
        info = RunFile(**json.loads(path.read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None
    return info if _alive(info.pid) else None


def remove_runfile(data_dir: Path, pid: int | None = None) -> None:
    path = data_dir / NAME
    try:
        if pid is not None:
            info = json.loads(path.read_text())
            if info.get("pid") != pid:
                return  # another daemon took over; not ours to remove
        path.unlink()
    except (FileNotFoundError, ValueError):
        pass
