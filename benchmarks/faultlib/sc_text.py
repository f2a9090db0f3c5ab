"""Untrusted text: planted secrets and hostile event text on every surface (issue 13)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx

from benchmarks.faultlib.core import Lab, scenario
from benchmarks.faultlib.servers import ChatServer, SmtpServer
from huracan.council.fake_server import FakeLLMServer
from huracan.council.offline import offline_reply
from huracan.hostile import MARKERS, hostile_copy
from tests.test_safety_terminal import RAW, _commands

SECRET = "hur-planted-bot-token-5e4d3c2b1a09"
ROLES = ("learning_progress", "calibration", "gates", "risk", "data_quality", "hamilton_readiness", "skeptic")
UNESCAPED_MD_LINK = re.compile(r"(?<!\\)\]\(https://ev\.il/m\)")


def _council_env(llm: FakeLLMServer) -> dict[str, str]:
    analysts = json.dumps([{"role": r, "model": "openai/fake", "timeout_s": 20} for r in ROLES])
    return {
        "HURACAN_COUNCIL__ANALYSTS": analysts,
        "HURACAN_COUNCIL__JUDGE_MODEL": "openai/fake",
        "OPENAI_API_BASE": llm.base_url,
        "OPENAI_API_KEY": "sk-fake-for-the-fault-suite",
    }


def _channels_env(tg: ChatServer, dc: ChatServer, smtp: SmtpServer, token: str) -> dict[str, str]:
    return {
        "HURACAN_NOTIFIERS__TELEGRAM__ENABLED": "true",
        "HURACAN_NOTIFIERS__TELEGRAM__CHAT_ID": "42",
        "HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN": token,
        "HURACAN_NOTIFIERS__TELEGRAM__API_BASE": tg.url,
        "HURACAN_NOTIFIERS__DISCORD__ENABLED": "true",
        "HURACAN_NOTIFIERS__DISCORD__WEBHOOK_URL": f"{dc.url}/api/webhooks/1/discord-webhook-token-abcdef",
        "HURACAN_NOTIFIERS__EMAIL__ENABLED": "true",
        "HURACAN_NOTIFIERS__EMAIL__HOST": "127.0.0.1",
        "HURACAN_NOTIFIERS__EMAIL__PORT": str(smtp.port),
        "HURACAN_NOTIFIERS__EMAIL__STARTTLS": "false",
        "HURACAN_NOTIFIERS__EMAIL__RECIPIENTS": "desk@example.org",
        "HURACAN_NOTIFIERS__MAX_ATTEMPTS": "2",
        "HURACAN_NOTIFIERS__BACKOFF_S": "0.05",
    }


def _hostile_ndjson() -> tuple[list[bytes], str]:
    """Two simulated days with HOSTILE in every free-text field, as NDJSON batches; and the last day."""
    from huracan.config import load_config
    from huracan.simulate import simulate
    from huracan.store.registry import ModelRegistry

    events: list[Any] = []
    settings = load_config()
    simulate(settings, emit=events.append, registry=lambda e: ModelRegistry(settings, e), days=2, signals_per_day=60)
    lines = [json.dumps(hostile_copy(e.model_dump(mode="json"))).encode() for e in events]
    batches = [b"\n".join(lines[i : i + 2000]) for i in range(0, len(lines), 2000)]
    last = max(e.ts for e in events if e.type == "signal").date()
    return batches, last.isoformat()


@scenario(
    "Hostile text in every event field (ingested over HTTP) through the nightly digest and the council",
    "escaped in the HTML email, Telegram (HTML mode), Discord (markdown, no mentions), the Markdown archive; "
    "prompts quote no event text raw (no control character reaches a model)",
)
def hostile_everywhere(lab: Lab) -> tuple[str, bool]:
    prompts: list[str] = []

    def reply(messages: list[dict[str, Any]]) -> str:
        prompts.extend(str(m.get("content", "")) for m in messages)
        return offline_reply(messages)

    batches, day = _hostile_ndjson()
    tg, dc, smtp = ChatServer().start(), ChatServer().start(), SmtpServer().start()
    try:
        with FakeLLMServer(reply=reply) as llm:
            env = {**_council_env(llm), **_channels_env(tg, dc, smtp, SECRET)}
            with lab.daemon(lab.empty("hostile"), env=env) as d:
                for b in batches:
                    r = d.post(b)
                    if r.status_code not in (200, 207):
                        return f"ingest answered {r.status_code}: {r.text[:120]}", False
                run = httpx.post(d.url + "/v1/jobs/nightly/run", json={"day": day}, timeout=600).json()
                lab._shared["hostile-dir"] = d.data_dir
                day_dir = d.data_dir / "digests" / day
                html = (day_dir / "digest.html").read_text(encoding="utf-8")
                md = (day_dir / "digest.md").read_text(encoding="utf-8")
                # The terminal check below reads through this daemon.
                lab._shared["hostile-cli"] = _terminal(d.data_dir)
                assert d.terminate() == 0
    finally:
        tg.close()
        dc.close()
        smtp.close()
    shown = "ev.il" in html and "ev.il" in md  # the hostile text really reached the digest
    tg_texts = [_telegram_text(b) for b in tg.bodies]
    dc_payloads = [_discord_payload(b) for b in dc.bodies]
    dc_markdown = [t for p in dc_payloads for t in _discord_markdown(p)]
    problems = []
    if "<script>" in html:
        problems.append("raw <script> in HTML")
    if any("<script>" in t for t in tg_texts):
        problems.append("raw <script> in Telegram")
    if not all(p.get("allowed_mentions") == {"parse": []} for p in dc_payloads):
        problems.append("a Discord payload may mention")
    if any(UNESCAPED_MD_LINK.search(t) or "@everyone" in t for t in dc_markdown):
        problems.append("unescaped link or mention in Discord markdown")
    if UNESCAPED_MD_LINK.search(md) or re.search(r"(?<!\\)<script", md):
        problems.append("unescaped link/HTML in Markdown")
    if any(raw in p for p in prompts for raw in RAW):
        problems.append("raw control character in a prompt")
    if any(raw in t for t in [html, md, *tg_texts] for raw in ("\x1b", "\x00")):
        problems.append("ESC/NUL in a digest")
    hostile_in_prompts = sum("ev.il" in p for p in prompts)
    observed = (
        f"night {run.get('status')}; hostile text in the digest: {shown}; in {hostile_in_prompts} of {len(prompts)} "
        "prompt messages (they carry the snapshot's numbers and ids, not event text); "
        f"sent {len(tg_texts)} Telegram, {len(dc_payloads)} Discord, {len(smtp.inbox.subjects)} email; "
        + ("; ".join(problems) if problems else "all escaped")
    )
    ok = run.get("status") == "ok" and shown and bool(prompts) and bool(tg_texts) and bool(dc_payloads)
    return observed, ok and not problems


def _telegram_text(body: bytes) -> str:
    """The text Telegram parses as HTML: a message's ``text`` or a photo's ``caption``."""
    if body.startswith(b"{"):
        return str(json.loads(body).get("text", ""))
    m = re.search(rb'name="caption"\r\n\r\n(.*?)\r\n--', body, re.S)
    return m.group(1).decode("utf-8", "replace") if m else ""


def _discord_markdown(payload: dict[str, Any]) -> list[str]:
    """What Discord renders as markdown: content and embed titles, descriptions, fields, footers.

    An attachment's ``description`` is alt text, shown as plain text, so it is not here.
    """
    out = [str(payload.get("content", ""))]
    for e in payload.get("embeds", []):
        out += [str(e.get("title", "")), str(e.get("description", "")), str((e.get("footer") or {}).get("text", ""))]
        out += [str(f.get(k, "")) for f in e.get("fields", []) for k in ("name", "value")]
    return out


def _discord_payload(body: bytes) -> dict[str, Any]:
    if body.startswith(b"{"):
        return dict(json.loads(body))
    m = re.search(rb'name="payload_json"\r\n\r\n(.*?)\r\n--', body, re.S)  # multipart with charts
    return dict(json.loads(m.group(1))) if m else {}


def _terminal(data_dir: Path) -> tuple[int, int, list[str]]:
    """Every CLI renderer over the hostile data, read through the running daemon."""
    from typer.testing import CliRunner

    from huracan.cli import app

    runner = CliRunner()
    sid = httpx.post(
        _url(data_dir) + "/v1/sql",
        json={"sql": "SELECT signal_id FROM v_gate_decision WHERE NOT passed LIMIT 1"},
        params={"format": "json"},
    ).json()["rows"][0][0]
    shown, bad = 0, []
    cmds = _commands(sid)
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        for cmd in cmds:
            res = runner.invoke(app, ["--data-dir", str(data_dir), *cmd], env={"COLUMNS": "2000", "HURACAN_URL": ""})
            out = res.stdout + res.stderr
            if any(raw in out for raw in RAW) or ("ev.il" in out and MARKERS["rich_link"] not in out):
                bad.append(" ".join(cmd[:2]))
            shown += "ev.il" in out
    finally:
        # The CLI's basicConfig binds a handler to the runner's stderr, which is closed once the
        # runner returns; left on the root logger it turns later scenarios' log lines into
        # "--- Logging error ---" tracebacks.
        root.handlers[:] = handlers
    return len(cmds), shown, bad


def _url(data_dir: Path) -> str:
    return str(json.loads((data_dir / "daemon.json").read_text())["url"])


@scenario(
    "Hostile text in every event field on the terminal (17 CLI renderers, through the daemon)",
    "shown inert: no ESC/NUL/DEL/C1/bidi reaches the terminal, Rich markup printed as text",
)
def hostile_terminal(lab: Lab) -> tuple[str, bool]:
    if "hostile-cli" not in lab._shared:
        hostile_everywhere(lab)
    n, shown, bad = lab._shared["hostile-cli"]
    return (
        f"{n} commands, {shown} showed the hostile fields; "
        + (f"obeyed in: {', '.join(bad)}" if bad else "none obeyed them"),
        not bad and shown >= 9,
    )


@scenario(
    "Planted secret: a plugin raising with a webhook URL, bot token and LLM key in its message",
    "masked in snapshot.json, every digest format, the archive, all council prompts, logs and `plugins list`",
    fast=True,
)
def secret_in_plugin_text(lab: Lab) -> tuple[str, bool]:

    from huracan.config import AnalystSettings, load_config
    from huracan.pipeline import archive, prepare_digest
    from huracan.plugins.manager import get_plugins
    from huracan.redact import RedactingFilter
    from huracan.store import Store
    from tests.test_safety_secrets import BOT, LLM_KEY, TOKEN_ONLY, WEBHOOK, Broken, Leaky

    prompts: list[str] = []

    def reply(messages: list[dict[str, Any]]) -> str:
        prompts.append(json.dumps(messages))
        return offline_reply(messages)

    import os

    planted = (
        "OPENAI_API_KEY",
        "OPENAI_API_BASE",
        "HURACAN_NOTIFIERS__DISCORD__WEBHOOK_URL",
        "HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN",
    )
    saved = {k: os.environ.get(k) for k in planted}
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda rec: records.append(handler.format(rec))  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter())
    logging.getLogger().addHandler(handler)
    try:
        with FakeLLMServer(reply=reply) as llm:
            # The secrets are configured (a secret nobody configured cannot be known to be one).
            os.environ.update(
                OPENAI_API_KEY=LLM_KEY,
                OPENAI_API_BASE=llm.base_url,
                HURACAN_NOTIFIERS__DISCORD__WEBHOOK_URL=WEBHOOK,
                HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN=BOT,
            )
            settings = load_config(data_dir=lab.copy("secret-plugin"))
            settings.council.analysts = [AnalystSettings(role=r, model="openai/fake") for r in ROLES]
            settings.council.judge_model = "openai/fake"
            plugins = get_plugins(settings, entry_points=False, plugins=[Leaky(), Broken()])
            with Store.open(settings) as store:
                result = prepare_digest(settings, store.cursor(), plugins, store.last_day(), charts=False)
                day_dir = archive(result, settings.archive_dir)
    finally:
        logging.getLogger().removeHandler(handler)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    r = result.rendered
    surfaces = {
        "snapshot": result.snapshot.model_dump_json(),
        "council": result.council.model_dump_json(),
        "digest": "\n".join([r.html, r.text, r.markdown, *r.telegram, json.dumps([m.payload for m in r.discord])]),
        "archive": "\n".join(p.read_text(errors="replace") for p in day_dir.iterdir() if p.suffix != ".png"),
        "prompts": "\n".join(prompts),
        "logs": "\n".join(records),
        "plugins list": json.dumps(plugins.describe()),
    }
    leaks = [n for n, text in surfaces.items() for s in (WEBHOOK, TOKEN_ONLY, BOT, LLM_KEY) if s in text]
    reported = "RuntimeError: POST [redacted] failed" in surfaces["snapshot"]
    return (
        f"{len(prompts)} prompts, {len(surfaces)} surfaces checked; failure still reported masked: {reported}; "
        + (f"leaked into {sorted(set(leaks))}" if leaks else "no leak"),
        bool(prompts) and reported and not leaks,
    )


@scenario(
    "Planted secret: a bot token the chat API rejects (401, token in the request URL)",
    "the night fails naming the channel; token absent from job error, `jobs`, `digest status`, the daemon log "
    "and every SQL answer",
)
def secret_in_error_text(lab: Lab) -> tuple[str, bool]:
    tg = ChatServer(plan=[401] * 50).start()
    try:
        env = {
            "HURACAN_NOTIFIERS__TELEGRAM__ENABLED": "true",
            "HURACAN_NOTIFIERS__TELEGRAM__CHAT_ID": "42",
            "HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN": SECRET,
            "HURACAN_NOTIFIERS__TELEGRAM__API_BASE": tg.url,
            "HURACAN_LOG_LEVEL": "DEBUG",
        }
        with lab.daemon(lab.copy("secret-401"), env=env) as d:
            day = _last_day(d)
            run = httpx.post(d.url + "/v1/jobs/nightly/run", json={"day": day}, timeout=600).json()
            answers = [
                httpx.post(d.url + "/v1/sql", json={"sql": sql}, params={"format": "json"}, timeout=60).text
                for sql in (
                    "SELECT name, message FROM v_alert",
                    "SELECT * FROM job_runs",
                    "SELECT content FROM read_text('/proc/self/environ')",
                )
            ]
            jobs = d.get("/v1/jobs").text
            status = json.dumps(json.loads(_cli(d.data_dir, "digest", "status", "--json")))
            assert d.terminate() == 0
            log = d.log_path.read_text(errors="replace")
    finally:
        tg.close()
    texts = {
        "job error": str(run.get("error")),
        "jobs": jobs,
        "digest status": status,
        "log": log,
        "sql": "".join(answers),
    }
    leaks = [k for k, v in texts.items() if SECRET in v]
    named = "telegram" in str(run.get("error"))
    return (
        f"night {run.get('status')} ({str(run.get('error'))[:80]}…); "
        + (f"token leaked into {leaks}" if leaks else "token in none of job error, jobs, digest status, log, SQL"),
        run.get("status") == "error" and named and not leaks,
    )


def _last_day(d: Any) -> str:
    r = httpx.post(d.url + "/v1/sql", json={"sql": "SELECT max(day) FROM v_signal"}, params={"format": "json"})
    return str(r.json()["rows"][0][0])


def _cli(data_dir: Path, *args: str) -> str:
    from tests.daemon_helpers import run_cli

    return run_cli(*args, data_dir=data_dir).stdout
