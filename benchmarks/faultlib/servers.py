"""Doubles of the outside world on 127.0.0.1: a chat API with a failure plan, and SMTP."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ChatServer", "Inbox", "SmtpServer", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChatServer:
    """A Telegram Bot API / Discord webhook double.

    ``plan`` lists the HTTP statuses of the first requests (429 carries ``retry_after``
    1 s the way each API spells it; 5xx a JSON error); later requests succeed. Every
    accepted message is recorded by a digest of its body, so a message delivered twice
    shows up as a duplicate.
    """

    def __init__(self, plan: list[int] | None = None, port: int = 0) -> None:
        self.plan = list(plan or [])
        self.port = port or free_port()
        self.accepted: list[str] = []
        self.paths: list[str] = []
        #: raw bodies of accepted requests, in order
        self.bodies: list[bytes] = []
        self.requests = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.accepted).values() if n > 1)

    def _answer(self, path: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.requests += 1
            status = self.plan.pop(0) if self.plan else 200
            if status == 200:
                self.accepted.append(hashlib.sha256(path.encode() + b"\0" + body).hexdigest())
                self.paths.append(path)
                self.bodies.append(body)
                n = len(self.accepted)
        if status == 429:
            return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                         "parameters": {"retry_after": 1}, "retry_after": 1.0}, {"Retry-After": "1"}  # fmt: skip
        if status >= 400:
            return status, {"ok": False, "error_code": status, "description": "internal error (fault suite)"}, {}
        return 200, {"ok": True, "result": {"message_id": n}, "id": str(n)}, {}

    def start(self) -> ChatServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                status, payload, headers = outer._answer(self.path.split("?")[0], self.rfile.read(length))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class Inbox:
    """aiosmtpd handler: counts messages and keeps their subjects."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email

        msg = email.message_from_bytes(envelope.original_content)
        self.subjects.append(str(msg.get("Subject", "")))
        return "250 OK"


class SmtpServer:
    """A real aiosmtpd server on 127.0.0.1 (start it later to model an outage)."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller: Any = None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def close(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
