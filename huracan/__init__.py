"""Huracan Observability: observability for a learning trading Engine."""

__version__ = "0.1.0"
