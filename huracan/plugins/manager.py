"""The plugin manager: a factory, never a global, and one typed face over ``pm.hook``.

:func:`get_plugins` builds a fresh :class:`pluggy.PluginManager` every time — entry
points in the ``huracan`` group (unless ``HURACAN_DISABLE_ENTRY_POINTS=1`` or
``plugins.entry_points: false``), then the modules named in ``plugins.modules``, then
the built-ins of :data:`DEFAULT_PLUGINS` — skipping every name in ``plugins.disabled``,
and finally checks that every hookimpl matches a hookspec, so a misspelled hook fails
at start-up rather than at the nightly run. That loading machinery lives in
:mod:`huracan.plugins.loading`; this module holds the typed face and validates what
plugins return.

A plugin that fails to import, or raises inside a hook, is logged by name, unregistered
and listed in :attr:`Plugins.disabled`; the others keep working. A plugin that returns
the wrong thing (not a list of the right type, a duplicate gate name or metric id) is a
:class:`PluginError` naming the plugin(s): that is a bug to fix, not a hiccup to ride out.

Example::

    >>> from huracan.config import load_config
    >>> plugins = get_plugins(load_config(), entry_points=False, default_plugins=DEFAULT_PLUGINS[:2])
    >>> sorted(plugins.gates())[:3]
    ['confidence_gate', 'cost_gate', 'meta_label']
    >>> sorted(plugins.learners())
    ['logistic_baseline', 'meta_label']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pluggy

from huracan.events import register_gate, unregister_gate
from huracan.plugins.loading import (
    DEFAULT_PLUGINS,
    DISABLE_ENTRY_POINTS_ENV,
    ENTRY_POINT_GROUP,
    Loader,
    Origin,
    PluginError,
    PluginInfo,
    env_blocks_entry_points,
    plugin_label,
)
from huracan.plugins.resolve import await_me_maybe, resolve_sync
from huracan.plugins.types import DigestSection, GateSpec, LearnerSpec, MetricSpec, Notifier
from huracan.redact import error_text

if TYPE_CHECKING:
    from huracan.config import Settings

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_ENTRY_POINTS_ENV",
    "ENTRY_POINT_GROUP",
    "Kind",
    "Origin",
    "PluginError",
    "PluginInfo",
    "Plugins",
    "get_plugins",
]

log = logging.getLogger("huracan.plugins")

#: The kinds of things plugins register (:meth:`Plugins.owners`).
Kind = Literal["gates", "metrics", "learners", "notifiers"]
T = TypeVar("T")


class Plugins:
    """The typed face over ``pm.hook``: the rest of Huracan calls these methods only."""

    def __init__(self, pm: pluggy.PluginManager, settings: Settings, infos: dict[str, PluginInfo]) -> None:
        self.pm = pm
        self.settings = settings
        self._infos = infos
        self._cache: dict[str, dict[str, Any]] = {}
        #: kind -> {key: plugin name}, filled with the registry of that kind
        self._owners: dict[str, dict[str, str]] = {}

    # -- bookkeeping -------------------------------------------------------------

    @property
    def disabled(self) -> dict[str, str]:
        """Plugins that failed to import or raised in a hook: name → error."""
        return {n: i.error for n, i in self._infos.items() if i.error is not None}

    @property
    def names(self) -> list[str]:
        """Names of the plugins that are loaded and working."""
        return [n for n, i in self._infos.items() if i.error is None]

    def _disable(self, name: str, hook: str, exc: BaseException) -> None:
        error = f"{hook} raised {error_text(exc)}"  # redacted: it reaches snapshots, digests, logs
        log.error("plugin %s disabled: %s", name, error)
        log.debug("traceback of plugin %s in %s", name, hook, exc_info=exc)
        self._infos[name].error = error
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        # Its earlier contributions leave with it: gate names it made valid for events
        # (issue 13: a disabled plugin's gate was still simulated and measured), and every
        # registry, recomputed on next use.
        for gate in self._owners.get("gates", {}).keys() - self._gate_names_of_others(name):
            unregister_gate(gate)
        self._cache.clear()
        self._owners.clear()
        for info in self._infos.values():
            info.contributions.clear()

    def _gate_names_of_others(self, name: str) -> set[str]:
        return {g for g, owner in self._owners.get("gates", {}).items() if owner != name}

    def load_all(self) -> None:
        """Call every registration hook now, until a pass disables no further plugin.

        :func:`get_plugins` does this, so a plugin that raises in any hook is disabled
        before anything uses one of its contributions, and plugin gate names are valid in
        events from start-up (a fresh daemon used to reject them until a job ran).
        """
        while True:
            # A plugin disabled while computing one kind clears every cache; go again
            # until a pass disables nobody (each pass can only disable more).
            before = len(self.disabled)
            for kinds in (self.gates, self.metrics, self.learners, self.notifiers):
                kinds()
            if len(self.disabled) == before:
                return

    def _impls(self, hook_name: str) -> list[Any]:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls the last-registered (and tryfirst) implementations first.
        return [i for i in reversed(caller.get_hookimpls()) if i.plugin_name not in self.disabled]

    def _call(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        # Each implementation is called on its own so a failure is attributed to its
        # plugin, which is disabled while the others keep running (issue 5).
        out = []
        for impl in self._impls(hook_name):
            try:
                value = resolve_sync(impl.function(**{a: kwargs[a] for a in impl.argnames}))
            except Exception as exc:
                self._disable(impl.plugin_name, hook_name, exc)
                continue
            out.append((impl.plugin_name, value))
        return out

    async def _acall(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        out = []
        for impl in self._impls(hook_name):
            try:
                value = await await_me_maybe(impl.function(**{a: kwargs[a] for a in impl.argnames}))
            except Exception as exc:
                self._disable(impl.plugin_name, hook_name, exc)
                continue
            out.append((impl.plugin_name, value))
        return out

    def _registry(
        self,
        kind: str,
        hook_name: str,
        cls: type[T] | Any,
        key: Callable[[T], str],
        check: Callable[[str, T], None] | None = None,
    ) -> dict[str, T]:
        cached = self._cache.get(kind)
        if cached is not None:
            return cached
        while True:
            disabled = len(self.disabled)
            results = self._call(hook_name, settings=self.settings)
            if len(self.disabled) == disabled:
                break
            # A plugin failed mid-call: what the others returned may depend on its
            # contributions (per-gate metric families expand over the gate names), so ask
            # them again without it.
        items = _validate(kind, hook_name, cls, key, results, check)
        owners: dict[str, list[str]] = {}
        for k, (plugin, _) in items.items():
            owners.setdefault(plugin, []).append(k)
        for plugin, keys in owners.items():
            if plugin in self._infos:
                self._infos[plugin].contributions[kind] = keys
        registry = {k: item for k, (_, item) in items.items()}
        self._cache[kind] = registry
        self._owners[kind] = {k: plugin for k, (plugin, _) in items.items()}
        return registry

    # -- typed hooks ---------------------------------------------------------------

    def gates(self) -> dict[str, GateSpec]:
        """Every registered gate by name (also made valid gate names for events)."""
        gates = self._registry("gates", "huracan_register_gates", GateSpec, lambda g: g.name, _check_gate)
        for name in gates:
            register_gate(name)
        return gates

    def metrics(self) -> dict[str, MetricSpec]:
        """Every registered metric by id."""
        # Per-gate metric families expand over the known gate names, so plugin gates must
        # be registered first or a third party's gate gets no pass-rate/accuracy metrics.
        self.gates()
        return self._registry("metrics", "huracan_register_metrics", MetricSpec, lambda m: m.id, _check_metric)

    def learners(self) -> dict[str, LearnerSpec]:
        """Every registered learner adapter by name."""
        return self._registry("learners", "huracan_register_learners", LearnerSpec, lambda s: s.name)

    def notifiers(self) -> dict[str, Notifier]:
        """Every registered notifier by its ``name``."""
        return self._registry("notifiers", "huracan_register_notifiers", Notifier, lambda n: n.name)

    def digest_sections(self, snapshot: Any) -> list[DigestSection]:
        """Digest sections from every plugin for ``snapshot``, sorted by ``order`` then ``key``."""
        results = self._call("huracan_digest_sections", snapshot=snapshot, settings=self.settings)
        return _sections(results)

    async def adigest_sections(self, snapshot: Any) -> list[DigestSection]:
        """:meth:`digest_sections` for async callers (the daemon's nightly job)."""
        results = await self._acall("huracan_digest_sections", snapshot=snapshot, settings=self.settings)
        return _sections(results)

    def startup(self) -> None:
        """Run every ``huracan_startup`` hook (the daemon calls this once it is up)."""
        self._call("huracan_startup", settings=self.settings)

    async def astartup(self) -> None:
        """:meth:`startup` from inside a running event loop."""
        await self._acall("huracan_startup", settings=self.settings)

    def register_commands(self, app: Any) -> None:
        """Let plugins add commands to the root ``typer.Typer``."""
        self._call("huracan_register_commands", app=app)

    def owners(self, kind: Kind) -> dict[str, str]:
        """Which plugin registered each item of ``kind``: id / name → plugin name.

        Read from that kind's registry (built with the plugins, see :meth:`load_all`).
        The metrics computer uses it to say which plugin a metric came from.

        >>> plugins.owners("metrics")["shadow_win_rate.scalp"]  # doctest: +SKIP
        'huracan.plugins.builtin.metrics'
        """
        getters: dict[str, Callable[[], dict[str, Any]]] = {
            "gates": self.gates,
            "metrics": self.metrics,
            "learners": self.learners,
            "notifiers": self.notifiers,
        }
        if kind not in getters:
            raise ValueError(f"Plugins.owners: unknown kind {kind!r}; use one of {', '.join(getters)}")
        registry = getters[kind]()
        owners = self._owners.get(kind, {})
        return {k: owners[k] for k in registry if k in owners}

    def describe(self) -> list[dict[str, Any]]:
        """One dict per plugin for ``huracan plugins list --json``.

        Keys: ``name``, ``origin``, ``version``, ``module``, ``distribution``, ``hooks``,
        ``gates``, ``metrics``, ``learners``, ``notifiers``, ``error``.
        """
        self.load_all()
        out = []
        for name, info in self._infos.items():
            plugin = self.pm.get_plugin(name)
            hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or []) if plugin is not None else []
            out.append(
                {
                    "name": name,
                    "origin": info.origin,
                    "version": info.version,
                    "module": info.module,
                    "distribution": info.distribution,
                    "hooks": hooks,
                    **{k: list(info.contributions.get(k, [])) for k in ("gates", "metrics", "learners", "notifiers")},
                    "error": info.error,
                }
            )
        return out


