"""The plugin manager: discovery, validation, failure isolation, async resolution, every hook."""

from __future__ import annotations

import asyncio
import logging
import sys
import types
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from huracan.analytics.snapshot import Targets
from huracan.config import load_config
from huracan.events import GateDecision, known_gates
from huracan.plugins import hookimpl
from huracan.plugins.manager import DEFAULT_PLUGINS, PluginError, get_plugins
from huracan.plugins.testing import FakeDistribution, FakeEntryPoint, fake_entry_points, make_plugins
from huracan.plugins.types import DeliveryResult, DigestSection, GateSpec, LearnerSpec, MetricResult, MetricSpec


def gate(name: str, measures: str = "depth_usd") -> GateSpec:
    return GateSpec(
        name=name, description="test gate", measures=measures, direction="above",
        thresholds={"scalp": 1.0}, value=lambda inputs: float(inputs[measures]),
        pass_rate_targets={"scalp": Targets(min=0.1, max=0.9)},
    )  # fmt: skip


def metric(metric_id: str) -> MetricSpec:
    return MetricSpec(
        id=metric_id, name=metric_id, category="test", unit="count", formula="1",
        compute=lambda ctx: MetricResult(value=1.0, query="SELECT 1", row_count=1),
    )  # fmt: skip


class GatePlugin:
    name = "gate_plugin"

    @hookimpl
    def huracan_register_gates(self, settings: Any) -> list[GateSpec]:
        return [gate("test_depth_gate")]


class BrokenPlugin:
    name = "broken_plugin"

    @hookimpl
    def huracan_register_gates(self, settings: Any) -> list[GateSpec]:
        raise RuntimeError("database on fire")


class FakeNotifier:
    name = "pager"

    def enabled(self) -> bool:
        return True

    async def send_digest(self, rendered: Any) -> DeliveryResult:
        return DeliveryResult(channel=self.name, ok=True)

    async def send_alert(self, alert: Any) -> DeliveryResult:
        return DeliveryResult(channel=self.name, ok=True)


# -- built-ins -----------------------------------------------------------------------


def test_builtin_gates_and_learners_load_through_the_hooks() -> None:
    plugins = get_plugins(load_config(), entry_points=False, default_plugins=DEFAULT_PLUGINS[:2])
    gates = plugins.gates()
    assert list(gates) == ["meta_label", "cost_gate", "confidence_gate", "regime_gate", "spread_gate", "volume_gate"]
    assert gates["meta_label"].measures == "meta_prob" and gates["meta_label"].threshold("scalp") == 0.45
    assert set(plugins.learners()) == {"meta_label", "logistic_baseline"}
    assert plugins.disabled == {}


def test_a_builtin_that_fails_to_import_is_reported_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="huracan.plugins"):
        plugins = get_plugins(
            load_config(), entry_points=False, default_plugins=("huracan.plugins.builtin.gates", "huracan.nope_mod")
        )
    assert "huracan.nope_mod" in plugins.disabled and "ModuleNotFoundError" in plugins.disabled["huracan.nope_mod"]
    assert "huracan.nope_mod" in caplog.text
    assert "meta_label" in plugins.gates()


def test_disabled_names_in_settings_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    cfg = load_config()
    cfg.plugins.disabled = ["huracan.plugins.builtin.learners", "no_such_plugin"]
    with caplog.at_level(logging.WARNING, logger="huracan.plugins"):
        plugins = get_plugins(cfg, entry_points=False, default_plugins=DEFAULT_PLUGINS[:2])
    assert plugins.learners() == {}
    assert [p["name"] for p in plugins.describe()] == ["huracan.plugins.builtin.gates"]
    assert "'no_such_plugin', but no plugin has that name" in caplog.text


# -- entry points and config modules -------------------------------------------------------


def test_entry_point_plugin_is_found_with_origin_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, FakeDistribution("acme-gates", "1.2.3", [FakeEntryPoint("acme", GatePlugin())]))
    plugins = get_plugins(load_config(), default_plugins=())
    (row,) = plugins.describe()
    assert row["name"] == "acme" and row["origin"] == "entry point" and row["version"] == "1.2.3"
    assert row["distribution"] == "acme-gates" and row["gates"] == ["test_depth_gate"]
    assert row["hooks"] == ["huracan_register_gates"] and row["error"] is None


