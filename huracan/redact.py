"""One redaction for every secret this process knows (issue 13).

Secrets are typed as such in the settings, so ``config show`` never prints them; but
text built from an exception is another matter: a plugin that fails with its webhook URL
in the message used to put it into ``snapshot.json``, every digest format, the archive
and every council prompt. So error text is passed through :func:`redact` where it is
captured (:func:`error_text`), logs pass a :class:`RedactingFilter`, and files written
for people pass :func:`redact` once more.

What is known: every ``SecretStr`` in the settings (registered by
:func:`huracan.config.load_config`), the files of ``$CREDENTIALS_DIRECTORY``, and
environment variables whose names say they hold a secret (``*_API_KEY``, ``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*``, ``*WEBHOOK*``), which is where litellm's provider keys live.

>>> remember(["s3cr3t-token-value"])
>>> redact("POST https://api.example/bots3cr3t-token-value/send failed")
'POST https://api.example/bot[redacted]/send failed'
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, SecretStr

__all__ = [
    "MASK",
    "RedactingFilter",
    "error_text",
    "install_log_redaction",
    "redact",
    "redact_obj",
    "remember",
    "remember_settings",
]

T = TypeVar("T")

MASK = "[redacted]"
#: Shorter values are not redacted: masking "abc" everywhere would shred ordinary text.
MIN_SECRET_CHARS = 6
_SECRET_NAME = re.compile(r"API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|WEBHOOK|CREDENTIAL|PRIVATE_?KEY", re.I)

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _variants(value: str) -> set[str]:
    # As written, URL-quoted, and JSON-escaped (a secret inside snapshot.json text).
    out = {value, quote(value, safe=""), quote(value, safe="/:"), json.dumps(value)[1:-1]}
    if value.startswith(("http://", "https://")):
        # A webhook URL's token is its last path segment; messages quote it alone too.
        tail = value.rstrip("/").rsplit("/", 1)[-1]
        if len(tail) >= 16:
            out.add(tail)
    return {v for v in out if len(v) >= MIN_SECRET_CHARS}


def remember(values: Iterable[str | None]) -> None:
    """Add secret values to redact from now on (idempotent)."""
    global _pattern
    new: set[str] = set()
    for v in values:
        if v and len(v.strip()) >= MIN_SECRET_CHARS:
            new |= _variants(v.strip())
    with _lock:
        if new <= _known:
            return
        _known.update(new)
        # Longest first, so a secret that contains another is masked whole.
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_known, key=len, reverse=True)))


def _secrets_in(value: Any) -> Iterable[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secrets_in(getattr(value, name))
    elif isinstance(value, dict):
        for v in value.values():
            yield from _secrets_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _secrets_in(v)


def _environment_secrets() -> Iterable[str]:
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name):
            yield value
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir and Path(cred_dir).is_dir():
        for f in Path(cred_dir).iterdir():
            try:
                if f.is_file() and f.stat().st_size < 65_536:
                    yield f.read_text(errors="replace").strip()
            except OSError:
                continue


def remember_settings(settings: Any) -> None:
    """Remember every ``SecretStr`` in ``settings`` and the secrets of the environment."""
    remember([*_secrets_in(settings), *_environment_secrets()])


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``[redacted]``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def redact_obj(obj: T) -> T:
    """A copy of ``obj`` with :func:`redact` applied to every string inside it.

    Walks pydantic models, dataclasses, dicts, lists and tuples (bytes stay as they are);
    returns ``obj`` itself when no secret is known. The nightly pipeline passes the
    snapshot, the council's result and the rendered digest through it, so nothing a
    plugin or a model wrote carries a secret into a prompt, a digest or the archive.
    """
    if _pattern is None:
        return obj
    return _walk(obj)  # type: ignore[no-any-return]


def _walk(obj: Any) -> Any:
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, BaseModel):
        return obj.model_copy(update={name: _walk(getattr(obj, name)) for name in type(obj).model_fields})
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _walk(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, dict):
        return {_walk(k): _walk(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_walk(v) for v in obj)
    return obj


def error_text(exc: BaseException) -> str:
    """``"<Type>: <message>"`` of an exception, redacted: how error text is captured for people."""
    return redact(f"{type(exc).__name__}: {exc}")


class RedactingFilter(logging.Filter):
    """A handler filter: the formatted message and any traceback of a record, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _pattern is None:
            return True
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Redact everything this process writes about errors to its log or stderr.

    Puts a :class:`RedactingFilter` on every handler of ``logger`` (the root logger by
    default; handler filters see records from every child logger, logger filters do not),
    and replaces the three paths that print a traceback past the filters: a handler that
    cannot write (``logging`` prints the chained exception, often the very error being
    logged), an uncaught exception (``sys.excepthook``) and one in a thread
    (``threading.excepthook``). Each prints the traceback redacted instead.
    """
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
        if not getattr(handler.handleError, "_huracan_redacted", False):
            handler.handleError = _handle_error_redacted  # type: ignore[method-assign]
    if not getattr(sys.excepthook, "_huracan_redacted", False):
        sys.excepthook = _excepthook_redacted
    if not getattr(threading.excepthook, "_huracan_redacted", False):
        threading.excepthook = _thread_excepthook_redacted


def _print_redacted(header: str, exc: BaseException | None) -> None:
    stream = sys.stderr
    if stream is None:
        return
    text = header + ("".join(traceback.format_exception(exc)) if exc is not None else "\n")
    try:
        stream.write(redact(text))
        stream.flush()
    except Exception:  # nowhere left to say it
        pass


def _handle_error_redacted(record: logging.LogRecord) -> None:
    # logging.Handler.handleError, minus the raw traceback of the record's context.
    if logging.raiseExceptions:
        _print_redacted(f"--- Logging error (a log line from {record.name} was lost) ---\n", sys.exc_info()[1])


def _excepthook_redacted(et: type[BaseException], ev: BaseException, tb: TracebackType | None) -> None:
    _print_redacted("", ev.with_traceback(tb))


def _thread_excepthook_redacted(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    _print_redacted(f"Exception in thread {name}:\n", args.exc_value)


for _hook in (_handle_error_redacted, _excepthook_redacted, _thread_excepthook_redacted):
    setattr(_hook, "_huracan_redacted", True)  # noqa: B010 (a function attribute mypy cannot see)
