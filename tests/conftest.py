"""Shared fixtures. The network guard (pytest-socket, `--allow-hosts` in pyproject) lets
tests reach loopback only: a forgotten mock fails loudly instead of calling a real API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# litellm must never fetch its price map, and respx must see its HTTP calls.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's real config, data or credentials."""
    for key in list(os.environ):
        if key.startswith("HURACAN_") or key in {"CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "NOTIFY_SOCKET"}:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d