def _validate(
    kind: str,
    hook_name: str,
    cls: Any,
    key: Callable[[Any], str],
    results: Iterable[tuple[str, Any]],
    check: Callable[[str, Any], None] | None,
) -> dict[str, tuple[str, Any]]:
    items: dict[str, tuple[str, Any]] = {}
    cls_name = getattr(cls, "__name__", str(cls))
    for plugin, value in results:
        if value is None:
            continue
        if not isinstance(value, list | tuple):
            raise PluginError(
                f"plugin {plugin!r}: {hook_name} returned {type(value).__name__}; "
                f"it must return a list of {cls_name} (or a function / awaitable giving one)"
            )
        for item in value:
            if not isinstance(item, cls):
                raise PluginError(
                    f"plugin {plugin!r}: {hook_name} returned a {type(item).__name__} among its {kind}; "
                    f"expected {cls_name} from huracan.plugins.types"
                )
            k = key(item)
            if check is not None:
                try:
                    check(k, item)
                except ValueError as exc:
                    raise PluginError(f"plugin {plugin!r}: {exc}") from None
            if k in items:
                raise PluginError(
                    f"duplicate {kind[:-1]} {k!r}: registered by plugin {items[k][0]!r} and by plugin {plugin!r}; "
                    "rename one, or disable one with `plugins.disabled` in huracan.yaml"
                )
            items[k] = (plugin, item)
    return items


