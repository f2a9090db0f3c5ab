"""What the daemon answers when the desk asks from a phone: ``/status``, ``/digest [DATE]``,
``/why SIGNAL_ID``, ``/gates``, ``/model [ID]`` and ``/help``.

Each answer is built from the function the CLI uses for the same question —
``Daemon.status`` (``huracan status``), the archived snapshot and council output
re-rendered by the digest renderer (``huracan digest render``), ``explain_signal``
(``huracan explain``), ``gate_report`` (``huracan gates report``) and the model registry's
readiness and attestation (``huracan models show``) — so a phone never hears a second
computation. Answers are Telegram HTML: every value from an event is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from huracan.config import Settings
from huracan.digest.escape import tg_escape as esc
from huracan.digest.pack import TELEGRAM_LIMIT, split_text

__all__ = ["COMMANDS", "ChatContext", "answer", "parse_command"]

COMMANDS = {
    "status": "daemon, today's events, queue, last nightly and alerts",
    "digest": "[YYYY-MM-DD] the digest of a day (default: the last one)",
    "why": "SIGNAL_ID why a signal passed or was blocked, gate by gate",
    "gates": "pass rate vs target per gate and mode, and the verdict",
    "model": "[ID] the newest (or given) model: readiness, export, Hamilton's ack",
    "help": "these commands",
}
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.S)


@dataclass
class ChatContext:
    """What answers need: the settings, a store cursor, the daemon's status and the plugins."""

    settings: Settings
    cursor: Callable[[], Any]
    status: Callable[[], dict[str, Any]]
    plugins: Any


def parse_command(text: str) -> tuple[str, str] | None:
    """``("why", "sig-1")`` for ``/why@HuracanBot sig-1``; None when the text is no command."""
    m = _COMMAND.match(text.strip())
    if m is None:
        return None
    return m.group(1).lower(), (m.group(2) or "").strip()


def answer(ctx: ChatContext, text: str) -> list[str]:
    """The reply messages (each within Telegram's 4,096 characters) to ``text``; [] if no command."""
    parsed = parse_command(text)
    if parsed is None:
        return []
    name, arg = parsed
    handler = _HANDLERS.get("help" if name == "start" else name)
    if handler is None:
        return [f"Unknown command /{esc(name)}. Try /help."]
    try:
        replies = handler(ctx, arg)
    except Exception as exc:  # a question must not take the poller down; say what failed
        return [f"Could not answer /{esc(name)}: {esc(type(exc).__name__)}: {esc(str(exc)[:300])}"]
    return [part for r in replies for part in split_text(r, TELEGRAM_LIMIT)]


def _help(ctx: ChatContext, arg: str) -> list[str]:
    lines = ["<b>Huracan</b> answers:"] + [f"/{n} {esc(d)}" for n, d in COMMANDS.items()]
    return ["\n".join(lines)]


def _status(ctx: ChatContext, arg: str) -> list[str]:
    from huracan.cli.status_cmd import describe_run
    from huracan.store.journal import fetch_rows

    st = ctx.status()
    d = st.get("daemon") or {}
    lines = [f"<b>Huracan</b> {esc(d.get('version', ''))}, up since {esc(str(d.get('started_at', ''))[:16])} UTC"]
    lines.append(f"last day with data: {esc(st.get('last_data_day') or 'none yet')}")
    lines.append(f"events today {st['events_today']:,}, stored {st['events_total']:,}")
    q = st.get("queue") or {}
    if q:
        kill = ", KILL SWITCH ON" if q.get("kill_switch") else ""
        lines.append(f"queue {esc(q.get('health'))}, {float(q.get('fill') or 0):.1%} full{kill}")
    for j in st.get("jobs", []):
        if j["job"] in ("nightly", "roll", "alerts", "deadman"):
            what = describe_run(j["job"], j["status"], j.get("detail") or {}, j.get("error"), short=True)
            lines.append(f"{esc(j['job'])} {esc(j['day'] or '')}: {esc(j['status'])} — {esc(what)}")
    today = datetime.now(UTC).date()
    alerts = fetch_rows(
        ctx.cursor(), "SELECT severity, name, message FROM v_alert WHERE day = ? ORDER BY ts DESC LIMIT 5", [today]
    )
    lines.append(f"alerts today: {len(alerts)}" + (" (latest first)" if alerts else ""))
    lines += [f"• {esc(a['severity'])} {esc(a['name'])}: {esc(a['message'])}" for a in alerts]
    return ["\n".join(lines)]


