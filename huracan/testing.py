"""pytest fixtures for plugin authors (and our own tests), the way pytest ships ``pytester``.

Installed as a pytest plugin (entry point ``pytest11``), so in a plugin's test suite::

    def test_my_metric(huracan_store, huracan_plugins):
        from huracan.analytics.days import report_day
        from huracan.analytics.metrics import compute_snapshot
        plugins = huracan_plugins(MyPlugin())
        day = report_day(huracan_store.cursor())  # the last day with Engine data
        snap = compute_snapshot(huracan_store.cursor(), day, plugins, huracan_store.settings)
        assert snap.metrics["my_metric"].status != "no_data"

Fixtures:

- ``huracan_settings``: settings whose ``data_dir`` is a fresh temporary directory.
- ``huracan_store``: a real :class:`~huracan.store.Store` holding a few days simulated by
  the Engine + Hamilton simulator (built once per session, copied per test).
- ``huracan_plugins``: a factory ``huracan_plugins(*extra_plugins)`` → ``Plugins`` with the
  built-ins plus your plugin objects (entry points off, so the run is hermetic).
- ``fake_llm``: a local OpenAI-compatible server on 127.0.0.1 answering like the offline
  analysts; ``OPENAI_API_BASE`` / ``OPENAI_API_KEY`` point litellm at it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from huracan.config import Settings, load_config

__all__ = ["SIM_DAYS", "SIM_SIGNALS_PER_DAY", "fake_llm", "huracan_plugins", "huracan_settings", "huracan_store"]

#: What the shared simulated store holds: enough for every metric, fast to build.
SIM_DAYS = 4
SIM_SIGNALS_PER_DAY = 250
SIM_SEED = 7


def simulated_data_dir(
    target: Path, *, days: int = SIM_DAYS, signals_per_day: int = SIM_SIGNALS_PER_DAY, seed: int = SIM_SEED
) -> Path:
    """Fill ``target`` (a data dir) with a simulated history written through the logger."""
    from huracan.ingest import EventLogger
    from huracan.simulate import simulate
    from huracan.store import Store
    from huracan.store.registry import ModelRegistry

    settings = load_config(data_dir=target)
    with Store.open(settings) as store:
        logger = EventLogger(store, settings.ingest).start()
        simulate(
            settings,
            emit=logger.log,
            registry=ModelRegistry(settings, logger.log),
            days=days,
            signals_per_day=signals_per_day,
            seed=seed,
            flush=logger.flush,
        )
        logger.close()
    return target


@pytest.fixture
def huracan_settings(tmp_path: Path) -> Settings:
    return load_config(data_dir=tmp_path / "huracan-data")


@pytest.fixture(scope="session")
def _huracan_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_data_dir(tmp_path_factory.mktemp("huracan-template") / "data")


@pytest.fixture
def huracan_store(_huracan_store_template: Path, tmp_path: Path) -> Iterator[Any]:
    """A writable store with a simulated history; ``store.settings`` are its settings."""
    from huracan.store import Store

    data_dir = tmp_path / "huracan-store"
    shutil.copytree(_huracan_store_template, data_dir)
    store = Store.open(load_config(data_dir=data_dir))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def huracan_plugins(huracan_settings: Settings) -> Callable[..., Any]:
    from huracan.plugins.manager import get_plugins

    def make(*plugins: Any, settings: Settings | None = None) -> Any:
        return get_plugins(settings or huracan_settings, entry_points=False, plugins=plugins)

    return make


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A running ``FakeLLMServer``; use model strings like ``openai/any-name``."""
    from huracan.council.fake_server import FakeLLMServer

    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP", "True"))
    with FakeLLMServer() as server:
        monkeypatch.setenv("OPENAI_API_BASE", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-tests")
        yield server