def test_entry_points_can_be_blocked_by_env_and_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, FakeDistribution("acme-gates", "1.0", [FakeEntryPoint("acme", GatePlugin())]))
    monkeypatch.setenv("HURACAN_DISABLE_ENTRY_POINTS", "1")
    assert get_plugins(load_config(), default_plugins=()).describe() == []
    monkeypatch.delenv("HURACAN_DISABLE_ENTRY_POINTS")
    cfg = load_config()
    cfg.plugins.entry_points = False
    assert get_plugins(cfg, default_plugins=()).describe() == []
    assert len(get_plugins(load_config(), default_plugins=()).describe()) == 1


def test_entry_point_that_fails_to_import_is_disabled_and_the_rest_loads(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_entry_points(
        monkeypatch,
        FakeDistribution("bad-dist", "0.1", [FakeEntryPoint("bad", ImportError("No module named 'numpyy'"))]),
        FakeDistribution("acme-gates", "1.0", [FakeEntryPoint("acme", GatePlugin())]),
    )
    with caplog.at_level(logging.ERROR, logger="huracan.plugins"):
        plugins = get_plugins(load_config(), default_plugins=())
    assert plugins.disabled == {"bad": "failed to load: ImportError: No module named 'numpyy'"}
    assert "plugin bad disabled" in caplog.text
    assert list(plugins.gates()) == ["test_depth_gate"]


def test_config_module_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = types.ModuleType("acme_cfg_plugin")
    mod.__version__ = "9.9"  # type: ignore[attr-defined]

    @hookimpl
    def huracan_register_metrics(settings: Any) -> list[MetricSpec]:
        return [metric("acme.count")]

    mod.huracan_register_metrics = huracan_register_metrics  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "acme_cfg_plugin", mod)
    cfg = load_config()
    cfg.plugins.modules = ["acme_cfg_plugin"]
    plugins = get_plugins(cfg, entry_points=False, default_plugins=())
    assert list(plugins.metrics()) == ["acme.count"]
    (row,) = plugins.describe()
    assert (row["origin"], row["version"], row["metrics"]) == ("config", "9.9", ["acme.count"])


# -- failures --------------------------------------------------------------------------------


def test_a_plugin_raising_in_a_hook_is_disabled_by_name(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="huracan.plugins"):
        plugins = make_plugins(GatePlugin(), BrokenPlugin())
        gates = plugins.gates()
    assert list(gates) == ["test_depth_gate"]
    assert plugins.disabled == {"broken_plugin": "huracan_register_gates raised RuntimeError: database on fire"}
    assert "plugin broken_plugin disabled" in caplog.text
    assert plugins.names == ["gate_plugin"]
    assert plugins.pm.get_plugin("broken_plugin") is None  # unregistered
    row = next(r for r in plugins.describe() if r["name"] == "broken_plugin")
    assert "database on fire" in row["error"]


def test_misspelled_hook_fails_at_startup_with_a_suggestion() -> None:
    class Typo:
        name = "typo"

        @hookimpl
        def huracan_register_gate(self, settings: Any) -> list[Any]:
            return []

    with pytest.raises(
        PluginError, match=r"plugin 'typo' implements unknown hook 'huracan_register_gate'.*did you mean"
    ):
        make_plugins(Typo())


def test_hookimpl_with_an_unknown_argument_is_refused() -> None:
    class BadArgs:
        name = "bad_args"

        @hookimpl
        def huracan_register_gates(self, settings: Any, store: Any) -> list[Any]:
            return []

    with pytest.raises(PluginError, match=r"plugin 'bad_args'.*cannot be registered"):
        make_plugins(BadArgs())


def test_duplicate_gate_names_name_both_plugins() -> None:
    class Other(GatePlugin):
        name = "other_plugin"

    with pytest.raises(PluginError, match=r"duplicate gate 'test_depth_gate'.*'other_plugin'.*'gate_plugin'"):
        make_plugins(GatePlugin(), Other()).gates()


