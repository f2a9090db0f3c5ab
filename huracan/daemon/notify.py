"""systemd's sd_notify protocol: one datagram to ``$NOTIFY_SOCKET``.

A no-op when the variable is absent (not under systemd), so the daemon can call it
unconditionally. A leading ``@`` names an abstract socket.

>>> Notifier(socket_path=None).send(ready=True)
False
"""

from __future__ import annotations

import logging
import os
import socket

__all__ = ["Notifier", "watchdog_interval"]

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, socket_path: str | None = ...) -> None:  # type: ignore[assignment]
        self.path = os.environ.get("NOTIFY_SOCKET") if socket_path is ... else socket_path

    @property
    def enabled(self) -> bool:
        return bool(self.path)

    def send(
        self,
        *,
        ready: bool = False,
        stopping: bool = False,
        watchdog: bool = False,
        status: str | None = None,
        mainpid: int | None = None,
    ) -> bool:
        """Send the given state changes in one datagram; return whether one was sent."""
        if not self.path:
            return False
        lines = []
        if ready:
            lines.append("READY=1")
        if stopping:
            lines.append("STOPPING=1")
        if watchdog:
            lines.append("WATCHDOG=1")
        if status is not None:
            lines.append("STATUS=" + status.replace("\n", " ")[:200])
        if mainpid is not None:
            lines.append(f"MAINPID={mainpid}")
        if not lines:
            return False
        addr = "\0" + self.path[1:] if self.path.startswith("@") else self.path
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.connect(addr)
                s.sendall("\n".join(lines).encode())
            return True
        except OSError as exc:
            # systemd gone or socket not ours: never let notification kill the daemon.
            log.warning("sd_notify to %s failed: %s", self.path, exc)
            return False


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings: half of ``$WATCHDOG_USEC``, or None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid.isdigit() and int(pid) != os.getpid()):
        return None
    try:
        return max(int(usec) / 2_000_000, 0.5)
    except ValueError:
        return None