def _check_gate(name: str, g: GateSpec) -> None:
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"gate name {name!r} must be an identifier (letters, digits, _)")
    if g.direction not in ("above", "below"):
        raise ValueError(f"gate {name}: direction must be 'above' or 'below', got {g.direction!r}")
    if not g.thresholds:
        raise ValueError(f"gate {name}: needs a threshold for at least one mode")
    if not callable(g.value):
        raise ValueError(f"gate {name}: value must be a function of the decision inputs")


def _check_metric(metric_id: str, m: MetricSpec) -> None:
    if not metric_id or any(c.isspace() for c in metric_id):
        raise ValueError(f"metric id {metric_id!r} must be non-empty without spaces (dotted ids are fine)")
    if not callable(m.compute):
        raise ValueError(f"metric {metric_id}: compute must be a function of the metrics context")


def _sections(results: Iterable[tuple[str, Any]]) -> list[DigestSection]:
    items = _validate("sections", "huracan_digest_sections", DigestSection, lambda s: s.key, results, None)
    return sorted((s for _, s in items.values()), key=lambda s: (s.order, s.key))


def get_plugins(
    settings: Settings,
    *,
    entry_points: bool = True,
    plugins: Sequence[Any] = (),
    default_plugins: Sequence[str] = DEFAULT_PLUGINS,
) -> Plugins:
    """Build a fresh plugin manager and return its typed face.

    Args:
        settings: the effective configuration (``plugins.modules``, ``plugins.disabled``,
            ``plugins.entry_points``).
        entry_points: discover the ``huracan`` entry-point group (also blocked by
            ``HURACAN_DISABLE_ENTRY_POINTS=1``).
        plugins: extra plugin objects (modules, classes, instances) to register — tests
            pass small classes here. Named by their ``name`` / ``__name__``.
        default_plugins: built-in modules to register (all of :data:`DEFAULT_PLUGINS`).

    Every registration hook is called before this returns (:meth:`Plugins.load_all`).

    Raises:
        PluginError: a hookimpl has no hookspec (a misspelled hook), two plugins share a
            name, a plugin cannot be registered, or a hook returned something invalid.
    """
    loader = Loader(settings)
    if entry_points and settings.plugins.entry_points and not env_blocks_entry_points():
        loader.entry_points()
    for modname in settings.plugins.modules:
        loader.module(modname, "config")
    for obj in plugins:
        label = plugin_label(obj)
        if not loader.skipped(label):
            loader.register(obj, PluginInfo(label, "direct", getattr(obj, "__version__", None)))
    for modname in default_plugins:
        loader.module(modname, "builtin")
    loader.check_pending()
    for name in sorted(loader.skip - loader.seen_skips):
        log.warning("plugins.disabled names %r, but no plugin has that name (see `huracan plugins list`)", name)
    face = Plugins(loader.pm, settings, loader.infos)
    face.load_all()
    return face
