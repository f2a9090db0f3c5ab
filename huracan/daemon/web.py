"""The daemon's web page: today's status, the digest archive, models and exports.

- ``GET /``: the page (HTML, no script, nothing loaded from outside the machine);
- ``GET /digests/DATE`` (and ``/digests/DATE/``): the archived digest HTML of that day,
  its charts at ``/digests/DATE/<chart>.png``;
- ``GET|POST /login``, ``GET /logout``: when ``api.token`` is set, a browser signs in
  once with the token and gets an HttpOnly, SameSite=Strict cookie that opens these
  pages only (the API still wants the bearer header, so a page cannot drive it).

Every response carries a Content-Security-Policy that allows no script and no request
leaving the daemon (``default-src 'none'``, images and styles from here only), so even
text an event or a model slipped into an archived digest cannot load or run anything.
The numbers come from the functions the CLI uses: ``Daemon.status`` (``huracan status``),
the model registry's readiness and attestation (``huracan models list``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

if TYPE_CHECKING:
    from huracan.daemon.service import Daemon

__all__ = ["CSP", "build_router"]

CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
COOKIE = "huracan_web"
_CHART = re.compile(r"^[a-z0-9_]{1,64}\.png$")
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _visible(value: Any) -> Any:
    """Control and bidi characters in a value shown as escapes (a U+202E would reorder the page)."""
    from huracan.cli.term import clean

    return clean(value) if isinstance(value, str) else value


def _env() -> jinja2.Environment:
    # Autoescape on explicitly: select_autoescape() would not cover *.html.j2 (DESIGN.md).
    return jinja2.Environment(
        loader=jinja2.PackageLoader("huracan", "templates/web"),
        autoescape=True,
        finalize=_visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _session(token: str) -> str:
    """The cookie value for ``token``: derived, so the cookie jar never holds the API token."""
    return hmac.new(token.encode(), b"huracan web session v1", hashlib.sha256).hexdigest()


def _allowed(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return hmac.compare_digest(cookie.encode(), _session(token).encode())


def _html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**_HEADERS, **(headers or {})})


def _archive_days(daemon: Daemon) -> list[date]:
    root = daemon.settings.archive_dir
    days = []
    for p in root.iterdir() if root.is_dir() else []:
        try:
            day = date.fromisoformat(p.name)
        except ValueError:
            continue
        if (p / "digest.html").is_file():
            days.append(day)
    return sorted(days, reverse=True)


def gather(daemon: Daemon) -> dict[str, Any]:
    """Everything the page shows (blocking: DuckDB reads and the archive's listing)."""
    from huracan.cli.fmt import size
    from huracan.cli.status_cmd import describe_run
    from huracan.store.journal import fetch_rows
    from huracan.tui.data import models

    status = daemon.status()
    conn = daemon.store.cursor()
    today = datetime.now(UTC).date()
    alerts = fetch_rows(
        conn, "SELECT ts, severity, name, message FROM v_alert WHERE day = ? ORDER BY ts DESC LIMIT 50", [today]
    )
    headlines: dict[str, str] = {}
    for r in daemon.ledger.recent(200, "nightly"):
        if r.status == "ok" and r.day is not None and r.day.isoformat() not in headlines:
            headlines[r.day.isoformat()] = str(r.detail.get("headline") or "")
    jobs = [
        {**j, "result": describe_run(j["job"], j["status"], j.get("detail") or {}, j.get("error"), short=True)}
        for j in status.get("jobs", [])
    ]
    nightly = next((j for j in jobs if j["job"] == "nightly"), None)
    store = status.get("store", {})
    return {
        "now": datetime.now(UTC),
        "version": daemon.version,
        "status": status,
        "sizes": {"hot": size(store.get("hot_bytes")), "cold": size(store.get("cold_bytes"))},
        "jobs": jobs,
        "nightly": nightly,
        "alerts": alerts,
        "digests": [(d.isoformat(), headlines.get(d.isoformat(), "")) for d in _archive_days(daemon)[:60]],
        "models": models(conn, daemon.settings, limit=20),
    }


def build_router(daemon: Daemon) -> APIRouter:
    """The page's routes, bound to a running daemon."""
    settings = daemon.settings
    token = settings.api.token.get_secret_value() if settings.api.token else None
    env = _env()
    router = APIRouter(include_in_schema=False)

    def login_page(status: int = 401, error: str | None = None, next_path: str = "/") -> HTMLResponse:
        body = env.get_template("login.html.j2").render(error=error, next_path=next_path)
        return _html(body, status)

    @router.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        if not _allowed(request, token):
            return login_page(next_path="/")
        data = await asyncio.to_thread(gather, daemon)
        return _html(env.get_template("index.html.j2").render(**data))

    @router.get("/digests/{day}")
    async def digest_no_slash(day: str, request: Request) -> Response:
        # Charts are linked relative to the page: serve it under the day's "directory".
        return RedirectResponse(f"/digests/{_day(day)}/", status_code=308, headers=_HEADERS)

    @router.get("/digests/{day}/")
    async def digest(day: str, request: Request) -> Response:
        if not _allowed(request, token):
            return login_page(next_path=f"/digests/{_day(day)}/")
        path = settings.archive_dir / _day(day) / "digest.html"
        if not path.is_file():
            return _html(env.get_template("missing.html.j2").render(day=day), 404)
        return _html(await asyncio.to_thread(path.read_text, encoding="utf-8"))

    @router.get("/digests/{day}/{name}")
    async def chart(day: str, name: str, request: Request) -> Response:
        if not _allowed(request, token):
            return Response(status_code=401, headers=_HEADERS)
        path = settings.archive_dir / _day(day) / name
        if not _CHART.match(name) or not path.is_file():
            return Response(status_code=404, headers=_HEADERS)
        png = await asyncio.to_thread(path.read_bytes)
        return Response(png, media_type="image/png", headers={**_HEADERS, "Cache-Control": "private, max-age=3600"})

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(next: str = "/") -> Response:
        return login_page(200, next_path=_local(next))

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
        given = (form.get("token") or [""])[0].strip()
        next_path = _local((form.get("next") or ["/"])[0])
        if token is None:
            return RedirectResponse(next_path, status_code=303, headers=_HEADERS)
        if not hmac.compare_digest(given.encode(), token.encode()):
            return login_page(401, error="That is not the daemon's api.token.", next_path=next_path)
        resp = RedirectResponse(next_path, status_code=303, headers=_HEADERS)
        resp.set_cookie(
            COOKIE,
            _session(token),
            max_age=30 * 86400,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return resp

    @router.get("/logout")
    async def logout() -> Response:
        resp = RedirectResponse("/login", status_code=303, headers=_HEADERS)
        resp.delete_cookie(COOKIE)
        return resp

    return router


def _day(value: str) -> str:
    """A day from the URL, checked (the archive is read by path: nothing else may get in)."""
    from fastapi import HTTPException

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise HTTPException(404, f"{value!r} is not a day (YYYY-MM-DD)") from None


def _local(path: str) -> str:
    """Only a path on this site after signing in (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"
