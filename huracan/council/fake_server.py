"""A local OpenAI-compatible chat server backed by the offline model.

For tests, benchmarks and plugin authors: point litellm at it
(``OPENAI_API_BASE=http://127.0.0.1:PORT/v1``, model ``openai/<anything>``) and the
council runs through litellm's real HTTP transport with no network and no key. Delays
and replies are pluggable, and every call is recorded.

Example::

    >>> with FakeLLMServer(delay=lambda task, role: 0.1) as server:  # doctest: +SKIP
    ...     os.environ["OPENAI_API_BASE"] = server.base_url
    ...     result = run_council(snapshot, settings)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from huracan.council.offline import offline_reply, task_of

__all__ = ["FakeCall", "FakeLLMServer"]


class _Server(ThreadingHTTPServer):
    # A deep listen backlog: seven analysts connect at once, and a dropped SYN costs a 1 s retransmit.
    request_queue_size = 128
    daemon_threads = True


@dataclass
class FakeCall:
    task: str | None
    role: str | None
    model: str
    started: float
    finished: float = 0.0


@dataclass
class FakeLLMServer:
    """``with FakeLLMServer() as s: s.base_url`` — serves ``POST /v1/chat/completions``."""

    delay: Callable[[str | None, str | None], float] | None = None
    reply: Callable[[list[dict[str, Any]]], str] = offline_reply
    host: str = "127.0.0.1"
    calls: list[FakeCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeLLMServer is not running; use it as a context manager")
        return f"http://{self.host}:{self._server.server_address[1]}/v1"

    def _handle(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages") or []
        task, role = task_of(messages)
        call = FakeCall(task, role, str(body.get("model")), time.perf_counter())
        if self.delay is not None:
            time.sleep(self.delay(task, role))
        content = self.reply(messages)
        call.finished = time.perf_counter()
        with self._lock:
            self.calls.append(call)
        prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4
        return {
            "id": f"chatcmpl-fake-{len(self.calls)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": len(content) // 4,
                      "total_tokens": prompt + len(content) // 4},
        }  # fmt: skip

    def __enter__(self) -> FakeLLMServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                try:
                    payload = outer._handle(json.loads(self.rfile.read(length) or b"{}"))
                    data, status = json.dumps(payload).encode(), 200
                except Exception as exc:  # a broken request is the client's bug: say what it was
                    data, status = json.dumps({"error": {"message": f"fake server: {exc}"}}).encode(), 400
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        self._server = _Server((self.host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
