"""Tracebacks that bypass log filters are redacted too (issue 13: no secret in the journal).

Three paths print a traceback without passing a handler's filter: a handler that cannot
write (logging prints the chained exception — often the error being logged), an uncaught
exception, and an exception in a thread. Each is run in a real process, because the
hooks are process-wide.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SECRET = "7711:planted-telegram-bot-token-abcdef"

PRELUDE = f"""
import io, logging, threading
from huracan.redact import install_log_redaction, remember
remember([{SECRET!r}])
SECRET = {SECRET!r}
"""


def _run(body: str) -> subprocess.CompletedProcess[str]:
    code = PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_handler_that_cannot_write_reports_the_lost_line_redacted() -> None:
    res = _run(
        """
        closed = io.StringIO(); closed.close()
        logging.basicConfig(stream=closed)
        install_log_redaction()
        try:
            raise ConnectionError(f"cannot reach https://api.telegram.org/bot{SECRET}/getMe")
        except ConnectionError:
            logging.getLogger("huracan.plugins").error("plugin disabled")
        print("still running")
        """
    )
    assert res.returncode == 0, res.stderr
    assert "still running" in res.stdout
    assert "Logging error" in res.stderr and "huracan.plugins" in res.stderr
    assert "[redacted]" in res.stderr  # the chained ConnectionError is shown, masked
    assert SECRET not in res.stderr and "planted-telegram" not in res.stderr


def test_an_uncaught_exception_prints_its_traceback_redacted() -> None:
    res = _run(
        """
        logging.basicConfig()
        install_log_redaction()
        raise RuntimeError(f"POST https://api.telegram.org/bot{SECRET}/sendMessage failed")
        """
    )
    assert res.returncode == 1
    assert "RuntimeError: POST https://api.telegram.org/bot[redacted]/sendMessage failed" in res.stderr
    assert "Traceback" in res.stderr
    assert SECRET not in res.stderr


def test_an_exception_in_a_thread_prints_redacted_and_names_the_thread() -> None:
    res = _run(
        """
        logging.basicConfig()
        install_log_redaction()
        def boom():
            raise ValueError(f"token {SECRET} refused")
        t = threading.Thread(target=boom, name="deliver-telegram"); t.start(); t.join()
        print("main goes on")
        """
    )
    assert res.returncode == 0
    assert "main goes on" in res.stdout
    assert "Exception in thread deliver-telegram" in res.stderr
    assert "ValueError: token [redacted] refused" in res.stderr
    assert SECRET not in res.stderr


def test_without_a_known_secret_the_traceback_is_unchanged() -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "from huracan.redact import install_log_redaction\n"
            "install_log_redaction()\n"
            "raise KeyError('nothing-secret-here')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 1
    assert "KeyError: 'nothing-secret-here'" in res.stderr and "Traceback" in res.stderr
