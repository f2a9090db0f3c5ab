"""Plugin loading: discovery, import and registration into a fresh pluggy manager.

Holds the :class:`Loader` that :func:`huracan.plugins.manager.get_plugins` drives —
entry points in the ``huracan`` group, modules named in config, the built-ins of
:data:`DEFAULT_PLUGINS` — the names and constants of that discovery, what is recorded
about each plugin (:class:`PluginInfo`), and :class:`PluginError`, raised when a plugin
cannot be registered at all. A plugin that fails to import is recorded as broken and
skipped; the check that every hookimpl has a hookspec runs here too, so a misspelled
hook fails at start-up.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pluggy

from huracan import __version__
from huracan.plugins import hookspecs
from huracan.redact import error_text

if TYPE_CHECKING:
    from huracan.config import Settings

__all__ = [
    "DEFAULT_PLUGINS",
    "DISABLE_ENTRY_POINTS_ENV",
    "ENTRY_POINT_GROUP",
    "Loader",
    "Origin",
    "PluginError",
    "PluginInfo",
    "env_blocks_entry_points",
    "plugin_label",
]

log = logging.getLogger("huracan.plugins")

#: Built-in plugins, registered like any third-party plugin (datasette's DEFAULT_PLUGINS).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "huracan.plugins.builtin.gates",
    "huracan.plugins.builtin.learners",
    "huracan.plugins.builtin.metrics",
    "huracan.plugins.builtin.notifiers",
)
ENTRY_POINT_GROUP = "huracan"
DISABLE_ENTRY_POINTS_ENV = "HURACAN_DISABLE_ENTRY_POINTS"

Origin = Literal["builtin", "entry point", "config", "direct"]


class PluginError(Exception):
    """A plugin is broken in a way that must be fixed before Huracan can start."""


@dataclass
class PluginInfo:
    """What ``huracan plugins list`` shows about one plugin."""

    name: str
    origin: Origin
    version: str | None = None
    module: str | None = None
    distribution: str | None = None
    error: str | None = None
    contributions: dict[str, list[str]] = field(default_factory=dict)


def env_blocks_entry_points() -> bool:
    """True when ``HURACAN_DISABLE_ENTRY_POINTS`` is set to a true value."""
    return os.environ.get(DISABLE_ENTRY_POINTS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _module_version(module: Any) -> str | None:
    v = getattr(module, "__version__", None)
    if isinstance(v, str):
        return v
    top = getattr(module, "__name__", "").split(".")[0]
    dists = importlib.metadata.packages_distributions().get(top) or []
    for dist in dists:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def plugin_label(obj: Any) -> str:
    """The name a directly passed plugin object registers under."""
    name = getattr(obj, "name", None) or getattr(obj, "__name__", None) or type(obj).__name__
    return str(name)


class Loader:
    """Registers plugins into one fresh pluggy manager, in the order :func:`get_plugins` asks.

    Collects a :class:`PluginInfo` per plugin; one that fails to import is recorded
    as broken (``error`` set) and skipped, so the others still load.
    """

    def __init__(self, settings: Settings) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.skip = set(settings.plugins.disabled)
        self.seen_skips: set[str] = set()

    def skipped(self, *names: str | None) -> bool:
        hit = {n for n in names if n} & self.skip
        self.seen_skips |= hit
        return bool(hit)

    def register(self, obj: Any, info: PluginInfo) -> None:
        if info.name in self.infos:
            raise PluginError(
                f"two plugins are called {info.name!r} ({self.infos[info.name].origin} and {info.origin}); "
                "plugin names must be unique — uninstall or rename one"
            )
        try:
            self.pm.register(obj, name=info.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(f"plugin {info.name!r} ({info.origin}) cannot be registered: {exc}") from None
        for caller in self.pm.get_hookcallers(obj) or []:
            if any(i.hookwrapper or i.wrapper for i in caller.get_hookimpls() if i.plugin_name == info.name):
                raise PluginError(
                    f"plugin {info.name!r}: {caller.name} is a hook wrapper; huracan hooks take plain "
                    "implementations only (drop wrapper=True / hookwrapper=True)"
                )
        self.infos[info.name] = info

    def broken(self, info: PluginInfo, exc: BaseException) -> None:
        info.error = f"failed to load: {error_text(exc)}"
        log.error("plugin %s disabled: %s", info.name, info.error)
        self.infos[info.name] = info

    def entry_points(self) -> None:
        seen: set[str] = set()
        for dist in list(importlib.metadata.distributions()):
            for ep in dist.entry_points:
                if ep.group != ENTRY_POINT_GROUP or ep.name in seen:
                    continue
                seen.add(ep.name)
                dist_name = dist.metadata["name"] if dist.metadata else None
                if self.skipped(ep.name, dist_name):
                    continue
                info = PluginInfo(ep.name, "entry point", dist.version, ep.value, dist_name)
                try:
                    obj = ep.load()
                except Exception as exc:
                    self.broken(info, exc)
                    continue
                self.register(obj, info)

    def module(self, modname: str, origin: Origin) -> None:
        if self.skipped(modname):
            return
        info = PluginInfo(modname, origin, __version__ if origin == "builtin" else None, modname)
        try:
            mod = importlib.import_module(modname)
        except Exception as exc:
            self.broken(info, exc)
            return
        if origin != "builtin":
            info.version = _module_version(mod)
        self.register(mod, info)

    def check_pending(self) -> None:
        known = [n for n in dir(hookspecs) if n.startswith(hookspecs.PROJECT + "_")]
        for name, caller in vars(self.pm.hook).items():
            if getattr(caller, "spec", True) is not None:
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known hooks: {', '.join(known)}"
                raise PluginError(
                    f"plugin {impl.plugin_name!r} implements unknown hook {name!r}; {hint} "
                    "(mark optional hooks with @hookimpl(optionalhook=True))"
                )
        self.pm.check_pending()  # pluggy's own check, should ours ever miss a case
