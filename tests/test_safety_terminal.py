"""Hostile text in every event field is shown on the terminal, never obeyed (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from huracan.cli import app
from huracan.cli.term import cell, clean, safe
from huracan.config import load_config
from huracan.events import parse_event
from huracan.hostile import HOSTILE, MARKERS, hostile_copy

runner = CliRunner()

#: Characters a terminal obeys; none may reach the output from the data.
RAW = [MARKERS[k] for k in ("esc", "nul", "del", "c1", "bidi")]


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    from huracan.simulate import simulate
    from huracan.store import Store
    from huracan.store.registry import ModelRegistry

    data = tmp_path_factory.mktemp("hostile") / "data"
    settings = load_config(data_dir=data)
    events: list[Any] = []
    simulate(settings, emit=events.append, registry=lambda e: ModelRegistry(settings, e), days=2, signals_per_day=60)
    bad = [parse_event(hostile_copy(e.model_dump(mode="json"))) for e in events]
    with Store.open(settings) as store:
        store.write_events(bad)
        blocked = store.query("SELECT signal_id FROM v_gate_decision WHERE NOT passed LIMIT 1")[0]["signal_id"]
    yield data, blocked


def _commands(signal_id: str) -> list[list[str]]:
    return [
        ["trades", "list"],
        ["trades", "stats", "--by", "symbol"],
        ["trades", "pnl", "--by", "regime"],
        ["trades", "live"],
        ["explain", signal_id],
        ["trace", signal_id],
        ["trace", "stats"],
        ["gates", "report"],
        ["gates", "history"],
        ["learning", "summary"],
        ["learning", "sessions"],
        ["learning", "features"],
        ["learning", "calibration"],
        ["models", "list"],
        ["models", "config"],
        ["metrics"],
        ["status"],
    ]


def test_every_cli_renderer_shows_hostile_event_text_inert(hostile_dir: tuple[Path, str]) -> None:
    data, signal_id = hostile_dir
    shown = 0
    for cmd in _commands(signal_id):
        res = runner.invoke(app, ["--data-dir", str(data), *cmd], env={"COLUMNS": "2000"})
        out = res.stdout + res.stderr
        assert res.exception is None or isinstance(res.exception, SystemExit), (cmd, repr(res.exception))
        for raw in RAW:
            assert raw not in out, (cmd, repr(raw))
        # Rich markup in the data is printed as text: the link tag is visible, not followed.
        if "ev.il" in out:
            shown += 1
            assert MARKERS["rich_link"] in out, (cmd, out[:2000])
    assert shown >= 9  # the hostile fields really were on screen


def test_term_helpers_make_every_control_visible_and_cap_length() -> None:
    text = clean(HOSTILE)
    for raw in RAW:
        assert raw not in text
    assert "\\x1b" in text and "\\x00" in text and "\\u202e" in text
    assert safe("[red]x[/red]") == "\\[red]x\\[/red]"
    assert cell("x" * 5_000_000).plain == "x" * 199 + "…"
    assert clean("a\nb") == "a\\x0ab" and clean("a\nb", lines=True) == "a\nb"


def test_fail_messages_are_inert(tmp_path: Path) -> None:
    res = runner.invoke(app, ["--data-dir", str(tmp_path), "explain", "[link=https://ev.il/r]x[/link]\x1b[31m"])
    assert res.exit_code != 0
    assert "\x1b" not in res.stderr and "[link=https://ev.il/r]" in res.stderr
