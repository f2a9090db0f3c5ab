"""The offline analyst and judge: a litellm custom provider named ``huracan``.

``huracan/offline`` is an ordinary litellm model string, so the council's code path is
the same with or without keys. The provider reads what a real model reads — the
prompt's fenced SNAPSHOT (and ANALYSES) blocks — and writes deterministic,
role-specific answers that use placeholders and real metric ids, so its output passes
the same validation and verification as any model's.

Example::

    >>> from huracan.council.offline import offline_reply
    >>> offline_reply(messages)  # doctest: +SKIP
    '{"summary": "...", "findings": [...], ...}'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OFFLINE_MODEL", "PROVIDER", "offline_completion", "offline_reply", "register_provider", "task_of"]

PROVIDER = "huracan"
OFFLINE_MODEL = f"{PROVIDER}/offline"

_TASK = re.compile(r"^Task: (\w+)(?:; role: ([\w.\-]+))?", re.MULTILINE)
_BLOCK = re.compile(r"^(SNAPSHOT|ANALYSES)\b[^\n]*\n```json\n(.*?)\n```", re.MULTILINE | re.DOTALL)
_RANK = {"critical": 0, "warning": 1, "info": 2}

# Which metrics a role reads: substrings of the id or the category.
_FOCUS: dict[str, tuple[str, ...]] = {
    "learning_progress": ("learning", "auc", "loss", "accuracy", "training", "drift", "precision", "recall"),
    "calibration": ("calibration", "ece", "brier", "reliability"),
    "gates": ("gate", "signals", "counterfactual", "block"),
    "risk": ("drawdown", "sharpe", "sortino", "pnl", "profit_factor", "slippage", "risk"),
    "data_quality": ("data_quality", "events", "queue", "latency", "leakage", "missing", "late", "spool", "ingest"),
    "hamilton_readiness": ("hamilton", "live", "export", "auc", "ece"),
}


def _blocks(messages: list[dict[str, Any]]) -> tuple[str, str | None, dict[str, Any]]:
    """(task, role, {"SNAPSHOT": ..., "ANALYSES": ...}) from the first user message that has a task."""
    for msg in messages:
        content = msg.get("content") if isinstance(msg, dict) else None
        if msg.get("role") != "user" or not isinstance(content, str):
            continue
        m = _TASK.search(content)
        if m and m.group(1) in ("analyst", "judge"):
            data = {name: json.loads(body) for name, body in _BLOCK.findall(content)}
            return m.group(1), m.group(2), data
    raise ValueError("offline model: no 'Task: analyst' or 'Task: judge' message with a fenced SNAPSHOT block")


def task_of(messages: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(task, role) of a council conversation: ("analyst", "gates"), ("judge", None) …

    The last user turn decides the task (a revision is "revise"); (None, None) when the
    conversation is not the council's.
    """
    for msg in reversed(messages):
        content = msg.get("content") if isinstance(msg, dict) else None
        if msg.get("role") == "user" and isinstance(content, str):
            m = _TASK.search(content)
            if m:
                return m.group(1), m.group(2)
    return None, None


def _words(n: int) -> str:
    # Counts in words: the offline writer prints no literal number the verifier would have to match.
    names = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return names[n] if n < len(names) else "many"


@dataclass
class _Item:
    severity: str
    score: float
    title: str
    detail: str
    ids: list[str] = field(default_factory=list)


def _finding_for(mid: str, m: dict[str, Any], skeptic: bool) -> _Item | None:
    name, status = m["name"], m.get("status", "ok")
    if m.get("value") is None:
        return _Item("warning", 5, f"No data for {name}", f"{name} has no value today.", [mid]) if skeptic else None
    cmp = m.get("vs_prev_day") or {}
    sig, delta = cmp.get("significant"), cmp.get("delta")
    targets = m.get("targets") or {}
    target = ""
    if "min" in targets:
        target = f" against a minimum of {{{mid}.target_min}}"
    elif "max" in targets:
        target = f" against a maximum of {{{mid}.target_max}}"
    if status in ("warning", "critical"):
        change = f" ({{{mid}.delta_1d}} vs yesterday)" if delta is not None else ""
        return _Item(status, 4, f"{name} needs attention", f"{name} is {{{mid}}}{target}{change}.", [mid])
    if skeptic:
        n = m.get("n")
        if n is not None and n < 500 and "interval" in m:
            return _Item(
                "warning", 3, f"{name} rests on a small sample",
                f"{name} is {{{mid}}} from only {{{mid}.n}} observations; "
                f"the interval runs from {{{mid}.low}} to {{{mid}.high}}.", [mid],
            )  # fmt: skip
        if sig is False and delta is not None:
            return _Item(
                "info", 2, f"{name} moved within noise",
                f"{name} moved {{{mid}.delta_1d}} vs yesterday, which is not significant.", [mid],
            )  # fmt: skip
        return None
    if sig is True and delta is not None:
        word = "rose" if delta > 0 else "fell"
        hib = m.get("higher_is_better")
        sev = "warning" if hib is not None and (delta > 0) != hib else "info"
        detail = f"{name} {word} to {{{mid}}} ({{{mid}.delta_1d}} vs yesterday, a significant change){target}."
        return _Item(sev, 3 + abs(cmp.get("pct_change") or 0), f"{name} {word}", detail, [mid])
    return None


