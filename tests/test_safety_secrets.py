"""A secret in plugin exception text never reaches a snapshot, digest, prompt, archive or log (issue 13)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from huracan.config import AnalystSettings, load_config
from huracan.plugins import hookimpl
from huracan.plugins.types import DigestSection, MetricSpec
from huracan.redact import MASK, RedactingFilter, error_text, redact, redact_obj, remember, remember_settings

WEBHOOK = "https://discord.example/api/webhooks/1234/planted-discord-token-9d8c7b6a5f4e"
BOT = "7711:planted-telegram-bot-token-abcdef"
LLM_KEY = "sk-planted-llm-key-0f1e2d3c4b5a"
TOKEN_ONLY = "planted-discord-token-9d8c7b6a5f4e"


class Leaky:
    """A plugin whose errors quote the secrets it was given, as real failures do."""

    name = "leaky"

    @hookimpl
    def huracan_register_metrics(self, settings: Any) -> list[MetricSpec]:
        def compute(ctx: Any) -> Any:
            raise RuntimeError(f"POST {WEBHOOK} failed; bot {BOT}; key {LLM_KEY}")

        return [
            MetricSpec(id="leaky.metric", name="Leaky", category="plugins", unit="count", formula="n", compute=compute)
        ]

    @hookimpl
    def huracan_digest_sections(self, snapshot: Any, settings: Any) -> list[DigestSection]:
        return [DigestSection(key="leaky", title="Leaky", text=f"webhook token {TOKEN_ONLY} in a section")]


class Broken:
    name = "broken"

    @hookimpl
    def huracan_register_notifiers(self, settings: Any) -> list[Any]:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{BOT}/getMe")


def test_redact_knows_settings_env_and_every_spelling(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-planted-value-123")
    monkeypatch.setenv("HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN", BOT)
    cfg = load_config(data_dir=tmp_path)  # registers its secrets
    cfg.notifiers.discord.webhook_url = SecretStr(WEBHOOK)
    remember_settings(cfg)
    text = (
        f"{BOT} {WEBHOOK} {json.dumps(WEBHOOK)} https%3A%2F%2Fdiscord.example%2Fapi%2Fwebhooks%2F1234%2F{TOKEN_ONLY} "
        "sk-ant-planted-value-123"
    )
    out = redact(text)
    for secret in (BOT, WEBHOOK, TOKEN_ONLY, "sk-ant-planted-value-123", "1234%2F" + TOKEN_ONLY):
        assert secret not in out
    assert out.count(MASK) >= 4
    assert redact("auc 0.71, ece 0.05") == "auc 0.71, ece 0.05"
    remember(["abc"])  # too short to mask safely
    assert redact("abc") == "abc"
    assert error_text(ValueError(f"bad {BOT}")) == f"ValueError: bad {MASK}"


def test_log_records_are_redacted_with_tracebacks() -> None:
    remember([LLM_KEY])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "call with %s", (LLM_KEY,), None)
    try:
        raise RuntimeError(LLM_KEY)
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert LLM_KEY not in record.getMessage() and LLM_KEY not in (record.exc_text or "")


def test_redact_obj_walks_models_and_dataclasses() -> None:
    remember([LLM_KEY])
    section = DigestSection(key="k", title=LLM_KEY, text=f"a {LLM_KEY}")
    assert redact_obj({"s": [section, (LLM_KEY, b"bytes")]}) == {
        "s": [DigestSection(key="k", title=MASK, text=f"a {MASK}"), (MASK, b"bytes")]
    }


@pytest.mark.slow
def test_planted_secret_never_reaches_snapshot_digest_prompts_archive_or_logs(
    huracan_store: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from huracan.council.fake_server import FakeLLMServer
    from huracan.council.offline import offline_reply
    from huracan.pipeline import archive, prepare_digest
    from huracan.plugins.manager import get_plugins

    prompts: list[str] = []

    def reply(messages: list[dict[str, Any]]) -> str:
        prompts.append(json.dumps(messages))
        return offline_reply(messages)

    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("OPENAI_API_KEY", LLM_KEY)
    monkeypatch.setenv("HURACAN_NOTIFIERS__TELEGRAM__BOT_TOKEN", BOT)
    monkeypatch.setenv("HURACAN_NOTIFIERS__DISCORD__WEBHOOK_URL", WEBHOOK)
    caplog.set_level(logging.INFO)
    for h in logging.getLogger().handlers:
        h.addFilter(RedactingFilter())
    with FakeLLMServer(reply=reply) as server:
        monkeypatch.setenv("OPENAI_API_BASE", server.base_url)
        settings = load_config(data_dir=huracan_store.settings.data_dir)
        settings.council.analysts = [
            AnalystSettings(role=a.role, model="openai/fake") for a in settings.council.analysts
        ]
        settings.council.judge_model = "openai/fake"
        plugins = get_plugins(settings, entry_points=False, plugins=[Leaky(), Broken()])
        assert "broken" in plugins.disabled
        result = prepare_digest(settings, huracan_store.cursor(), plugins, huracan_store.last_day(), charts=False)
        day_dir = archive(result, settings.archive_dir)
    assert prompts, "the council must have called the fake LLM"
    assert result.snapshot.metrics["leaky.metric"].status is not None
    r = result.rendered
    surfaces = {
        "snapshot": result.snapshot.model_dump_json(),
        "council": result.council.model_dump_json(),
        "html": r.html,
        "text": r.text,
        "markdown": r.markdown,
        "telegram": "\n".join(r.telegram),
        "discord": json.dumps([getattr(m, "__dict__", str(m)) for m in r.discord], default=str),
        "prompts": "\n".join(prompts),
        "archive": "\n".join(
            p.read_text(errors="replace") for p in day_dir.iterdir() if p.suffix in {".md", ".json", ".html"}
        ),
        "logs": caplog.text,
        "plugins": json.dumps(plugins.describe()),
    }
    for name, text in surfaces.items():
        for secret in (WEBHOOK, TOKEN_ONLY, BOT, LLM_KEY):
            assert secret not in text, f"{secret[:12]}… leaked into {name}"
    # The failure itself is still reported, with its secrets masked.
    assert "RuntimeError: POST [redacted] failed" in surfaces["snapshot"]
    assert "[redacted]" in surfaces["plugins"]
