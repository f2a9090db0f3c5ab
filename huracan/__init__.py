"""Huracan Observability: observability for a learning trading Engine."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from huracan.plugins.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # ``huracan.hookimpl`` loads pluggy on first use: `huracan --help` never needs it.
    if name == "hookimpl":
        from huracan.plugins.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'huracan' has no attribute {name!r}")
