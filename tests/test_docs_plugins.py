"""docs/plugins.md stays honest: every hook documented and tested, every Python snippet runs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from huracan.plugins import hookspecs

ROOT = Path(__file__).parent.parent
DOC = (ROOT / "docs" / "plugins.md").read_text()
HOOKS = sorted(
    name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith(hookspecs.PROJECT + "_")
)


def test_there_are_hooks_to_check() -> None:
    assert "huracan_register_gates" in HOOKS and len(HOOKS) >= 7


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_docs_table(hook: str) -> None:
    assert re.search(rf"^\| `{hook}` \|", DOC, re.MULTILINE), (
        f"{hook} is missing from the hook table of docs/plugins.md"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook: str) -> None:
    assert (getattr(hookspecs, hook).__doc__ or "").strip(), f"hookspec {hook} needs a docstring: it is public API"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook: str) -> None:
    # datasette's test_plugin_hooks_have_tests: some test other than this file implements or names the hook.
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != Path(__file__).name]
    assert any(re.search(rf"\bdef {hook}\b|\btest_{hook}", p.read_text()) for p in tests), f"no test covers {hook}"


def test_no_documented_hook_is_unknown() -> None:
    documented = set(re.findall(r"^\| `(huracan_\w+)` \|", DOC, re.MULTILINE))
    assert documented == set(HOOKS)


PY_BLOCKS = re.findall(r"```python\n(.*?)```", DOC, re.DOTALL)


@pytest.mark.parametrize("snippet", PY_BLOCKS, ids=[f"block{i}" for i in range(len(PY_BLOCKS))])
def test_python_snippets_run(snippet: str) -> None:
    exec(compile(snippet, "docs/plugins.md", "exec"), {"__name__": "docs_snippet"})


def test_minimal_snippet_is_a_working_plugin() -> None:
    import types

    from huracan.plugins.testing import make_plugins

    mod = types.ModuleType("minimal_plugin")
    exec(compile(PY_BLOCKS[0], "docs/plugins.md", "exec"), mod.__dict__)
    gates = make_plugins(mod).gates()
    assert gates["liquidity_gate"].value({"depth_usd": 5.0}) == 5.0


def test_documented_modules_and_functions_exist() -> None:
    import importlib

    for dotted in re.findall(r"`(huracan(?:\.\w+)+)(?:\(|`)", DOC):
        if dotted.endswith(".yaml"):  # the config file, not a module
            continue
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ModuleNotFoundError:
                continue
            for attr in parts[i:]:
                obj = getattr(obj, attr)
            break
        else:
            pytest.fail(f"docs/plugins.md names {dotted}, which does not exist")
