"""The example plugin in examples/ really is a loadable plugin, discovered as its pyproject declares."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path
from typing import Any

import pytest

from huracan.plugins.testing import FakeDistribution, FakeEntryPoint, fake_entry_points, make_plugins

EXAMPLE = Path(__file__).parent.parent / "examples" / "huracan-example-plugin"


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    return importlib.import_module("huracan_example_plugin")


def test_pyproject_declares_the_huracan_entry_point(example: Any) -> None:
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    eps = meta["project"]["entry-points"]["huracan"]
    assert eps == {"example": "huracan_example_plugin"}
    assert meta["project"]["version"] == example.__version__


def test_example_loads_cleanly_beside_the_builtin_gates(monkeypatch: pytest.MonkeyPatch, example: Any) -> None:
    fake_entry_points(
        monkeypatch, FakeDistribution("huracan-example-plugin", "0.1.0", [FakeEntryPoint("example", example)])
    )
    plugins = make_plugins(entry_points=True, default_plugins=("huracan.plugins.builtin.gates",))
    assert plugins.disabled == {}
    gates = plugins.gates()
    assert "liquidity_gate" in gates and "meta_label" in gates
    row = next(r for r in plugins.describe() if r["name"] == "example")
    assert row["metrics"] == ["example.median_depth_usd", "example.thin_book_share"]
    assert gates["liquidity_gate"].passes(gates["liquidity_gate"].value({"depth_usd": 3e5}), "scalp")
