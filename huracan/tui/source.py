"""Where the dashboard reads from, and how fresh that is.

Each refresh looks for the daemon again (a restarted daemon may listen on a new port),
reads through it when it answers and falls back to opening the store read-only when it
does not. From the first failed read the data carries a "stale since" time until a read
through the daemon succeeds again: while the daemon is down nothing new is ingested
(the Engine's events wait in its spool), so what the store shows stops moving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from huracan.config import Settings
from huracan.daemon.access import DaemonError, RemoteConnection, auth_headers, find_daemon

__all__ = ["Freshness", "Source"]

Kind = Literal["daemon", "store", "none"]


@dataclass(frozen=True)
class Freshness:
    """What the screen's status line says about the data on it."""

    kind: Kind
    where: str
    #: when reads through the daemon started failing (None: live, or never had a daemon)
    stale_since: datetime | None = None
    reason: str | None = None

    @property
    def live(self) -> bool:
        return self.kind == "daemon" and self.stale_since is None

    def line(self) -> str:
        """One line for the status bar."""
        if self.live:
            return f"live · daemon {self.where}"
        since = f"STALE since {self.stale_since:%H:%M:%S} UTC · " if self.stale_since else ""
        if self.kind == "store":
            return f"{since}no daemon answering · reading the store {self.where}"
        return f"{since}cannot read: {self.reason or 'unknown error'}"


class Source:
    """Readers for the dashboard: the daemon while it answers, else the store."""

    def __init__(
        self, settings: Settings, url: str | None = None, find: Callable[..., str | None] = find_daemon
    ) -> None:
        self.settings = settings
        self.url = url
        self._find = find
        self._stale_since: datetime | None = None
        self._had_daemon = False
        self.freshness = Freshness("none", "", reason="not read yet")

    def daemon_url(self) -> str | None:
        """The daemon to read through now (looked up afresh each time)."""
        return self._find(self.settings, self.url)

    @contextmanager
    def _store(self) -> Iterator[Any]:
        from huracan.store import Store

        store = Store.open(self.settings, read_only=True)
        try:
            yield store.cursor()
        finally:
            store.close()

    def read(self, load: Callable[[Any], Any]) -> Any:
        """``load(conn)`` through the daemon, else the store; raise when neither can be read.

        Updates :attr:`freshness` either way.
        """
        url = self.daemon_url()
        if url is not None:
            conn = RemoteConnection(url, auth_headers(self.settings), timeout=60)
            try:
                result = load(conn)
            except DaemonError as exc:
                self._mark_stale(str(exc))
            else:
                self._had_daemon = True
                self._stale_since = None
                self.freshness = Freshness("daemon", url)
                return result
            finally:
                conn.close()
        elif self._had_daemon:
            self._mark_stale("the daemon stopped answering")
        try:
            if not self.settings.hot_db_path.exists():
                raise FileNotFoundError(f"no store at {self.settings.hot_db_path} and no daemon answering")
            with self._store() as conn:
                result = load(conn)
        except Exception as exc:
            self._mark_stale(f"{type(exc).__name__}: {exc}".splitlines()[0])
            self.freshness = Freshness("none", "", self._stale_since, self.freshness.reason)
            raise
        self.freshness = Freshness("store", str(self.settings.data_dir), self._stale_since)
        return result

    def _mark_stale(self, reason: str) -> None:
        if self._stale_since is None:
            self._stale_since = datetime.now(UTC)
        self.freshness = Freshness("none", "", self._stale_since, reason)
