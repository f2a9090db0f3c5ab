"""Resolving what a hookimpl returns: a value, a callable returning it, or an awaitable.

pluggy hooks are synchronous, so a plugin that needs I/O returns a coroutine (or a
function returning one) and the caller resolves it — datasette's ``await_me_maybe``.

Example::

    >>> async def later() -> int:
    ...     return 3
    >>> resolve_sync(later), resolve_sync(lambda: 2), resolve_sync(1)
    (3, 2, 1)
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["await_me_maybe", "resolve_sync"]


def _is_factory(value: Any) -> bool:
    # Only functions count as "a callable returning the value": a class or a callable
    # object (a notifier, a spec) is itself the value.
    return inspect.isroutine(value) or isinstance(value, functools.partial)


async def await_me_maybe(value: Any) -> Any:
    """Call ``value`` if it is a function, then await the result if it is awaitable."""
    if _is_factory(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


async def _await(value: Awaitable[Any]) -> Any:
    return await value


def resolve_sync(value: Any) -> Any:
    """Like :func:`await_me_maybe` for synchronous callers.

    An awaitable is run on a private event loop; when the calling thread already runs
    a loop (the daemon), on a private loop in a worker thread, because a running loop
    cannot be re-entered.
    """
    if _is_factory(value):
        value = value()
    if not inspect.isawaitable(value):
        return value
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(value))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="huracan-hook") as pool:
        return pool.submit(asyncio.run, _await(value)).result()
