"""Where a URI points: one parse for pyarrow (backups, the legacy archive) and delta-rs.

``store.cold_uri`` and ``huracan store backup DEST`` take a local path or a pyarrow-style
URI (``s3://bucket/prefix?region=eu-west-1&endpoint_override=host:port&scheme=http``).
pyarrow and delta-rs name the same settings differently, so they are parsed here once
and handed to each in its own words: a :class:`pyarrow.fs.FileSystem` and delta-rs
``storage_options``. Credentials not in the URI come from the usual AWS environment
(both libraries read ``AWS_ACCESS_KEY_ID`` etc. themselves).

Example::

    >>> loc = Location.parse("s3://bkt/huracan?region=us-east-1&endpoint_override=127.0.0.1:9000&scheme=http")
    >>> loc.child("signal").uri, loc.storage_options["AWS_ENDPOINT_URL"], loc.storage_options["AWS_ALLOW_HTTP"]
    ('s3://bkt/huracan/signal', 'http://127.0.0.1:9000', 'true')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pyarrow.fs as pafs

__all__ = ["Location", "one_line"]

# pyarrow S3 URI options we understand, and how delta-rs names each.
_S3_OPTIONS = {
    "region": "AWS_REGION",
    "endpoint_override": "AWS_ENDPOINT_URL",
    "scheme": None,
    "access_key": "AWS_ACCESS_KEY_ID",
    "secret_key": "AWS_SECRET_ACCESS_KEY",
    "session_token": "AWS_SESSION_TOKEN",
    "allow_bucket_creation": None,
    "force_virtual_addressing": "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
}
# Without these, an unreachable endpoint keeps delta-rs retrying for 3 minutes and a
# user waits that long for "the archive is unreachable". Overridable in the URI.
_DELTA_RETRY_DEFAULTS = {"max_retries": "3", "retry_timeout": "20s", "connect_timeout": "5s", "timeout": "120s"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def one_line(exc: BaseException | str, limit: int = 300) -> str:
    """An exception's text on one line: delta-rs errors are multi-line and colour-coded."""
    text = _ANSI.sub("", str(exc))
    parts = [p.strip(" ↳-\t") for p in text.splitlines()]
    flat = " ".join(p for p in parts if p)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Location:
    """A parsed local path or object-store URI."""

    uri: str  # as given (child locations: the parent's URI plus a path, no query)
    scheme: str  # "" for a local path
    path: str  # the filesystem path pyarrow takes: absolute for local, "bucket/prefix" for S3
    options: tuple[tuple[str, str], ...] = field(default=())  # the URI's query, parsed

    @classmethod
    def parse(cls, uri: str) -> Location:
        """Parse ``uri``; raise ``ValueError`` with an example for anything we cannot open."""
        parsed = urlparse(uri)
        scheme = parsed.scheme.lower()
        if not scheme or len(scheme) == 1:  # a plain path (or a Windows drive letter)
            return cls(uri, "", Path(uri).expanduser().resolve().as_posix())
        if scheme == "file":
            return cls(uri, "", Path(parsed.path).expanduser().resolve().as_posix())
        if scheme != "s3":
            raise ValueError(
                f"{uri!r}: only local paths and s3:// URIs are supported for the archive and backups "
                "(e.g. s3://bucket/prefix?region=eu-west-1)"
            )
        if not parsed.netloc:
            raise ValueError(f"{uri!r} names no bucket; expected s3://bucket/prefix?region=…")
        options = tuple(parse_qsl(parsed.query, keep_blank_values=True))
        unknown = sorted({k for k, _ in options} - set(_S3_OPTIONS) - set(_DELTA_RETRY_DEFAULTS))
        if unknown:
            raise ValueError(
                f"{uri!r}: unknown option(s) {', '.join(unknown)}; known: "
                f"{', '.join(sorted([*_S3_OPTIONS, *_DELTA_RETRY_DEFAULTS]))}"
            )
        return cls(uri, "s3", f"{parsed.netloc}{parsed.path}".rstrip("/"), options)

    @property
    def is_local(self) -> bool:
        return self.scheme == ""

    @property
    def base_uri(self) -> str:
        """The URI without its query: what delta-rs and outside engines take."""
        return self.path if self.is_local else f"s3://{self.path}"

    def child(self, *names: str) -> Location:
        """The location ``names`` below this one (same filesystem and options)."""
        sub = "/".join(names)
        return Location(f"{self.base_uri}/{sub}", self.scheme, f"{self.path}/{sub}", self.options)

    def filesystem(self) -> pafs.FileSystem:
        """A pyarrow filesystem for this location (paths are :attr:`path` and below)."""
        if self.is_local:
            return pafs.LocalFileSystem()
        opts = dict(self.options)
        kwargs: dict[str, object] = {
            # Fail in seconds, not minutes, when the endpoint is down.
            "connect_timeout": 5,
            "request_timeout": 60,
            "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=3),
        }
        for key in ("region", "endpoint_override", "scheme", "access_key", "secret_key", "session_token"):
            if key in opts:
                kwargs[key] = opts[key]
        for key in ("allow_bucket_creation", "force_virtual_addressing"):
            if key in opts:
                kwargs[key] = opts[key].lower() in ("1", "true", "yes")
        try:
            return pafs.S3FileSystem(**kwargs)  # type: ignore[arg-type]
        except (TypeError, ValueError, OSError) as exc:
            raise ValueError(f"{self.uri!r}: cannot configure S3 access: {one_line(exc)}") from None

    @property
    def storage_options(self) -> dict[str, str]:
        """delta-rs ``storage_options`` equivalent to this URI's query (S3 only)."""
        if self.is_local:
            return {}
        opts = dict(self.options)
        out = {k: opts.get(k, v) for k, v in _DELTA_RETRY_DEFAULTS.items()}
        scheme = opts.get("scheme", "https")
        for key, delta_key in _S3_OPTIONS.items():
            if delta_key and key in opts:
                out[delta_key] = opts[key]
        endpoint = opts.get("endpoint_override")
        if endpoint:
            out["AWS_ENDPOINT_URL"] = endpoint if "://" in endpoint else f"{scheme}://{endpoint}"
        if scheme == "http" or out.get("AWS_ENDPOINT_URL", "").startswith("http://"):
            out["AWS_ALLOW_HTTP"] = "true"
        # delta-rs commits with S3 conditional writes (put-if-absent) by default, which
        # AWS S3 and moto honour: no locking provider and no unsafe rename are needed.
        return out
