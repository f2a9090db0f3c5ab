"""Huracan Observability: observability for a learning trading Engine."""

from huracan.plugins.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
