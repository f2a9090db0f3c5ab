"""Event schemas: every event the Engine, Hamilton and Huracan itself emit.

One discriminated union on ``type`` (:data:`Event`), a common envelope
(:class:`EventBase`), the leakage rules, and the registry of schema upgrades that
are applied on read.

Example::

    >>> from huracan.events import Signal, parse_event
    >>> s = Signal(signal_id="s-1", symbol="ETH-USD", mode="scalp", regime="trend",
    ...            side="long", price=3120.5, confidence=0.71)
    >>> parse_event(s.model_dump(mode="json")) == s
    True
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = [
    "EVENT_TYPES",
    "Event",
    "EventBase",
    "LeakageError",
    "Severity",
    "TrainingSample",
    "check_training_samples",
    "future_cutoff",
    "known_gates",
    "known_modes",
    "parse_event",
    "register_gate",
    "register_mode",
    "register_upgrade",
    "set_max_clock_skew",
    "trusted_timestamps",
    "upgrade_payload",
]


class Severity(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.value]


SEVERITY_RANK: dict[str, int] = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}

Source = Literal["engine", "hamilton", "huracan"]

# Gates and modes are open sets: the built-in plugins register the six gates and the
# two modes at import, third-party plugins add theirs through the same functions.
_GATES: set[str] = {
    "meta_label",
    "cost_gate",
    "confidence_gate",
    "regime_gate",
    "spread_gate",
    "volume_gate",
}
_MODES: set[str] = {"scalp", "runner"}
_BUILTIN_GATES = frozenset(_GATES)


def register_gate(name: str) -> None:
    """Make ``name`` a valid gate name in events (plugins call this for new gates)."""
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"gate name {name!r} must be a non-empty identifier (letters, digits, _)")
    _GATES.add(name)


def unregister_gate(name: str) -> None:
    """Forget a gate name a plugin registered (its plugin was disabled); the six built-in names stay."""
    if name not in _BUILTIN_GATES:
        _GATES.discard(name)


def register_mode(name: str) -> None:
    """Make ``name`` a valid trading mode in events."""
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"mode name {name!r} must be a non-empty identifier (letters, digits, _)")
    _MODES.add(name)


def known_gates() -> frozenset[str]:
    return frozenset(_GATES)


def known_modes() -> frozenset[str]:
    return frozenset(_MODES)


def _check_gate(v: str) -> str:
    if v not in _GATES:
        raise ValueError(
            f"unknown gate {v[:MAX_NAME_CHARS]!r}; known gates: {', '.join(sorted(_GATES))} "
            "(a plugin can register more with huracan.events.register_gate)"
        )
    return v


def _check_mode(v: str) -> str:
    if v not in _MODES:
        raise ValueError(
            f"unknown mode {v[:MAX_NAME_CHARS]!r}; known modes: {', '.join(sorted(_MODES))} "
            "(a plugin can register more with huracan.events.register_mode)"
        )
    return v


Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
# Size caps (issue 13), declared once with the schema: every boundary that reads events
# (HTTP ingest, `huracan events validate`, the fast Arrow path, which reuses these field
# schemas) enforces them, and an event beyond one is rejected alone, naming the field.
#: ids, names, symbols, map keys
MAX_NAME_CHARS = 200
#: free text: alert messages, reasons, notes, paths, config values
MAX_TEXT_CHARS = 4_000
#: entries of a map (features, importances, metrics) or of a short list (reasons, spans)
MAX_ITEMS = 1_000
#: predictions / outcomes of one calibration event
MAX_SAMPLES = 1_000_000
#: nesting of one event's JSON (the deepest event, a calibration's bins, needs 3)
MAX_JSON_DEPTH = 32

Ident = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]
Name = Annotated[str, Field(max_length=MAX_NAME_CHARS)]
Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
FloatMap = Annotated[dict[Name, Finite], Field(max_length=MAX_ITEMS)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Side = Literal["long", "short"]
Mode = Annotated[str, AfterValidator(_check_mode)]
GateName = Annotated[str, AfterValidator(_check_gate)]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def _to_utc(v: datetime) -> datetime:
    # pydantic's AwareDatetime already refused naive values (in Rust, cheaply); only
    # other zones need converting, so UTC values pass through untouched.
    return v if v.tzinfo is UTC else v.astimezone(UTC)


#: A timezone-aware datetime, normalised to UTC; naive values are rejected.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]

#: How far ahead of this process's clock an event's ``ts`` may be: producers' clocks
#: drift a little, but a ``ts`` of 9999-12-31 would make it "the last day" forever (#12).
DEFAULT_MAX_CLOCK_SKEW_S = 300.0
_max_clock_skew = timedelta(seconds=DEFAULT_MAX_CLOCK_SKEW_S)
# Set while stored events are read back (what the store holds was accepted when written,
# and must stay readable after the allowance is tightened) and while the simulator builds
# events ahead of its own clock that it never emits.
_trusted_ts: ContextVar[bool] = ContextVar("huracan_trusted_ts", default=False)


def set_max_clock_skew(seconds: float) -> None:
    """Set how far in the future (seconds) an event's ``ts`` may be (``ingest.max_clock_skew_s``)."""
    global _max_clock_skew
    if not seconds >= 0:
        raise ValueError(f"the clock-skew allowance must be >= 0 seconds, got {seconds!r}")
    _max_clock_skew = timedelta(seconds=seconds)