def test_duplicate_metric_ids_are_refused() -> None:
    class A:
        name = "a"

        @hookimpl
        def huracan_register_metrics(self, settings: Any) -> list[MetricSpec]:
            return [metric("dup.id")]

    class B(A):
        name = "b"

    with pytest.raises(PluginError, match=r"duplicate metric 'dup.id'"):
        make_plugins(A(), B()).metrics()


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ({"name": "x"}, "returned dict; it must return a list of GateSpec"),
        (["not a gate"], "returned a str among its gates; expected GateSpec"),
        ([gate("bad name")], "gate name 'bad name' must be an identifier"),
    ],
)
def test_wrong_return_types_name_the_plugin(returned: Any, message: str) -> None:
    class Wrong:
        name = "wrong"

        @hookimpl
        def huracan_register_gates(self, settings: Any) -> Any:
            return returned

    with pytest.raises(PluginError, match="plugin 'wrong'") as exc:
        make_plugins(Wrong()).gates()
    assert message in str(exc.value)


def test_hook_wrappers_are_refused() -> None:
    class Wrapper:
        name = "wrapper"

        @hookimpl(wrapper=True)
        def huracan_register_gates(self, settings: Any) -> Any:
            return (yield)

    with pytest.raises(PluginError, match="is a hook wrapper"):
        make_plugins(Wrapper())


# -- values, callables, awaitables ---------------------------------------------------------


class AsyncPlugin:
    name = "async_plugin"

    @hookimpl
    def huracan_register_gates(self, settings: Any) -> Any:
        async def later() -> list[GateSpec]:
            await asyncio.sleep(0)
            return [gate("async_gate")]

        return later()

    @hookimpl
    def huracan_register_learners(self, settings: Any) -> Any:
        return lambda: [LearnerSpec("lazy", fit=print, predict_proba=print, dumps=bytes, loads=print)]


def test_awaitables_and_callables_are_resolved_sync() -> None:
    plugins = make_plugins(AsyncPlugin())
    assert list(plugins.gates()) == ["async_gate"]
    assert list(plugins.learners()) == ["lazy"]


async def test_awaitables_resolve_inside_a_running_loop() -> None:
    plugins = make_plugins(AsyncPlugin())
    assert list(plugins.gates()) == ["async_gate"]  # sync accessor, run on a worker loop


def test_plugin_gates_become_valid_event_gate_names() -> None:
    make_plugins(GatePlugin()).gates()
    assert "test_depth_gate" in known_gates()
    GateDecision(
        signal_id="s", gate="test_depth_gate", mode="scalp", passed=True, value=2.0, threshold=1.0, direction="above"
    )


# -- the other hooks ---------------------------------------------------------------------


def test_huracan_register_notifiers_checks_the_protocol() -> None:
    class Notifiers:
        name = "notif"

        @hookimpl
        def huracan_register_notifiers(self, settings: Any) -> list[Any]:
            return [FakeNotifier()]

    class NotANotifier:
        name = "nope"

        @hookimpl
        def huracan_register_notifiers(self, settings: Any) -> list[Any]:
            return [object()]

    notifiers = make_plugins(Notifiers()).notifiers()
    assert list(notifiers) == ["pager"] and notifiers["pager"].enabled()
    with pytest.raises(PluginError, match=r"plugin 'nope'.*expected Notifier"):
        make_plugins(NotANotifier()).notifiers()


class Sections:
    name = "sections"

    @hookimpl
    def huracan_digest_sections(self, snapshot: Any, settings: Any) -> Any:
        async def build() -> list[DigestSection]:
            return [
                DigestSection(key="late", title="Late", text=f"{snapshot}", order=200),
                DigestSection(key="early", title="Early", text="{{ m('gate_pass_rate.cost_gate') }}", order=10),
            ]

        return build()


def test_huracan_digest_sections_sorted_by_order() -> None:
    sections = make_plugins(Sections()).digest_sections(snapshot="snap")
    assert [s.key for s in sections] == ["early", "late"] and sections[1].text == "snap"


