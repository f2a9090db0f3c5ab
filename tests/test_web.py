"""The daemon's web page, served by a real daemon process: status, the digest archive,
models and exports, escaping, the token, and — when Chromium is installed — a real
browser at phone and desktop widths that may make no request off this machine."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from huracan.config import load_config
from huracan.daemon.web import CSP
from huracan.events import Alert
from huracan.hostile import HOSTILE
from huracan.store import Store
from huracan.testing import simulated_data_dir
from tests.daemon_helpers import DaemonProcess

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _archive_day(data_dir: Path, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        days = sorted(p.parent.name for p in (data_dir / "digests").glob("*/digest.html"))
        if days:
            return days[-1]
        time.sleep(0.5)
    raise TimeoutError("the catch-up nightly wrote no digest")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DaemonProcess, str]]:
    data = simulated_data_dir(tmp_path_factory.mktemp("web") / "data", days=3, signals_per_day=120)
    with Store.open(load_config(data_dir=data)) as store:  # an alert today whose text attacks the page
        store.write_events([Alert(name="web_check", severity="ERROR", component="test", message=HOSTILE)])
    d = DaemonProcess(data, env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "1"}).start()
    try:
        yield d, _archive_day(data)
    finally:
        d.terminate()
        d.cleanup()


def test_the_page_shows_status_jobs_models_and_the_archive(site: tuple[DaemonProcess, str]) -> None:
    d, day = site
    r = d.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP
    html = r.text
    for needle in ("Today", "Alerts today", "Jobs: last run of each", "Models and exports", "Digest archive"):
        assert needle in html
    assert f'href="/digests/{day}/"' in html and "nightly" in html
    ids = httpx.post(
        d.url + "/v1/sql", params={"format": "json"}, json={"sql": "SELECT model_id FROM v_model_registered"}
    ).json()["rows"]
    assert ids and all(mid[:12] in html for (mid,) in ids)
    # No asset from elsewhere: every src/href is on this site (or inline data).
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
        assert url.startswith(("/", "#", "data:")), url


def test_untrusted_text_is_escaped(site: tuple[DaemonProcess, str]) -> None:
    d, _ = site
    html = d.get("/").text
    assert "web_check" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    for raw in ("\x1b", "\x00", "\x7f", "\x9b", "\u202e"):
        assert raw not in html, repr(raw)
    assert "\\x1b" in html  # shown, as an escape


def test_the_archive_serves_the_days_digest_and_charts_and_nothing_else(site: tuple[DaemonProcess, str]) -> None:
    d, day = site
    archived = (d.data_dir / "digests" / day / "digest.html").read_text(encoding="utf-8")
    r = httpx.get(f"{d.url}/digests/{day}", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == f"/digests/{day}/"
    r = d.get(f"/digests/{day}/")
    assert r.status_code == 200 and r.text == archived
    assert r.headers["content-security-policy"] == CSP
    charts = re.findall(r'src="([a-z0-9_]+\.png)"', archived)
    assert charts
    png = d.get(f"/digests/{day}/{charts[0]}")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    for bad in (
        "/digests/2025-13-01/",
        "/digests/not-a-day/",
        f"/digests/{day}/snapshot.json",
        f"/digests/{day}/..%2F..%2Fhot.duckdb",
        "/digests/..%2F..%2Fetc/",
        "/digests/1999-01-01/",
    ):
        assert d.get(bad).status_code == 404, bad


def test_docs_load_nothing_from_a_cdn(site: tuple[DaemonProcess, str]) -> None:
    d, _ = site
    for path in ("/docs", "/redoc"):
        r = d.get(path)
        assert r.status_code == 404 or "cdn" not in r.text.lower(), path
    assert d.get("/openapi.json").status_code == 200


def test_the_token_guards_the_page_and_the_cookie_opens_only_the_page(tmp_path: Path) -> None:
    d = DaemonProcess(
        tmp_path / "data", env={"HURACAN_API__TOKEN": "s3cret-token", "HURACAN_SCHEDULER__CATCHUP_DAYS": "0"}
    ).start()
    try:
        r = d.get("/")
        assert r.status_code == 401 and 'name="token"' in r.text and "s3cret" not in r.text
        assert d.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert d.get("/digests/2025-11-06/").status_code == 401
        # The API's schema is behind the token too (and the page's cookie does not open it).
        assert d.get("/openapi.json").status_code == 401
        schema = d.get("/openapi.json", headers={"Authorization": "Bearer s3cret-token"})
        assert schema.status_code == 200 and "/v1/events" in schema.json()["paths"]
        assert "/openapi.json" not in schema.json()["paths"]
        bad = httpx.post(d.url + "/login", data={"token": "guess", "next": "/"}, follow_redirects=False)
        assert bad.status_code == 401 and "not the daemon" in bad.text
        ok = httpx.post(d.url + "/login", data={"token": "s3cret-token", "next": "//ev.il/x"}, follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "s3cret-token" not in cookie
        jar = {"huracan_web": ok.cookies["huracan_web"]}
        assert httpx.get(d.url + "/", cookies=jar).status_code == 200
        assert httpx.get(d.url + "/v1/status", cookies=jar).status_code == 401  # the API wants the header
        assert httpx.get(d.url + "/openapi.json", cookies=jar).status_code == 401
        out = httpx.get(d.url + "/logout", cookies=jar, follow_redirects=False)
        assert out.status_code == 303 and "huracan_web=" in out.headers["set-cookie"]
    finally:
        d.terminate()
        d.cleanup()


def _chromium(url: str, width: int, out: Path, netlog: Path) -> None:
    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="huracan-chromium-")
    try:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={width},2200",
                f"--screenshot={out}",
                f"--log-net-log={netlog}",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",  # nothing may leave anyway
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [420, 1280])
def test_chromium_renders_with_no_request_off_this_machine(
    site: tuple[DaemonProcess, str], width: int, tmp_path: Path
) -> None:
    d, day = site
    keep = os.environ.get("WEB_SCREENSHOT_DIR")  # set to keep the pictures (closing notes)
    for name, path in (("status", "/"), ("digest", f"/digests/{day}/")):
        shot, netlog = tmp_path / f"{name}-{width}.png", tmp_path / f"{name}-{width}.netlog.json"
        _chromium(d.url + path, width, shot, netlog)
        assert shot.stat().st_size > 10_000
        assert _png_width(shot) == width
        requested = _page_requests(netlog)
        assert d.url + path in _all_requests(netlog), "the net log saw the page load"
        outside = {u for u in requested if not u.startswith(d.url + "/")}
        assert not outside, f"requests off this machine: {sorted(outside)}"
        if name == "digest":
            assert any(u.endswith(".png") for u in requested), "the digest's charts load from the daemon"
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(keep) / f"web-{name}-{width}-{datetime.now(UTC):%H%M%S}.png")


def _events(netlog: Path) -> list[tuple[str, dict[str, Any]]]:
    data = json.loads(netlog.read_text(errors="replace"))
    names = {v: k for k, v in data["constants"]["logEventTypes"].items()}
    return [(names[e["type"]], e.get("params") or {}) for e in data["events"]]


def _all_requests(netlog: Path) -> set[str]:
    return {p["url"] for kind, p in _events(netlog) if kind == "URL_REQUEST_START_JOB" and "url" in p}


def _page_requests(netlog: Path) -> set[str]:
    """URLs the page asked for (an initiator origin), not the browser's own housekeeping."""
    return {
        p["url"]
        for kind, p in _events(netlog)
        if kind == "URL_REQUEST_START_JOB" and "url" in p and p.get("initiator") not in (None, "not an origin")
    }


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_the_net_log_check_sees_an_outside_request(tmp_path: Path) -> None:
    """The detector itself: a page that loads a CDN asset is caught (so a pass above means something)."""
    page = tmp_path / "outside.html"
    page.write_text('<html><body><img src="https://cdn.example.org/x.png">hi</body></html>')
    netlog = tmp_path / "outside.netlog.json"
    _chromium(page.as_uri(), 420, tmp_path / "outside.png", netlog)
    assert "https://cdn.example.org/x.png" in _page_requests(netlog)


def _png_width(path: Path) -> int:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big")
