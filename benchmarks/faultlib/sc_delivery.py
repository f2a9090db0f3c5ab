"""Channels and models that fail: SMTP, Telegram and Discord down, rate limits, LLMs (issue 13)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from benchmarks.faultlib.core import Lab, scenario
from benchmarks.faultlib.servers import ChatServer, SmtpServer, free_port
from huracan.council.fake_server import FakeLLMServer
from tests.daemon_helpers import DaemonProcess, run_cli

FAST_RETRY = {
    "HURACAN_NOTIFIERS__MAX_ATTEMPTS": "2",
    "HURACAN_NOTIFIERS__BACKOFF_S": "0.05",
    "HURACAN_SCHEDULER__DELIVERY_RETRY_S": "2",
    "HURACAN_SCHEDULER__DEADMAN_DIGEST_HOUR": "0",
}


def _telegram(port: int) -> dict[str, str]:
    return {
        "HURACAN_NOTIFIERS__TELEGRAM__ENABLED": "true",
        "HURACAN_NOTIFIERS__TELEGRAM__CHAT_ID": "42",
        "HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN": "123:fault-suite-telegram-token",
        "HURACAN_NOTIFIERS__TELEGRAM__API_BASE": f"http://127.0.0.1:{port}",
    }


def _discord(port: int) -> dict[str, str]:
    return {
        "HURACAN_NOTIFIERS__DISCORD__ENABLED": "true",
        "HURACAN_NOTIFIERS__DISCORD__WEBHOOK_URL": f"http://127.0.0.1:{port}/api/webhooks/1/fault-suite-discord-token",
    }


def _email(port: int) -> dict[str, str]:
    return {
        "HURACAN_NOTIFIERS__EMAIL__ENABLED": "true",
        "HURACAN_NOTIFIERS__EMAIL__HOST": "127.0.0.1",
        "HURACAN_NOTIFIERS__EMAIL__PORT": str(port),
        "HURACAN_NOTIFIERS__EMAIL__STARTTLS": "false",
        "HURACAN_NOTIFIERS__EMAIL__RECIPIENTS": "desk@example.org",
    }


def _last_day(d: DaemonProcess) -> str:
    r = httpx.post(d.url + "/v1/sql", json={"sql": "SELECT max(day) FROM v_signal"}, params={"format": "json"})
    return str(r.json()["rows"][0][0])


def _alerts(d: DaemonProcess) -> list[str]:
    r = httpx.post(d.url + "/v1/sql", json={"sql": "SELECT name FROM v_alert ORDER BY ts"}, params={"format": "json"})
    return [row[0] for row in r.json()["rows"]]


def _wait(pred: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.5)
    return None


def _run(d: DaemonProcess, job: str, day: str | None = None) -> dict[str, Any]:
    r = httpx.post(f"{d.url}/v1/jobs/{job}/run", json={"day": day}, timeout=600)
    return dict(r.json())


def _delivered_retry(d: DaemonProcess, day: str) -> Any:
    runs = d.get("/v1/jobs?job=deliver").json()
    return [r for r in runs if r["status"] == "ok" and r["day"] == day]


@scenario(
    "Delivery: SMTP down at the nightly run (Telegram up), then back",
    "`jobs run nightly` exits 1; alert via Telegram; deadman fires; the scheduler's retry delivers the email "
    "exactly once; deadman then quiet",
)
def smtp_down(lab: Lab) -> tuple[str, bool]:
    smtp_port = free_port()
    tg = ChatServer().start()
    smtp = SmtpServer(port=smtp_port)
    try:
        with lab.daemon(lab.copy("smtp-down"), env={**FAST_RETRY, **_email(smtp_port), **_telegram(tg.port)}) as d:
            day = _last_day(d)
            run = run_cli("jobs", "run", "nightly", "--date", day, data_dir=d.data_dir)
            failed_alert = _wait(lambda: "digest_delivery_failed" in _alerts(d), 30)
            alert_on_tg = _wait(lambda: any(b"digest_delivery_failed" in b for b in tg.bodies), 30) or False
            dead = _run(d, "deadman")
            smtp.start()
            retried = _wait(lambda: _delivered_retry(d, day), 120)
            time.sleep(4)  # any further retry would send it again
            dead_after = _run(d, "deadman")
            assert d.terminate() == 0
    finally:
        tg.close()
        smtp.close()
    fired = (dead.get("detail") or {}).get("fired", [])
    fired_after = (dead_after.get("detail") or {}).get("fired", [])
    # Alerts arrive by email too once SMTP is back ("[huracan] …"); the digest must arrive once.
    emails = sum(not subject.startswith("[huracan]") for subject in smtp.inbox.subjects)
    return (
        f"jobs run exit {run.returncode}; alert stored {bool(failed_alert)}, sent on Telegram {alert_on_tg}; "
        f"deadman {fired}; retry delivered: {bool(retried)}; digest emails received {emails}; deadman after {fired_after}",
        run.returncode == 1
        and bool(failed_alert)
        and alert_on_tg
        and "digest_not_delivered" in fired
        and bool(retried)
        and emails == 1
        and "digest_not_delivered" not in fired_after,
    )


@scenario(
    "Delivery: Telegram and Discord down (connection refused) at the nightly run, then back",
    "the night fails; a scheduled retry delivers every message once",
)
def chat_down(lab: Lab) -> tuple[str, bool]:
    tg_port, dc_port = free_port(), free_port()
    tg, dc = ChatServer(port=tg_port), ChatServer(port=dc_port)
    try:
        with lab.daemon(lab.copy("chat-down"), env={**FAST_RETRY, **_telegram(tg_port), **_discord(dc_port)}) as d:
            day = _last_day(d)
            first = _run(d, "nightly", day)
            tg.start()
            dc.start()
            retried = _wait(lambda: _delivered_retry(d, day), 120)
            time.sleep(4)
            assert d.terminate() == 0
    finally:
        tg.close()
        dc.close()
    dups = tg.duplicates() + dc.duplicates()
    digest_tg = [p for p in tg.paths if p.endswith(("/sendMessage", "/sendPhoto"))]
    return (
        f"night {first.get('status')}; retry delivered: {bool(retried)}; received {len(digest_tg)} Telegram, "
        f"{len(dc.paths)} Discord; duplicates {dups}",
        first.get("status") == "error" and bool(retried) and bool(digest_tg) and bool(dc.paths) and dups == 0,
    )


@scenario(
    "Delivery: Telegram and Discord answer 429 (retry_after 1 s) and 5xx before accepting",
    "the night succeeds later (after the waits); every message delivered exactly once",
)
def rate_limited(lab: Lab) -> tuple[str, bool]:
    tg = ChatServer(plan=[429, 500, 503]).start()
    dc = ChatServer(plan=[429, 502]).start()
    env = {
        **_telegram(tg.port),
        **_discord(dc.port),
        "HURACAN_NOTIFIERS__MAX_ATTEMPTS": "5",
        "HURACAN_NOTIFIERS__BACKOFF_S": "0.2",
    }
    try:
        with lab.daemon(lab.copy("rate-limit"), env=env) as d:
            day = _last_day(d)
            t0 = time.perf_counter()
            run = _run(d, "nightly", day)
            took = time.perf_counter() - t0
            status = json.loads(run_cli("digest", "status", "--json", data_dir=d.data_dir).stdout)
            assert d.terminate() == 0
    finally:
        tg.close()
        dc.close()
    attempts = {c["channel"]: c for c in (run.get("detail") or {}).get("deliveries", [])}
    sent = {r["channel"]: r["sent"] for r in status if r["day"] == day}
    dups = tg.duplicates() + dc.duplicates()
    return (
        f"night {run.get('status')} in {took:.1f} s; ledger sent {sent}; requests Telegram {tg.requests} "
        f"(accepted {len(tg.accepted)}), Discord {dc.requests} (accepted {len(dc.accepted)}); duplicates {dups}",
        run.get("status") == "ok"
        and sent.get("telegram") is True
        and sent.get("discord") is True
        and tg.requests == len(tg.accepted) + 3
        and dc.requests == len(dc.accepted) + 2
        and dups == 0
        and bool(attempts),
    )


def _council(lab: Lab, name: str, server: FakeLLMServer, timeout_s: float) -> tuple[Any, float]:
    import os

    from huracan.config import AnalystSettings, load_config
    from huracan.pipeline import prepare_digest
    from huracan.plugins.manager import get_plugins
    from huracan.store import Store

    saved = {k: os.environ.get(k) for k in ("OPENAI_API_BASE", "OPENAI_API_KEY")}
    os.environ.update(OPENAI_API_BASE=server.base_url, OPENAI_API_KEY="sk-fault-suite")
    try:
        settings = load_config(data_dir=lab.copy(name))
        settings.council.analysts = [
            AnalystSettings(role=a.role, model="openai/fake", timeout_s=timeout_s) for a in settings.council.analysts
        ]
        settings.council.judge_model = settings.council.fallback_judge_model = "openai/fake"
        settings.council.judge_timeout_s = timeout_s
        settings.council.max_retries = 1
        settings.council.retry_backoff_s = 0.1
        with Store.open(settings) as store:
            t0 = time.perf_counter()
            result = prepare_digest(settings, store.cursor(), get_plugins(settings), store.last_day(), charts=False)
            return result, time.perf_counter() - t0
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _fail(_messages: list[dict[str, Any]]) -> str:
    raise RuntimeError("provider outage (fault suite)")


@scenario(
    "LLM: every model failing",
    "the digest is still published from the offline path, says so, within the timeouts",
)
def llm_all_fail(lab: Lab) -> tuple[str, bool]:
    with FakeLLMServer(reply=_fail) as server:
        result, took = _council(lab, "llm-fail", server, timeout_s=5)
    c = result.council
    said = "offline" in result.rendered.text.lower() or "degraded" in result.rendered.text.lower()
    return (
        f"council mode {c.mode}; digest says so: {said}; {len(server.calls)} failed calls; {took:.1f} s",
        c.mode in ("offline", "deterministic", "degraded") and said and bool(result.rendered.html) and took < 120,
    )


@scenario(
    "LLM: one analyst's model hangs",
    "that analyst times out (flagged), the others and the judge answer; bounded by the analyst timeout",
)
def llm_hangs(lab: Lab) -> tuple[str, bool]:
    def delay(task: str | None, role: str | None) -> float:
        return 600.0 if role == "risk" else 0.0

    with FakeLLMServer(delay=delay) as server:
        result, took = _council(lab, "llm-hang", server, timeout_s=4)
    c = result.council
    risk = [a for a in c.analyses if a.role == "risk"]
    others_ok = sum(a.status == "ok" for a in c.analyses if a.role != "risk")
    flagged = any("risk" in n for n in (*c.notes, result.rendered.text))
    return (
        f"council mode {c.mode}; risk analyst {risk[0].status if risk else '?'}; {others_ok} others ok; "
        f"flagged: {flagged}; {took:.1f} s (analyst timeout 4 s)",
        bool(risk) and risk[0].status != "ok" and others_ok >= 5 and flagged and took < 60,
    )
