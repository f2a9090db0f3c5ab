"""Plugins: hookspecs, the plugin manager and the built-in plugins."""

from huracan.plugins.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
