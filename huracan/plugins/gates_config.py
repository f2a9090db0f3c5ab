"""The gates configuration (``gates.yaml``): one loader every room imports.

``load_gates_config(settings)`` reads ``settings.analytics.gates_file`` when set, else
the packaged ``huracan/configs/gates.yaml``, and validates it into :class:`GatesConfig`.
Every problem is reported at once, one line each, with the YAML path of the bad key.

Example::

    >>> cfg = load_gates_config()
    >>> cfg.gates["meta_label"].thresholds["scalp"]
    0.45
    >>> sorted(cfg.gates)[:2]
    ['confidence_gate', 'cost_gate']
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from huracan.analytics.snapshot import Targets
from huracan.config import ConfigError, read_yaml

if TYPE_CHECKING:
    from huracan.config import Settings

__all__ = [
    "GateConfig",
    "GatesConfig",
    "HistoryEntry",
    "ThresholdChange",
    "default_gates_path",
    "gates_path",
    "load_gates_config",
    "threshold_history",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HistoryEntry(_Strict):
    """A threshold change recorded in ``gates.yaml`` (``history:``)."""

    date: date
    mode: str
    old: float
    new: float
    reason: str = ""


class GateConfig(_Strict):
    """One gate of ``gates.yaml``."""

    description: str
    measures: str = Field(min_length=1, description="name of the decision input the gate reads")
    phrase: str = ""
    unit: str = ""
    direction: Literal["above", "below"]
    thresholds: dict[str, float]
    pass_rate_targets: dict[str, Targets] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("a gate needs a threshold for at least one mode, e.g. {scalp: 0.45}")
        bad = [m for m, t in v.items() if not math.isfinite(t)]
        if bad:
            raise ValueError(f"thresholds must be finite numbers (mode {', '.join(bad)})")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> GateConfig:
        for mode, t in self.pass_rate_targets.items():
            if mode not in self.thresholds:
                raise ValueError(
                    f"pass_rate_targets has mode {mode!r} but thresholds has no such mode "
                    f"(modes: {', '.join(sorted(self.thresholds))})"
                )
            vals = [x for x in (t.min, t.ideal, t.max) if x is not None]
            if any(not 0 <= x <= 1 for x in vals):
                raise ValueError(f"pass_rate_targets.{mode}: rates are fractions between 0 and 1 (got {vals})")
            if vals != sorted(vals):
                raise ValueError(f"pass_rate_targets.{mode}: need min <= ideal <= max (got {vals})")
        for i, h in enumerate(self.history):
            if h.mode not in self.thresholds:
                raise ValueError(f"history[{i}] names mode {h.mode!r}, which has no threshold")
        return self


class GatesConfig(_Strict):
    """The whole ``gates.yaml``: gate name → :class:`GateConfig`."""

    gates: dict[str, GateConfig]

    @field_validator("gates")
    @classmethod
    def _names(cls, v: dict[str, GateConfig]) -> dict[str, GateConfig]:
        for name in v:
            if not name or not name.replace("_", "").isalnum():
                raise ValueError(f"gate name {name!r} must be an identifier (letters, digits, _)")
        return v


class ThresholdChange(_Strict):
    """One change of a gate's threshold, from ``gates.yaml`` or a ``config_change`` event."""

    at: datetime
    gate: str
    mode: str | None
    old: float | None
    new: float | None
    reason: str = ""
    author: str = ""
    source: Literal["gates.yaml", "config_change"]


def default_gates_path() -> Path:
    return Path(str(resources.files("huracan") / "configs" / "gates.yaml"))


def gates_path(settings: Settings | None = None) -> Path:
    """The gates file in effect: ``analytics.gates_file`` or the packaged default."""
    if settings is not None and settings.analytics.gates_file is not None:
        return Path(settings.analytics.gates_file).expanduser()
    return default_gates_path()


def _problem(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(root)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling against the packaged gates.yaml)"
    elif err["type"] == "missing":
        msg = "required key is missing"
    got = err.get("input")
    if err["type"] not in {"extra_forbidden", "missing"} and not isinstance(got, dict | list):
        msg += f" (got {got!r})"
        if isinstance(got, str) and err["type"] in {"float_parsing", "int_parsing"}:
            msg += "; remove the quotes around numbers"
    return f"{loc}: {msg}"


def load_gates_config(settings: Settings | None = None, path: str | Path | None = None) -> GatesConfig:
    """Read and validate the gates file; raise :class:`huracan.config.ConfigError` listing every problem.

    ``path`` wins over ``settings.analytics.gates_file``, which wins over the packaged file.
    """
    chosen = Path(path) if path is not None else gates_path(settings)
    data = read_yaml(chosen)
    try:
        return GatesConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(str(chosen), [_problem(e) for e in exc.errors()]) from None


def _as_float(v: Any) -> float | None:
    # config_change old/new values are a scalar union stored as JSON text in the store.
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        parsed = json.loads(v) if isinstance(v, str) else v
        return float(parsed) if not isinstance(parsed, bool) and parsed is not None else None
    except (TypeError, ValueError):
        return None


def threshold_history(config: GatesConfig, conn: Any | None = None, gate: str | None = None) -> list[ThresholdChange]:
    """Every threshold change, oldest first: ``gates.yaml`` history plus the store's ``config_change`` events.

    ``conn`` is a connection-like reader over the ``v_*`` views (see docs/contracts.md);
    without it only the YAML history is returned.
    """
    out: list[ThresholdChange] = []
    for name, g in config.gates.items():
        if gate is not None and name != gate:
            continue
        for h in g.history:
            out.append(
                ThresholdChange(
                    at=datetime(h.date.year, h.date.month, h.date.day, tzinfo=UTC),
                    gate=name,
                    mode=h.mode,
                    old=h.old,
                    new=h.new,
                    reason=h.reason,
                    source="gates.yaml",
                )
            )
    if conn is not None:
        sql = (
            "SELECT ts, gate, mode, CAST(old_value AS VARCHAR), CAST(new_value AS VARCHAR), reason, author "
            "FROM v_config_change WHERE gate IS NOT NULL"
        )
        params: list[Any] = []
        if gate is not None:
            sql += " AND gate = ?"
            params.append(gate)
        for ts, g_name, mode, old, new, reason, author in conn.execute(sql + " ORDER BY ts", params).fetchall():
            out.append(
                ThresholdChange(
                    at=ts if ts.tzinfo else ts.replace(tzinfo=UTC),
                    gate=g_name,
                    mode=mode,
                    old=_as_float(old),
                    new=_as_float(new),
                    reason=reason or "",
                    author=author or "",
                    source="config_change",
                )
            )
    out.sort(key=lambda c: c.at)
    return out