def _analysis(role: str, snap: dict[str, Any]) -> dict[str, Any]:
    metrics: dict[str, dict[str, Any]] = snap.get("metrics", {})
    keys = _FOCUS.get(role)
    skeptic = role == "skeptic"
    chosen = {
        mid: m
        for mid, m in metrics.items()
        if keys is None or any(k in mid or k in str(m.get("category", "")) for k in keys)
    }
    items = [it for mid, m in chosen.items() if (it := _finding_for(mid, m, skeptic))]
    items.sort(key=lambda it: (_RANK[it.severity], -it.score, it.ids[0]))
    items = items[:6]
    with_value = [(mid, m) for mid, m in chosen.items() if m.get("value") is not None]
    if not items and with_value:
        mid, m = with_value[0]
        items = [_Item("info", 0, f"{m['name']} is steady", f"{m['name']} is {{{mid}}}; nothing stands out.", [mid])]
    flagged = [it for it in items if it.severity != "info"]
    title = role.replace("_", " ")
    if flagged:
        summary = f"From the {title} side, {_words(len(flagged))} point(s) need attention: " + "; ".join(
            it.title for it in flagged
        )
    else:
        summary = f"From the {title} side, nothing needs attention today."
    recs = [
        {"action": f"Look into {it.title.lower()} ({it.ids[0]}) before the next export.", "metric_ids": it.ids,
         "priority": "high" if it.severity == "critical" else "medium"}
        for it in flagged[:3]
    ]  # fmt: skip
    readiness = snap.get("readiness") or {}
    if role == "hamilton_readiness" and readiness and not readiness.get("ready", False):
        recs.append({"action": "Hold the export to Hamilton until the readiness checks pass.", "priority": "high"})
    return {
        "summary": summary + ".",
        "findings": [
            {"title": it.title, "detail": it.detail, "metric_ids": it.ids, "severity": it.severity} for it in items
        ],
        "recommendations": recs,
        "confidence": "medium" if skeptic else "high",
    }


#: The metric whose significant improvement says "the Engine is learning" (out-of-time AUC).
_LEARNING_IDS = ("model_auc", "auc", "model_auc_reported")


def _learning(snap: dict[str, Any]) -> str:
    """Whether the Engine is learning, said only as far as the snapshot supports it (issue 11)."""
    metrics = snap.get("metrics", {})
    mid = next((i for i in _LEARNING_IDS if (metrics.get(i) or {}).get("value") is not None), None)
    if mid is None:
        return "the snapshot has no AUC to judge learning by"
    m = metrics[mid]
    name, hib = m["name"], m.get("higher_is_better", True)
    for key, which, against in (("vs_7d_mean", "delta_7d", "the 7-day mean"), ("vs_prev_day", "delta_1d", "yesterday")):
        c = m.get(key) or {}
        if c.get("significant") and c.get("delta"):
            better = (c["delta"] > 0) == bool(hib)
            if better:
                return f"the Engine is learning: {name} rose to {{{mid}}} ({{{mid}.{which}}} vs {against}, significant)"
            return f"{name} fell to {{{mid}}} ({{{mid}.{which}}} vs {against}, a significant decline)"
    c1 = m.get("vs_prev_day") or {}
    if c1.get("significant") is False:
        return f"{name} is {{{mid}}}, with no significant change vs yesterday"
    return f"{name} is {{{mid}}}"