def _digest(ctx: ChatContext, arg: str) -> list[str]:
    from huracan.analytics.snapshot import MetricsSnapshot
    from huracan.council.schema import CouncilResult
    from huracan.digest.build import build_digest
    from huracan.digest.render import render

    root = ctx.settings.archive_dir
    if arg:
        try:
            day = date.fromisoformat(arg.split()[0])
        except ValueError:
            return [f"{esc(arg)} is not a day: use /digest YYYY-MM-DD"]
    else:
        days = sorted(p.parent.name for p in root.glob("*/snapshot.json")) if root.is_dir() else []
        if not days:
            return ["No digest archived yet: the nightly job writes one per day."]
        day = date.fromisoformat(days[-1])
    folder = root / day.isoformat()
    if not (folder / "snapshot.json").is_file():
        return [f"No digest archived for {day}. `huracan jobs run nightly --date {day}` writes it."]
    snapshot = MetricsSnapshot.model_validate_json((folder / "snapshot.json").read_text(encoding="utf-8"))
    council_file = folder / "council.json"
    council = (
        CouncilResult.model_validate_json(council_file.read_text(encoding="utf-8")) if council_file.is_file() else None
    )
    sections = ctx.plugins.digest_sections(snapshot)
    digest = build_digest(snapshot, council, None, ctx.settings, plugin_sections=sections, charts=False)
    return list(render(digest).telegram)


def _why(ctx: ChatContext, arg: str) -> list[str]:
    from huracan.analytics.gate_explainer import SignalNotFound, explain_signal

    if not arg:
        return ["Which signal? /why SIGNAL_ID (the id is in the trade list and the digest)."]
    try:
        ex = explain_signal(ctx.cursor(), arg.split()[0], ctx.plugins.gates())
    except SignalNotFound as exc:
        return [esc(exc)]
    head = " · ".join(esc(x) for x in (ex.symbol, ex.mode, ex.side) if x)
    lines = [f"<b>{esc(ex.signal_id)}</b> {head} → <b>{esc(ex.verdict.upper())}</b>"]
    lines += [("✅ " if g.passed else "❌ ") + esc(g.sentence) for g in ex.gates]
    lines.append(esc(ex.summary))
    return ["\n".join(lines)]


def _gates(ctx: ChatContext, arg: str) -> list[str]:
    from huracan.analytics.gate_explainer import gate_report
    from huracan.cli.fmt import VERDICT_LABEL, gate_target, pct

    rep = gate_report(ctx.cursor(), None, ctx.plugins.gates())
    if rep.day is None:
        return ["No gate decisions in the store yet."]
    lines = [f"<b>Gates on {rep.day}</b> (pass rate, target, verdict)"]
    for g in rep.gates:
        mark = VERDICT_LABEL[g.verdict]
        mark = f"<b>{mark}</b>" if g.verdict in ("too_strict", "too_loose") else mark
        lines.append(f"{esc(g.gate)} {esc(g.mode)}: {pct(g.pass_rate)} of {gate_target(g.targets)} {mark}")
    for g in rep.gates:
        if g.verdict in ("too_strict", "too_loose"):
            lines.append(f"• {esc(g.gate)} ({esc(g.mode)}): {esc(g.verdict_reason)}")
    return ["\n".join(lines)]


def _model(ctx: ChatContext, arg: str) -> list[str]:
    from huracan.analytics.evolution import model_line, model_version
    from huracan.store.registry import ModelRegistry, UnknownModelError

    registry = ModelRegistry(ctx.settings, store=ctx.cursor())
    if arg:
        try:
            mid = registry.resolve(arg.split()[0])
        except UnknownModelError as exc:
            return [esc(exc)]
    else:
        line = model_line(registry)
        if not line:
            return ["No model registered yet."]
        mid = line[-1]["version"].model_id
    v = model_version(registry, mid)
    chain = registry.attestation(mid, datetime.now(UTC))
    metrics = ", ".join(f"{esc(k)} {val:.4g}" for k, val in sorted(v.metrics.items()) if k in ("auc", "ece", "mce"))
    lines = [
        f"<b>model {esc(mid[:12])}</b> ({esc(v.learner)}), registered {v.registered_at:%Y-%m-%d %H:%M} UTC",
        metrics + (f", {v.samples:,} samples" if v.samples is not None else ""),
        "ready for Hamilton: " + ("yes" if v.ready else "no — " + esc("; ".join(v.reasons))),
        f"state: <b>{esc(chain.state)}</b> — {esc(chain.detail)}",
        f"exports {len(chain.exports)}, Hamilton acks {len(chain.acks)}, artifact {esc(chain.artifact)}",
    ]
    return ["\n".join(lines)]


_HANDLERS: dict[str, Callable[[ChatContext, str], list[str]]] = {
    "status": _status,
    "digest": _digest,
    "why": _why,
    "gates": _gates,
    "model": _model,
    "help": _help,
}
