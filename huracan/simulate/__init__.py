"""A realistic Engine + Hamilton simulator that uses only the public API.

It builds :mod:`huracan.events` objects and hands them to an ``emit`` function (the
``EventLogger``), and registers / exports / verifies models through the model registry,
exactly as a real Engine and Hamilton would. Deterministic: the same seed gives the same
events, ids included.

Example::

    >>> from huracan.simulate import simulate
    >>> # simulate(settings, days=30, seed=7, emit=logger.log, registry=registry)
"""

from huracan.simulate.market import PROFILES, REGIMES, Market
from huracan.simulate.ports import Emit, IdSource, Registry
from huracan.simulate.runner import DEFAULT_SYMBOLS, SimSummary, sim_window, simulate

__all__ = [
    "DEFAULT_SYMBOLS",
    "PROFILES",
    "REGIMES",
    "Emit",
    "IdSource",
    "Market",
    "Registry",
    "SimSummary",
    "sim_window",
    "simulate",
]
