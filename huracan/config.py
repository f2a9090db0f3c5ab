"""One settings model for the whole system.

Precedence, highest first: explicit overrides (CLI flags) → ``HURACAN_*`` environment
variables (``__`` nests: ``HURACAN_NOTIFIERS__EMAIL__HOST``) → secret files in
``$CREDENTIALS_DIRECTORY`` (systemd ``LoadCredential``) → the YAML file (``--config``,
``HURACAN_CONFIG`` or the packaged default) → defaults.

Example::

    >>> from huracan.config import load_config
    >>> cfg = load_config()
    >>> cfg.ingest.queue_capacity
    10000
"""

from __future__ import annotations

import json
import os
from contextvars import ContextVar
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

__all__ = ["ConfigError", "Settings", "default_config_path", "load_config", "redacted_dump"]

ENV_PREFIX = "HURACAN_"


def _split_names(value: Any) -> Any:
    """A list from env text: JSON (``["a", "b"]``) or comma-separated (``a,b``), as an operator writes it."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"starts like a JSON list but is not valid JSON ({exc}); or write a,b,c") from None
    return [part.strip() for part in text.split(",") if part.strip()]


#: A list of names that an env var may give as ``a,b,c`` (issue 13: a plain string was a traceback).
NameList = Annotated[list[str], NoDecode, BeforeValidator(_split_names)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class IngestSettings(Section):
    queue_capacity: int = Field(10_000, ge=10, description="bounded queue size of the EventLogger")
    shed_debug_fill: float = Field(0.80, gt=0, lt=1, description="fill ratio at which DEBUG is shed")
    kill_switch_fill: float = Field(0.95, gt=0, lt=1, description="fill ratio at which only ERROR+ is kept")
    batch_size: int = Field(5_000, ge=1)
    flush_interval_s: float = Field(1.0, gt=0)
    alert_cooldown_s: float = Field(300.0, ge=0)
    max_clock_skew_s: float = Field(
        300.0, ge=0, description="how far in the future an event's ts may be before ingest rejects it"
    )
    spool_max_mb: float = Field(512.0, gt=0, description="cap of the on-disk spool")


class StoreSettings(Section):
    hot_days: int = Field(7, ge=1, description="days kept in the hot DuckDB before the nightly roll")
    cold_uri: str | None = Field(
        None, description="local path or s3:// URI of the Delta Lake archive; default <data_dir>/cold"
    )
    duckdb_memory_limit: str = "2GB"
    duckdb_threads: int = Field(2, ge=1)

    @field_validator("cold_uri")
    @classmethod
    def _openable(cls, v: str | None) -> str | None:
        if v is not None:
            check_cold_uri(v)
        return v


def _offline_probe(uri: str) -> str | None:
    """The URI to parse for :func:`check_cold_uri`, or None when there is nothing to check offline."""
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    if len(parts.scheme) <= 1 or parts.scheme in {"hdfs", "viewfs"}:
        return None
    if parts.scheme == "s3" and "region=" not in parts.query:
        return uri + ("&" if parts.query else "?") + "region=us-east-1"
    return uri


def check_cold_uri(uri: str) -> None:
    """Raise ``ValueError`` unless the archive can open ``uri`` — offline, no I/O.

    A URI the store rejects (``s3://b/x?bogus=1``) used to pass ``config check`` and fail
    every read with a traceback (issue 13). Local paths need no check. The store's own
    parser (:class:`huracan.store.location.Location`) decides, so the two never disagree.
    """
    probe = _offline_probe(uri)
    if probe is None:
        return
    # The archive's own parser (issue 15): what passes here is what the store opens.
    from huracan.store.location import Location

    try:
        Location.parse(uri).filesystem()
    except ValueError as exc:
        raise ValueError(
            f"{exc}. Use a local path or an s3:// URI with pyarrow's S3 options, e.g. s3://bucket/prefix?region=eu-west-1"
        ) from None


class ApiSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    token: SecretStr | None = Field(None, description="bearer token; required for a non-loopback bind")
    max_request_mb: float = Field(64.0, gt=0)
    sql_timeout_s: float = Field(60.0, gt=0, description="a /v1/sql statement running longer is interrupted")
    sql_max_rows: int = Field(2_000_000, ge=1, description="a /v1/sql answer with more rows is refused")


class SchedulerSettings(Section):
    nightly_at: time = Field(time(0, 15), description="UTC time of the nightly pipeline")
    roll_at: time = Field(time(0, 45), description="UTC time of the hot→cold roll")
    catchup_days: int = Field(3, ge=0, description="missed nights caught up at start")
    monitor_interval_s: float = Field(5.0, gt=0)
    alert_interval_s: float = Field(900.0, gt=0, description="seconds between intraday alert evaluations")
    deadman_digest_hour: int = Field(6, ge=0, le=23, description="UTC hour by which the digest must be delivered")
    deadman_ingest_silence_min: float = Field(60.0, gt=0)
    misfire_grace_s: int = Field(3600, ge=1)
    delivery_retry_s: float = Field(
        60.0, gt=0, description="first retry of an undelivered digest; doubles each time, until the next day is over"
    )
    delivery_retry_max_s: float = Field(1800.0, gt=0, description="longest wait between digest delivery retries")
    stop_grace_s: float = Field(
        60.0, gt=0, description="at SIGTERM, how long a running job may take to finish before the store closes"
    )


class ReadinessSettings(Section):
    min_auc: float = Field(0.65, ge=0, le=1)
    max_ece: float = Field(0.10, ge=0, le=1)
    min_training_samples: int = Field(1_000, ge=0)
    export_ack_timeout_h: float = Field(6.0, gt=0)


class AnalyticsSettings(Section):
    annualization_days: int = Field(365, ge=1, description="periods per year for Sharpe/Sortino (crypto: 365)")
    metrics_file: Path | None = None
    gates_file: Path | None = None
    bootstrap_resamples: int = Field(500, ge=50)
    significance_level: float = Field(0.05, gt=0, lt=1)
    trading_calendar: Literal["auto", "always", "weekdays"] = Field(
        "auto",
        description="which days the Engine trades: auto (a weekday it never sent data on in 4 weeks is closed), "
        "always (24/7, crypto) or weekdays (FX, equities); a day without Engine data is 'no data' when closed",
    )
    holidays: list[date] = Field(default_factory=list, description="UTC days the market is closed (no data)")


class AnalystSettings(Section):
    role: str
    model: str = "huracan/offline"
    temperature: float = Field(0.2, ge=0, le=2)
    timeout_s: float = Field(60.0, gt=0)


DEFAULT_ROLES = (
    "learning_progress",
    "calibration",
    "gates",
    "risk",
    "data_quality",
    "hamilton_readiness",
    "skeptic",
)


class CouncilSettings(Section):
    analysts: list[AnalystSettings] = Field(default_factory=lambda: [AnalystSettings(role=r) for r in DEFAULT_ROLES])
    judge_model: str = "huracan/offline"
    fallback_judge_model: str = "huracan/offline"
    quorum: int = Field(4, ge=1)
    max_revision_rounds: int = Field(2, ge=0)
    max_retries: int = Field(2, ge=0)
    retry_backoff_s: float = Field(
        1.0, ge=0, description="first retry delay; doubles each retry unless retry-after says"
    )
    judge_timeout_s: float = Field(120.0, gt=0)
    monthly_budget_usd: float = Field(20.0, ge=0)
    per_run_cap_usd: float = Field(2.0, ge=0)
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="provider env vars for litellm, e.g. OPENAI_API_KEY; only the council sees them",
    )


class EmailSettings(Section):
    enabled: bool = False
    host: str = "localhost"
    port: int = Field(587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "huracan@localhost"
    recipients: NameList = Field(default_factory=list)
    starttls: bool = True
    ssl: bool = False
    timeout_s: float = Field(30.0, gt=0)


class TelegramSettings(Section):
    enabled: bool = False
    bot_token: SecretStr | None = None
    chat_id: str | None = None
    api_base: str = "https://api.telegram.org"
    commands: bool = Field(
        False, description="answer /status, /digest, /why, /gates, /model (the daemon polls getUpdates)"
    )
    command_chat_ids: list[str] = Field(
        default_factory=list, description="chats allowed to ask besides chat_id; any other chat is ignored"
    )
    poll_timeout_s: int = Field(25, ge=1, le=50, description="getUpdates long-poll timeout")


class DiscordSettings(Section):
    enabled: bool = False
    webhook_url: SecretStr | None = None


class NotifierSettings(Section):
    email: EmailSettings = Field(default_factory=EmailSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    max_attempts: int = Field(5, ge=1)
    backoff_s: float = Field(1.0, ge=0)


class PluginSettings(Section):
    modules: NameList = Field(default_factory=list, description="extra plugin modules to load by import path")
    disabled: NameList = Field(default_factory=list, description="plugin names not to load")
    entry_points: bool = Field(True, description="discover plugins in the 'huracan' entry-point group")


#: Where deploy/huracan.service keeps its data and its configuration.
SYSTEM_STATE_DIR = Path("/var/lib/huracan")
SYSTEM_CONFIG = Path("/etc/huracan/huracan.yaml")


def _default_data_dir() -> Path:
    state = os.environ.get("STATE_DIRECTORY")  # set by systemd's StateDirectory=
    if state:
        return Path(state.split(":")[0])
    user = Path.home() / ".local" / "share" / "huracan"
    # An operator's shell on the service's host (issue 16): no user store, so the service's one.
    if not user.exists() and SYSTEM_STATE_DIR.exists():
        return SYSTEM_STATE_DIR
    return user


_yaml_path: ContextVar[Path | None] = ContextVar("huracan_yaml_path", default=None)


class Settings(BaseSettings):
    """The effective configuration."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_assignment=True,
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    readiness: ReadinessSettings = Field(default_factory=ReadinessSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    council: CouncilSettings = Field(default_factory=CouncilSettings)
    notifiers: NotifierSettings = Field(default_factory=NotifierSettings)
    plugins: PluginSettings = Field(default_factory=PluginSettings)

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            CredentialsSource(settings_cls),
            YamlSource(settings_cls),
        )

    # Paths derived from data_dir, in one place.
    @property
    def hot_db_path(self) -> Path:
        return self.data_dir / "hot.duckdb"

    @property
    def cold_uri(self) -> str:
        return self.store.cold_uri or str(self.data_dir / "cold")

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "digests"

    @property
    def registry_dir(self) -> Path:
        return self.data_dir / "models"


class YamlSource(PydanticBaseSettingsSource):
    """Reads the YAML file chosen by :func:`load_config`."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _yaml_path.get() or default_config_path()
        return read_yaml(path)


class CredentialsSource(PydanticBaseSettingsSource):
    """Secrets from files in ``$CREDENTIALS_DIRECTORY``.

    A file's name is the dotted key (``notifiers.email.password``) or the env var name
    (``HURACAN_NOTIFIERS__EMAIL__PASSWORD``); its content (stripped) is the value.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
        if not cred_dir or not Path(cred_dir).is_dir():
            return {}
        out: dict[str, Any] = {}
        for f in sorted(Path(cred_dir).iterdir()):
            if not f.is_file():
                continue
            name = f.name
            if name.upper().startswith(ENV_PREFIX):
                parts = name[len(ENV_PREFIX) :].lower().split("__")
            elif "." in name:
                parts = name.lower().split(".")
            else:
                continue
            node = out
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = f.read_text().strip()
        return out


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` holds one line per error."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"invalid configuration ({source}):\n" + "\n".join(f"  {p}" for p in problems))


def default_config_path() -> Path:
    """The YAML used when none is named: the service's ``/etc/huracan/huracan.yaml`` when it
    exists (so an operator's shell sees the service's api.port and token), else the packaged one."""
    if SYSTEM_CONFIG.is_file():
        return SYSTEM_CONFIG
    return Path(str(resources.files("huracan") / "configs" / "huracan.yaml"))


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ConfigError(str(path), [f"config file not found: {path}"]) from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), ["the top level must be a mapping of keys to values"])
    return data


def _explain(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(root)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; `huracan config show` lists every key)"
    got = err.get("input")
    if err["type"] != "extra_forbidden" and not isinstance(got, dict | list):
        msg += f" (got {got!r})"
        if isinstance(got, str) and err["type"] in {"int_parsing", "float_parsing", "bool_parsing"}:
            msg += "; in YAML remove the quotes around numbers and booleans"
    env = ENV_PREFIX + "__".join(str(p).upper() for p in err["loc"])
    if env in os.environ:
        msg += f" [set by env {env}]"
    return f"{loc}: {msg}"


def _explain_env(exc: SettingsError) -> str:
    field = str(exc).split('"')[1] if str(exc).count('"') >= 2 else ""
    prefix = ENV_PREFIX + field.upper()
    names = sorted(k for k in os.environ if k == prefix or k.startswith(prefix + "__"))
    cause = f": {exc.__cause__}" if exc.__cause__ else ""
    return (
        f"{field or '(env)'}: the value of {', '.join(names) or 'an environment variable'} cannot be read{cause}; "
        'a list of settings from the environment must be JSON, e.g. \'[{"role": "risk"}]\''
    )


def load_config(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load the effective settings; raise :class:`ConfigError` listing every problem.

    ``path`` defaults to ``$HURACAN_CONFIG``, then the packaged ``huracan.yaml``.
    ``overrides`` win over everything (``data_dir=...`` from ``--data-dir``).
    """
    chosen = Path(path) if path else (Path(os.environ["HURACAN_CONFIG"]) if os.environ.get("HURACAN_CONFIG") else None)
    token = _yaml_path.set(chosen)
    try:
        clean = {k: v for k, v in overrides.items() if v is not None}
        settings = Settings(**clean)
    except ValidationError as exc:
        raise ConfigError(str(chosen or default_config_path()), [_explain(e) for e in exc.errors()]) from None
    except SettingsError as exc:  # an env value that should be JSON (a list of objects) is not
        raise ConfigError("environment", [_explain_env(exc)]) from None
    finally:
        _yaml_path.reset(token)
    from huracan.redact import remember_settings

    remember_settings(settings)  # error text and logs of this process mask every secret (issue 13)
    return settings


def redacted_dump(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret replaced by ``'**********'``."""
    return settings.model_dump(mode="json")  # SecretStr dumps as '**********' in json mode