def _judge(snap: dict[str, Any], analyses: list[dict[str, Any]]) -> dict[str, Any]:
    readiness = snap.get("readiness") or {}
    by_metric: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for a in analyses:
        for f in (a.get("analysis") or {}).get("findings", []):
            for mid in f.get("metric_ids", [])[:1]:
                by_metric.setdefault(mid, []).append((a["label"], f))
    ranked = sorted(by_metric.items(), key=lambda kv: (min(_RANK[f["severity"]] for _, f in kv[1]), -len(kv[1]), kv[0]))
    critical = [mid for mid, fs in ranked if any(f["severity"] == "critical" for _, f in fs)]
    if readiness.get("ready"):
        ready = "the current model is ready for Hamilton"
    elif readiness:
        ready = "the current model is not ready for Hamilton yet"
    else:
        ready = "there is no readiness assessment today"
    verdict = f"Verdict: {_learning(snap)}; {ready}."
    if critical:
        names = ", ".join(snap["metrics"].get(mid, {}).get("name", mid) for mid in critical[:4])
        verdict += f" Needs action first: {names}."
    paras = []
    for _mid, fs in ranked[:6]:
        fs_sorted = sorted(fs, key=lambda lf: _RANK[lf[1]["severity"]])
        _label, f = fs_sorted[0]
        who = ", ".join(sorted({lbl for lbl, _ in fs}))
        paras.append(f"{f['detail'].rstrip().rstrip('.')} (raised by {who}).")
    digest = " ".join(paras) if paras else "The analysts found nothing that needs attention today."
    disagreements = []
    for mid, fs in ranked:
        severities = {f["severity"] for _, f in fs}
        if len(severities) > 1:
            worst = min(fs, key=lambda lf: _RANK[lf[1]["severity"]])
            mild = max(fs, key=lambda lf: _RANK[lf[1]["severity"]])
            name = snap["metrics"].get(mid, {}).get("name", mid)
            disagreements.append(
                {"topic": name, "analysts": sorted({lbl for lbl, _ in fs}), "metric_ids": [mid],
                 "note": f"{worst[0]} rates it {worst[1]['severity']} while {mild[0]} rates it {mild[1]['severity']}; "
                         "the snapshot's status decides."}
            )  # fmt: skip
    return {
        "verdict": verdict,
        "digest": digest,
        "disagreements": disagreements[:5],
        "metric_ids": [mid for mid, _ in ranked[:6]],
    }


def offline_reply(messages: list[dict[str, Any]]) -> str:
    """The offline model's answer (JSON text) to an analyst or judge conversation.

    Follow-up turns (retry, revise) get the same answer: the offline model writes only
    placeholders and real metric ids, so it has nothing to fix.
    """
    task, role, data = _blocks(messages)
    snap = data.get("SNAPSHOT")
    if not isinstance(snap, dict):
        raise ValueError("offline model: the SNAPSHOT block is not a JSON object")
    if task == "analyst":
        return json.dumps(_analysis(role or "generalist", snap))
    return json.dumps(_judge(snap, data.get("ANALYSES") or []))


def _usage(messages: list[dict[str, Any]], reply: str) -> dict[str, int]:
    # A rough token count (4 characters a token) so the ledger shows the offline volume too.
    prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4
    completion = len(reply) // 4
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@dataclass
class _Message:
    content: str
    role: str = "assistant"


@dataclass
class _Choice:
    message: _Message
    finish_reason: str = "stop"
    index: int = 0


@dataclass
class OfflineResponse:
    """An OpenAI-shaped response, for :func:`offline_completion` (no litellm needed)."""

    model: str
    choices: list[_Choice]
    usage: dict[str, int]


async def offline_completion(*, model: str, messages: list[dict[str, Any]], **_: Any) -> OfflineResponse:
    """A ``completion`` function for tests and ``huracan.testing``: the offline model without litellm."""
    reply = offline_reply(messages)
    return OfflineResponse(model=model, choices=[_Choice(_Message(reply))], usage=_usage(messages, reply))


def register_provider(litellm: Any) -> None:
    """Register the ``huracan`` provider with an imported litellm (idempotent)."""
    if any(item.get("provider") == PROVIDER for item in litellm.custom_provider_map):
        return
    from litellm import CustomLLM

    class HuracanOffline(CustomLLM):  # type: ignore[misc]
        """litellm custom provider: ``huracan/offline``."""

        def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
            reply = offline_reply(messages)
            return litellm.ModelResponse(
                model=f"{PROVIDER}/{model}",
                choices=[{"message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                usage=_usage(messages, reply),
            )

        async def acompletion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
            return self.completion(model, messages)

    litellm.custom_provider_map = [
        *litellm.custom_provider_map,
        {"provider": PROVIDER, "custom_handler": HuracanOffline()},
    ]