def future_cutoff(now: datetime | None = None) -> datetime:
    """The latest ``ts`` accepted at ``now`` (default: now, UTC): now plus the clock-skew allowance."""
    return (now or datetime.now(UTC)) + _max_clock_skew


@contextmanager
def trusted_timestamps() -> Iterator[None]:
    """Validate events without checking ``ts`` against the clock, in this context only.

    For events read back from the store, and for the simulator, which builds events ahead
    of its simulated clock and discards those it never reaches. Ingest never uses it.
    """
    token = _trusted_ts.set(True)
    try:
        yield
    finally:
        _trusted_ts.reset(token)


def _event_time(v: datetime) -> datetime:
    v = v if v.tzinfo is UTC else v.astimezone(UTC)
    if not _trusted_ts.get():
        now = datetime.now(UTC)
        if v > now + _max_clock_skew:
            raise ValueError(
                f"ts {v.isoformat()} is in the future: more than {_max_clock_skew.total_seconds():g} s ahead of "
                f"Huracan's clock ({now.isoformat(timespec='seconds')}); fix the producer's clock or its ts "
                "(the allowance is ingest.max_clock_skew_s)"
            )
    return v


#: An event's own time: UTC, and not in the future beyond the clock-skew allowance.
EventTime = Annotated[AwareDatetime, AfterValidator(_event_time)]


class EventBase(BaseModel):
    """The envelope every event carries."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)

    type: str
    schema_version: int = 1
    event_id: Ident = Field(default_factory=new_id)
    ts: EventTime = Field(default_factory=utcnow)
    severity: Severity = Severity.INFO
    source: Source = "engine"

    #: The current schema version of this type; stored events of older versions are
    #: upgraded on read through :func:`register_upgrade` functions.
    CURRENT_VERSION: ClassVar[int] = 1


class LabelledEvent(EventBase):
    """An event carrying a label or outcome: the leakage rule applies."""

    decision_timestamp: UtcDatetime
    label_cutoff_timestamp: UtcDatetime

    @model_validator(mode="after")
    def _no_leakage(self) -> LabelledEvent:
        if self.decision_timestamp > self.label_cutoff_timestamp:
            raise ValueError(
                f"leakage: event {self.event_id} ({self.type}) has decision_timestamp "
                f"{self.decision_timestamp.isoformat()} after label_cutoff_timestamp "
                f"{self.label_cutoff_timestamp.isoformat()}; an outcome cannot be known "
                "before the decision it labels"
            )
        return self


class Signal(EventBase):
    """A market signal the Engine received, with the features its gates read."""

    type: Literal["signal"] = "signal"
    signal_id: Ident
    symbol: Ident
    mode: Mode
    regime: Ident
    side: Side
    price: Positive
    confidence: Probability
    features: FloatMap = Field(default_factory=dict)


class GateDecision(EventBase):
    """One gate's verdict on one signal."""

    type: Literal["gate_decision"] = "gate_decision"
    signal_id: Ident
    gate: GateName
    mode: Mode
    passed: bool
    value: Finite
    threshold: Finite
    direction: Literal["above", "below"]
    model_id: Name | None = None
    latency_ms: NonNegative = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> GateDecision:
        should = self.value >= self.threshold if self.direction == "above" else self.value <= self.threshold
        if should != self.passed:
            raise ValueError(
                f"gate {self.gate}: passed={self.passed} contradicts value {self.value} "
                f"{'>=' if self.direction == 'above' else '<='} threshold {self.threshold} "
                f"(direction {self.direction!r})"
            )
        return self


