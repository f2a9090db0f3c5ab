"""Starting the CLI loads only what a command needs: `huracan --help` is not a data read.

The settings model (pydantic-settings, about a third of `huracan status --help`'s CPU),
YAML, pluggy and the data stack are imported by the commands that use them. A fresh
interpreter per case: the test process has imported everything long before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Never needed to parse arguments or print help.
HEAVY = ("pydantic_settings", "huracan.config", "yaml", "pluggy", "duckdb", "pyarrow", "numpy", "deltalake", "litellm")


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    env = dict(os.environ, HURACAN_DATA_DIR=str(tmp_path))
    env.pop("HURACAN_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def _loaded(mods: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in mods)


@pytest.mark.parametrize("args", [["--help"], ["status", "--help"], ["metrics", "--help"], ["--version"]])
def test_help_and_version_load_no_settings_model_and_no_data_stack(args: list[str], tmp_path: Path) -> None:
    code = f"from huracan.cli import app\ntry:\n    app({args!r})\nexcept SystemExit as e:\n    assert e.code == 0, e"
    mods = _modules_after(code, tmp_path)
    assert "huracan.cli.metrics_cmd" in mods  # every command was registered
    assert not [m for m in HEAVY if _loaded(mods, m)], [m for m in HEAVY if _loaded(mods, m)]


def test_a_command_that_reads_settings_still_gets_them(tmp_path: Path) -> None:
    code = "from huracan.cli import app\ntry:\n    app(['config', 'show', '--json'])\nexcept SystemExit as e:\n    assert e.code == 0, e"
    mods = _modules_after(code, tmp_path)
    assert {"huracan.config", "pydantic_settings", "yaml"} <= mods


def test_hookimpl_is_still_importable_from_the_package() -> None:
    import huracan
    from huracan import hookimpl
    from huracan.plugins.hookspecs import hookimpl as real

    assert hookimpl is real and huracan.hookimpl is real
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = huracan.nope  # type: ignore[attr-defined]
