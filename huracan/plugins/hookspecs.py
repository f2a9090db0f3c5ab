# mypy: disable-error-code="empty-body"
"""Hook specifications: the public API for plugins.

Every built-in gate, metric, learner adapter and notifier is registered through these
same hooks. Implement them with the :data:`huracan.plugins.hookimpl` marker and call
nothing else of ours. Hooks are always called with keyword arguments.

A hook may return a value, a callable returning it, or an awaitable; the plugin manager
resolves all three (pluggy itself is synchronous).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from huracan.config import Settings

PROJECT = "huracan"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def huracan_register_gates(settings: Settings) -> list[Any]:
    """Register signal gates.

    Args:
        settings: the effective configuration.

    Returns:
        A list of :class:`huracan.plugins.types.GateSpec`. Gate names must be unique
        across all plugins; a duplicate is a start-up error naming both plugins.
        Every plugin's result is collected.
    """


@hookspec
def huracan_register_metrics(settings: Settings) -> list[Any]:
    """Register metrics evaluated into the nightly ``MetricsSnapshot``.

    Returns:
        A list of :class:`huracan.plugins.types.MetricSpec`. Ids must be unique; a
        metric whose compute function raises is reported with its plugin's name and
        recorded as ``no_data``, the snapshot is still produced.
    """


@hookspec
def huracan_register_learners(settings: Settings) -> list[Any]:
    """Register learner adapters (how a model is fitted, serialised and loaded).

    Returns:
        A list of :class:`huracan.plugins.types.LearnerSpec` with unique names.
    """


@hookspec
def huracan_register_notifiers(settings: Settings) -> list[Any]:
    """Register delivery channels for digests and alerts.

    Returns:
        A list of notifier objects satisfying :class:`huracan.plugins.types.Notifier`
        with unique ``name``s (``email``, ``telegram``, ``discord`` are built in).
    """


@hookspec
def huracan_digest_sections(snapshot: Any, settings: Settings) -> list[Any]:
    """Add sections to the daily digest.

    Args:
        snapshot: the day's :class:`huracan.analytics.snapshot.MetricsSnapshot`.

    Returns:
        A list of :class:`huracan.plugins.types.DigestSection`. Every number in a
        section must come from the snapshot (use metric placeholders).
    """


@hookspec
def huracan_register_commands(app: Any) -> None:
    """Add CLI commands: ``app`` is the root ``typer.Typer``."""


@hookspec
def huracan_startup(settings: Settings) -> None:
    """Called once when the daemon has started (store open, scheduler running)."""