class ShadowTrade(EventBase):
    """A paper trade the Engine opened for a signal that passed every gate."""

    type: Literal["shadow_trade"] = "shadow_trade"
    trade_id: Ident
    signal_id: Ident
    symbol: Ident
    mode: Mode
    regime: Ident
    side: Side
    entry_price: Positive
    size_usd: Positive = 1000.0
    model_id: Name | None = None
    predicted_win_prob: Probability | None = None


class ShadowOutcome(LabelledEvent):
    """The close of a shadow trade, or the counterfactual outcome of a blocked signal.

    v2 replaced v1's ``pnl_pct`` (percent) with ``return_bps`` and added
    ``counterfactual`` / ``blocked_by``.
    """

    CURRENT_VERSION: ClassVar[int] = 2
    type: Literal["shadow_outcome"] = "shadow_outcome"
    schema_version: int = 2
    signal_id: Ident
    trade_id: Name | None = None
    symbol: Ident
    mode: Mode
    regime: Ident
    side: Side
    counterfactual: bool = False
    blocked_by: Annotated[list[GateName], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    entry_price: Positive
    exit_price: Positive
    return_bps: Finite
    win: bool
    holding_seconds: NonNegative
    exit_reason: Literal["take_profit", "stop_loss", "timeout", "manual"] = "timeout"
    model_id: Name | None = None

    @model_validator(mode="after")
    def _shape(self) -> ShadowOutcome:
        if self.counterfactual and not self.blocked_by:
            raise ValueError("a counterfactual outcome must name the gates that blocked it (blocked_by)")
        if not self.counterfactual and self.trade_id is None:
            raise ValueError("a shadow trade's outcome needs trade_id (or set counterfactual=true)")
        if self.win != (self.return_bps > 0):
            raise ValueError(f"win={self.win} contradicts return_bps={self.return_bps}")
        return self


class TrainingSession(EventBase):
    """One training run of a learner; ``data_cutoff_timestamp`` is the newest label used.

    ``duration_s``, ``brier`` and ``log_loss`` are optional: an Engine that does not
    measure them leaves them out and every face shows them as absent (issue 16).
    """

    type: Literal["training_session"] = "training_session"
    session_id: Ident
    model_id: Sha256
    learner: Ident = "meta_label"
    trained_at: UtcDatetime
    data_cutoff_timestamp: UtcDatetime
    duration_s: NonNegative | None = None
    samples_historical: Annotated[int, Field(ge=0)]
    samples_shadow: Annotated[int, Field(ge=0)]
    auc: Probability
    ece: Probability
    mce: Probability
    brier: Probability | None = None
    log_loss: NonNegative | None = None
    eval_samples: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _no_future_data(self) -> TrainingSession:
        if self.data_cutoff_timestamp > self.trained_at:
            raise ValueError(
                f"leakage: training session {self.session_id} (event {self.event_id}) used labels up "
                f"to {self.data_cutoff_timestamp.isoformat()}, after it was trained at "
                f"{self.trained_at.isoformat()}"
            )
        return self


class CalibrationBin(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    lower: Probability
    upper: Probability
    mean_predicted: Probability
    observed_rate: Probability
    count: Annotated[int, Field(ge=0)]


class Calibration(EventBase):
    """Out-of-time predictions and outcomes of a model; ECE/MCE are recomputed from them."""

    type: Literal["calibration"] = "calibration"
    session_id: Ident
    model_id: Sha256
    predictions: Annotated[list[Probability], Field(max_length=MAX_SAMPLES)]
    outcomes: Annotated[list[Annotated[int, Field(ge=0, le=1)]], Field(max_length=MAX_SAMPLES)]
    reported_ece: Probability | None = None
    reported_mce: Probability | None = None
    bins: Annotated[list[CalibrationBin], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _paired(self) -> Calibration:
        if len(self.predictions) != len(self.outcomes):
            raise ValueError(
                f"predictions ({len(self.predictions)}) and outcomes ({len(self.outcomes)}) differ in length"
            )
        return self


class FeatureImportance(EventBase):
    type: Literal["feature_importance"] = "feature_importance"
    session_id: Ident
    model_id: Sha256
    method: Ident = "permutation"
    importances: FloatMap

    @field_validator("importances")
    @classmethod
    def _non_empty(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("importances must name at least one feature")
        return v


class ModelRegistered(EventBase):
    type: Literal["model_registered"] = "model_registered"
    model_id: Sha256
    learner: Ident = "meta_label"
    parent_model_id: Sha256 | None = None
    git_sha: Annotated[str, Field(pattern=r"^[0-9a-f]{7,40}$")]
    data_snapshot_id: Ident
    metrics: FloatMap = Field(default_factory=dict)
    artifact_path: Text | None = None
    size_bytes: Annotated[int, Field(ge=0)] | None = None
    notes: Text = ""


class ModelExport(EventBase):
    type: Literal["model_export"] = "model_export"
    model_id: Sha256
    export_path: Text
    manifest_sha256: Sha256 | None = None
    ready: bool
    reasons: Annotated[list[Text], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    #: exported although not ready (``huracan models export --force``)
    forced: bool = False


class ModelLoaded(EventBase):
    """Hamilton's acknowledgement that it verified and loaded an exact model SHA256."""

    type: Literal["model_loaded"] = "model_loaded"
    source: Source = "hamilton"
    model_id: Sha256
    verified_sha256: Sha256

    @model_validator(mode="after")
    def _same(self) -> ModelLoaded:
        if self.model_id != self.verified_sha256:
            raise ValueError(f"Hamilton loaded {self.verified_sha256[:12]} but acknowledged model {self.model_id[:12]}")
        return self


class LiveOutcome(LabelledEvent):
    """A real trade Hamilton made with an Engine model, reported back."""

    type: Literal["live_outcome"] = "live_outcome"
    source: Source = "hamilton"
    live_trade_id: Ident
    signal_id: Name | None = None
    model_id: Sha256
    symbol: Ident
    mode: Mode
    regime: Ident
    side: Side
    return_bps: Finite
    win: bool
    slippage_bps: Finite = 0.0
    fees_bps: NonNegative = 0.0
    holding_seconds: NonNegative = 0.0


class MarketSnapshot(EventBase):
    type: Literal["market_snapshot"] = "market_snapshot"
    symbol: Ident
    price: Positive
    regime: Ident
    volatility_bps: NonNegative
    spread_bps: NonNegative
    volume_usd: NonNegative


class ConfigChange(EventBase):
    """A configuration change in the Engine, e.g. a gate threshold moved."""

    type: Literal["config_change"] = "config_change"
    key: Ident
    old_value: Text | float | int | bool | None
    new_value: Text | float | int | bool | None
    author: Ident
    reason: Text = ""
    gate: GateName | None = None
    mode: Mode | None = None


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Ident
    start_offset_ms: NonNegative
    duration_ms: NonNegative


class DecisionTrace(EventBase):
    """The timeline of one decision: signal → features → each gate → shadow trade."""

    type: Literal["decision_trace"] = "decision_trace"
    signal_id: Ident
    spans: Annotated[list[Span], Field(max_length=MAX_ITEMS)]
    outcome: Literal["shadow_trade", "blocked"]

    @field_validator("spans")
    @classmethod
    def _spans(cls, v: list[Span]) -> list[Span]:
        if not v:
            raise ValueError("a decision trace needs at least one span")
        return v


class Alert(EventBase):
    type: Literal["alert"] = "alert"
    source: Source = "huracan"
    severity: Severity = Severity.WARNING
    name: Ident
    message: Text
    component: Ident = "huracan"
    metric_id: Name | None = None
    value: Finite | None = None
    threshold: Finite | None = None
    #: the UTC day of data the alert is about (YYYY-MM-DD); None for alerts about the
    #: running system itself (queue, ingest). Alerts de-duplicate per (name, data_day).
    data_day: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")] | None = None
    #: what within the rule the alert is about: the metric (with its part), the model id
    part: Ident | None = None
    #: "firing", or "resolved" for the notice that a firing alert's condition cleared
    state: Literal["firing", "resolved"] = "firing"


EVENT_CLASSES: tuple[type[EventBase], ...] = (
    Signal,
    GateDecision,
    ShadowTrade,
    ShadowOutcome,
    TrainingSession,
    Calibration,
    FeatureImportance,
    ModelRegistered,
    ModelExport,
    ModelLoaded,
    LiveOutcome,
    MarketSnapshot,
    ConfigChange,
    DecisionTrace,
    Alert,
)
EVENT_TYPES: dict[str, type[EventBase]] = {cls.model_fields["type"].default: cls for cls in EVENT_CLASSES}

Event = Annotated[
    Signal
    | GateDecision
    | ShadowTrade
    | ShadowOutcome
    | TrainingSession
    | Calibration
    | FeatureImportance
    | ModelRegistered
    | ModelExport
    | ModelLoaded
    | LiveOutcome
    | MarketSnapshot
    | ConfigChange
    | DecisionTrace
    | Alert,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

# --- versioning -----------------------------------------------------------------

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]
_UPGRADES: dict[tuple[str, int], Upgrade] = {}


def register_upgrade(event_type: str, from_version: int) -> Callable[[Upgrade], Upgrade]:
    """Register ``fn(payload) -> payload`` upgrading ``event_type`` from ``from_version``.

    Upgrades are chained on read until the type's ``CURRENT_VERSION``.
    """

    def deco(fn: Upgrade) -> Upgrade:
        key = (event_type, from_version)
        if key in _UPGRADES:
            raise ValueError(f"an upgrade for {event_type} v{from_version} is already registered")
        _UPGRADES[key] = fn
        return fn

    return deco


def upgrade_payload(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored event payload up to its type's current schema version."""
    etype = data.get("type")
    cls = EVENT_TYPES.get(etype) if isinstance(etype, str) else None
    if cls is None:
        return data
    try:
        version = int(data.get("schema_version", 1))
    except (TypeError, ValueError):
        return data  # not a version number: validation reports it, with its field path
    while version < cls.CURRENT_VERSION:
        fn = _UPGRADES.get((cls.model_fields["type"].default, version))
        if fn is None:
            raise ValueError(f"no upgrade registered for {etype} v{version} -> v{version + 1}")
        data = fn(dict(data))
        version += 1
        data["schema_version"] = version
    return data


@register_upgrade("shadow_outcome", 1)
def _shadow_outcome_v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    # v1 stored pnl_pct (percent of entry); v2 stores return_bps and marks counterfactuals.
    pct = d.pop("pnl_pct", None)
    if pct is not None and "return_bps" not in d:
        d["return_bps"] = round(float(pct) * 100.0, 10)
    d.setdefault("counterfactual", False)
    d.setdefault("blocked_by", [])
    return d


def parse_event(data: dict[str, Any] | str | bytes) -> Event:
    """Validate one event (dict or JSON text), upgrading an old schema version first.

    JSON text is checked by :func:`huracan.event_json.load_event_json` first (UTF-8, no
    lone surrogate, nesting within :data:`MAX_JSON_DEPTH`).
    """
    if isinstance(data, str | bytes):
        from huracan.event_json import load_event_json

        data = load_event_json(data)
        if not isinstance(data, dict):
            raise ValueError("an event must be a JSON object")
    return EVENT_ADAPTER.validate_python(upgrade_payload(dict(data)))


def format_validation_error(exc: ValidationError) -> list[str]:
    """One ``field.path: message`` line per error (the union tag is dropped from paths)."""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] in EVENT_TYPES:
            loc = loc[1:]
        path = ".".join(loc) or "(event)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] in {"union_tag_not_found", "union_tag_invalid"}:
            path = "type"
            got = err.get("ctx", {}).get("tag")
            msg = (f"unknown event type {got!r}" if got else "missing") + f"; one of: {', '.join(sorted(EVENT_TYPES))}"
        if err["type"] == "timezone_aware":
            msg += " (naive times are ambiguous: use datetime.now(timezone.utc) or end the ISO string with 'Z')"
        lines.append(f"{path}: {msg}")
    return lines


# --- training samples -----------------------------------------------------------


class LeakageError(ValueError):
    """A training sample would use an outcome observed after the training decision."""


class TrainingSample(BaseModel):
    """One labelled sample offered to a learner."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sample_id: Ident
    decision_timestamp: UtcDatetime
    label_cutoff_timestamp: UtcDatetime
    features: dict[str, Finite]
    label: Annotated[int, Field(ge=0, le=1)]
    origin: Literal["historical", "shadow", "counterfactual"] = "shadow"

    @model_validator(mode="after")
    def _ordered(self) -> TrainingSample:
        if self.decision_timestamp > self.label_cutoff_timestamp:
            raise ValueError(
                f"leakage: sample {self.sample_id} decision_timestamp "
                f"{self.decision_timestamp.isoformat()} is after its label_cutoff_timestamp "
                f"{self.label_cutoff_timestamp.isoformat()}"
            )
        return self


def check_training_samples(samples: Iterable[TrainingSample], trained_at: datetime) -> None:
    """Raise :class:`LeakageError` if any sample's label was observed after ``trained_at``.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2025, 11, 6, tzinfo=timezone.utc)
    >>> check_training_samples([], t)
    """
    for s in samples:
        if s.label_cutoff_timestamp > trained_at:
            raise LeakageError(
                f"leakage: sample {s.sample_id} has label_cutoff_timestamp "
                f"{s.label_cutoff_timestamp.isoformat()} after the training decision at "
                f"{trained_at.isoformat()} (decision_timestamp {s.decision_timestamp.isoformat()})"
            )