async def test_huracan_digest_sections_async_accessor() -> None:
    sections = await make_plugins(Sections()).adigest_sections(snapshot="snap")
    assert [s.key for s in sections] == ["early", "late"]


def test_huracan_startup_called_and_a_failure_isolated(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    class Good:
        name = "good"

        @hookimpl
        def huracan_startup(self, settings: Any) -> None:
            calls.append(f"good:{settings.log_level}")

    class Bad:
        name = "bad"

        @hookimpl
        def huracan_startup(self, settings: Any) -> None:
            raise ValueError("no token")

    plugins = make_plugins(Good(), Bad())
    plugins.startup()
    assert calls == ["good:INFO"] and "bad" in plugins.disabled
    asyncio.run(plugins.astartup())
    assert calls == ["good:INFO", "good:INFO"]  # the disabled plugin is not called again


def test_huracan_register_commands_adds_a_cli_command() -> None:
    class Commands:
        name = "commands"

        @hookimpl
        def huracan_register_commands(self, app: Any) -> None:
            @app.command("hello")
            def hello() -> None:
                typer.echo("hello from a plugin")

    app = typer.Typer()

    @app.command("noop")
    def noop() -> None:
        """Keeps typer in multi-command mode."""

    make_plugins(Commands()).register_commands(app)
    res = CliRunner().invoke(app, ["hello"])
    assert res.exit_code == 0 and "hello from a plugin" in res.stdout


def test_a_failure_in_one_hook_drops_that_plugins_other_contributions() -> None:
    class Half:
        name = "half"

        @hookimpl
        def huracan_register_gates(self, settings: Any) -> list[GateSpec]:
            return [gate("half_gate")]

        @hookimpl
        def huracan_register_metrics(self, settings: Any) -> list[MetricSpec]:
            raise KeyError("metrics.yaml")

    plugins = make_plugins(Half(), GatePlugin())
    # Every registration hook runs when the plugins are built (issue 13), so the gate of a
    # plugin whose metrics hook raises is never seen, nor valid in events.
    assert "half" in plugins.disabled
    assert list(plugins.gates()) == ["test_depth_gate"]
    assert "half_gate" not in known_gates() and "test_depth_gate" in known_gates()
    row = next(r for r in plugins.describe() if r["name"] == "gate_plugin")
    assert row["gates"] == ["test_depth_gate"]


def test_every_default_plugin_loads_cleanly() -> None:
    # A broken built-in would only be logged at start-up (issue 5); this makes it a failing test.
    plugins = get_plugins(load_config(), entry_points=False)
    rows = {r["name"]: r for r in plugins.describe()}
    assert plugins.disabled == {}
    assert set(rows) == set(DEFAULT_PLUGINS)
    assert rows["huracan.plugins.builtin.gates"]["gates"] and rows["huracan.plugins.builtin.learners"]["learners"]


class _MetricAndExplodingNotifier:
    """Registers one metric; building its notifiers would fail."""

    name = "owner_plugin"

    @hookimpl
    def huracan_register_metrics(self, settings: Any) -> list[MetricSpec]:
        return [metric("owned.metric")]

    @hookimpl
    def huracan_register_notifiers(self, settings: Any) -> list[Any]:
        raise RuntimeError("notifiers must not be built to learn who owns a metric")


def test_owners_names_the_plugin_of_each_item_and_drops_a_plugin_that_failed_any_hook() -> None:
    plugins = make_plugins(
        _MetricAndExplodingNotifier(), GatePlugin(), default_plugins=("huracan.plugins.builtin.metrics",)
    )
    # Every hook ran when the plugins were built (issue 13): the notifier hook raised, so
    # the plugin's metric is gone before anything could use it.
    assert "owner_plugin" in plugins.disabled
    owners = plugins.owners("metrics")
    assert "owned.metric" not in owners
    assert owners["shadow_win_rate.scalp"] == "huracan.plugins.builtin.metrics"
    assert set(owners) == set(plugins.metrics())
    assert plugins.owners("gates") == {"test_depth_gate": "gate_plugin"}
    with pytest.raises(ValueError, match="unknown kind 'widgets'"):
        plugins.owners("widgets")  # type: ignore[arg-type]
