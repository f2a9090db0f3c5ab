"""``metrics.yaml``: the definitions of the built-in metrics, joined to their compute code.

Each entry of ``metrics:`` defines one metric (its id is the key) and, with ``parts``,
one metric per mode / gate / source / gate-and-mode (``shadow_win_rate.scalp``,
``gate_pass_rate.cost_gate.runner``). Category modules supply a compute function per
id; :func:`build_specs` joins both and fails at start-up, naming the metric, when a
definition has no code, code has no definition, or an alert rule does not parse.

``synonyms:`` on a metric lists the other names a desk uses for it ("win rate", "AUC");
the top-level ``part_synonyms:`` maps a part (``runner``, ``cost_gate``, ``hamilton``) to
extra words for it ("runners", "cost filter"). The number verifier links a number to the
metric its clause names through them (issue 11).

``min_n:`` sets, per *kind* of number (``count``, ``rate``, ``mean``,
``discrimination``, ``calibration``, ``days``, ``value``), the smallest sample at which
a metric is judged; a metric's own ``min_n`` overrides it. Below it the status is
``insufficient_data`` and no change is called significant (#12).

``checks:`` lists parts that must add up to a total (``signals = signals_passed +
signals_blocked``); ``sum_of_parts: true`` on a metric with parts adds that check for
its parts.

Rules and targets that are right for a total are not always right for each part
(0 events from source ``huracan`` is a normal day, 0 from ``engine`` is an outage):
``part_alerts`` and ``part_targets`` replace them per part, ``{}`` meaning none, and the
part ``"*"`` stands for every part not named. ``key: true`` marks a metric the digest
always shows (its total, or every part when ``total: false``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from huracan.analytics.metric_rules import RuleError, parse_rule
from huracan.analytics.snapshot import Targets
from huracan.events import known_gates, known_modes
from huracan.plugins.types import MetricResult, MetricSpec

__all__ = [
    "DEFAULT_MIN_N",
    "KINDS",
    "CatalogError",
    "MetricDef",
    "build_specs",
    "load_catalog",
    "min_n_of",
    "sum_checks",
]

#: The three event sources (``huracan.events.Source``).
SOURCES = ("engine", "hamilton", "huracan")
UNITS = {"count", "fraction", "bps", "usd", "ratio", "score", "seconds", "ms", "events_per_s", "bool"}
PART_KINDS = {"modes", "gates", "sources", "gates_modes", "ranks"}
_KIND_LABEL = {"modes": "mode", "gates": "gate", "sources": "source", "gates_modes": "gate.mode", "ranks": "rank"}
#: ``parts: ranks``: the largest, second and third of something that moves (feature importances).
RANKS = ("top1", "top2", "top3")
#: The smallest sample each kind of number is judged on, unless metrics.yaml says otherwise:
#: a count is a fact at any n; a share needs trials, an AUC predictions of both classes, an
#: ECE enough predictions per bin, an annualised ratio enough days.
DEFAULT_MIN_N: dict[str, int] = {
    "count": 0,
    "rate": 30,
    "mean": 20,
    "discrimination": 50,
    "calibration": 100,
    "days": 20,
    "value": 0,
}
KINDS = frozenset(DEFAULT_MIN_N)

Compute = Callable[[Any, str | None], MetricResult]
log = logging.getLogger("huracan.metrics")


class CatalogError(ValueError):
    """``metrics.yaml`` is invalid or disagrees with the compute code."""


@dataclass(frozen=True)
class MetricDef:
    """One ``metrics.yaml`` entry before expansion into parts."""

    id: str
    category: str
    name: str
    unit: str
    formula: str
    description: str = ""
    precision: int = 2
    higher_is_better: bool | None = None
    targets: Targets | None = None
    range: tuple[float | None, float | None] = (None, None)
    alerts: Mapping[str, str] = field(default_factory=dict)
    parts: tuple[str, ...] = ()
    total: bool = True
    #: per part (or "*"): targets replacing ``targets``; None = no targets for that part
    part_targets: Mapping[str, Targets | None] = field(default_factory=dict)
    #: per part (or "*"): alert rules replacing ``alerts``; {} = no rules for that part
    part_alerts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sum_of_parts: bool = False
    key: bool = False
    synonyms: tuple[str, ...] = ()
    kind: str = ""
    min_n: int | None = None
    on_zero: str = ""
    plausible: tuple[float | None, float | None] = (None, None)

    def targets_of(self, part: str | None, elsewhere: Targets | None = None) -> Targets | None:
        """The targets of the total (``part`` None) or of one part.

        A part's own ``part_targets`` entry wins, then targets kept ``elsewhere``
        (gates.yaml), then the ``"*"`` entry, then the total's targets.
        """
        if part is None:
            return self.targets
        if part in self.part_targets:
            return self.part_targets[part]
        if elsewhere is not None:
            return elsewhere
        if "*" in self.part_targets:
            return self.part_targets["*"]
        return self.targets

    def alerts_of(self, part: str | None) -> Mapping[str, str]:
        """The alert rules of the total (``part`` None) or of one part."""
        if part is None:
            return self.alerts
        if part in self.part_alerts:
            return self.part_alerts[part]
        return self.part_alerts.get("*", self.alerts)


@dataclass(frozen=True)
class Catalog:
    path: str
    metrics: dict[str, MetricDef]
    checks: tuple[tuple[str, tuple[str, ...]], ...]
    #: part name -> extra words a desk uses for it
    part_synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: kind → the smallest n judged (DEFAULT_MIN_N with the file's ``min_n:`` over it)
    min_n: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIN_N))


def kind_of(unit: str, kind: str = "") -> str:
    """A metric's kind: its declared one, else what its unit suggests."""
    if kind:
        return kind
    return {"count": "count", "fraction": "rate", "bps": "mean", "usd": "mean"}.get(unit, "value")


def min_n_of(spec: Any, defaults: dict[str, int] | None = None) -> int:
    """The smallest n at which ``spec`` (a MetricSpec or MetricDef) is judged."""
    own = getattr(spec, "min_n", None)
    if own is not None:
        return int(own)
    return (defaults or DEFAULT_MIN_N).get(kind_of(spec.unit, getattr(spec, "kind", "")), 0)


def default_metrics_path() -> Path:
    return Path(str(resources.files("huracan") / "configs" / "metrics.yaml"))


def _targets(raw: Any, where: str) -> Targets | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"min", "ideal", "max"}:
        raise CatalogError(f"{where}: targets must be a mapping with keys min / ideal / max, got {raw!r}")
    return Targets(**raw)


def _parse_def(mid: str, raw: Any, path: str) -> MetricDef:
    where = f"{path}: metric {mid!r}"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be a mapping of fields")
    known = {f for f in MetricDef.__dataclass_fields__ if f != "id"}
    unknown = set(raw) - known
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    for req in ("category", "name", "unit", "formula"):
        if not raw.get(req):
            raise CatalogError(f"{where}: missing required field {req!r}")
    if raw["unit"] not in UNITS:
        raise CatalogError(f"{where}: unit {raw['unit']!r} is not one of {', '.join(sorted(UNITS))}")
    raw_parts = raw.get("parts") or []
    parts = tuple([raw_parts] if isinstance(raw_parts, str) else raw_parts)
    for kind in parts:
        if kind not in PART_KINDS:
            raise CatalogError(f"{where}: parts {kind!r} is not one of {', '.join(sorted(PART_KINDS))}")
    rng = raw.get("range", [None, None])
    if not (isinstance(rng, list | tuple) and len(rng) == 2):
        raise CatalogError(f"{where}: range must be [low, high] (null for open), got {rng!r}")
    alerts = _alerts(raw.get("alerts"), where)
    part_targets = {
        str(k): _targets(v or None, f"{where}: part_targets.{k}") for k, v in _mapping(raw, "part_targets", where)
    }
    part_alerts = {str(k): _alerts(v, f"{where}: part_alerts.{k}") for k, v in _mapping(raw, "part_alerts", where)}
    if (part_targets or part_alerts) and not parts:
        raise CatalogError(f"{where}: part_targets / part_alerts need parts (modes, gates, sources, gates_modes)")
    if not isinstance(raw.get("key", False), bool):
        raise CatalogError(f"{where}: key must be true or false, got {raw['key']!r}")
    synonyms = _words(raw.get("synonyms"), f"{where}: synonyms")
    kind = str(raw.get("kind") or "")
    if kind and kind not in KINDS:
        raise CatalogError(f"{where}: kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
    min_n = raw.get("min_n")
    if min_n is not None and (isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 0):
        raise CatalogError(f"{where}: min_n must be a whole number >= 0, got {min_n!r}")
    on_zero = str(raw.get("on_zero") or "")
    if on_zero not in ("", "finding"):
        raise CatalogError(f"{where}: on_zero must be 'finding' (or absent), got {on_zero!r}")
    plausible = raw.get("plausible", [None, None])
    if not (isinstance(plausible, list | tuple) and len(plausible) == 2):
        raise CatalogError(f"{where}: plausible must be [low, high] (null for open), got {plausible!r}")
    return MetricDef(
        id=mid,
        category=raw["category"],
        name=raw["name"],
        unit=raw["unit"],
        formula=" ".join(str(raw["formula"]).split()),
        description=" ".join(str(raw.get("description", "")).split()),
        precision=int(raw.get("precision", 2)),
        higher_is_better=raw.get("higher_is_better"),
        targets=_targets(raw.get("targets"), where),
        range=(rng[0], rng[1]),
        alerts=alerts,
        parts=parts,
        total=bool(raw.get("total", True)),
        part_targets=part_targets,
        part_alerts=part_alerts,
        sum_of_parts=bool(raw.get("sum_of_parts", False)),
        key=bool(raw.get("key", False)),
        synonyms=synonyms,
        kind=kind,
        min_n=min_n,
        on_zero=on_zero,
        plausible=(plausible[0], plausible[1]),
    )


def _words(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        raise CatalogError(f"{where} must be a list of non-empty words or phrases, got {raw!r}")
    return tuple(" ".join(w.split()) for w in raw)


def _mapping(raw: dict[str, Any], name: str, where: str) -> list[tuple[Any, Any]]:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: {name} must map a part (or '*') to its settings, got {value!r}")
    return list(value.items())


def _alerts(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: alerts must be a mapping {{critical | warning | info: rule}}, got {raw!r}")
    for sev, rule in raw.items():
        if sev not in ("critical", "warning", "info"):
            raise CatalogError(f"{where}: alert severity {sev!r} must be critical, warning or info")
        try:
            parse_rule(rule)
        except RuleError as exc:
            raise CatalogError(f"{where}: {exc}") from None
    return dict(raw)


@lru_cache(maxsize=8)
def _load(path: str) -> Catalog:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise CatalogError(f"metrics file not found: {path} (set analytics.metrics_file or remove it)") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path} is not valid YAML: {exc}") from None
    raw_metrics = data.get("metrics")
    if not isinstance(raw_metrics, dict) or not raw_metrics:
        raise CatalogError(f"{path}: expected a non-empty 'metrics:' mapping of id -> definition")
    metrics = {str(k): _parse_def(str(k), v, path) for k, v in raw_metrics.items()}
    checks = []
    for i, c in enumerate(data.get("checks") or []):
        if not isinstance(c, dict) or "total" not in c or not isinstance(c.get("parts"), list):
            raise CatalogError(f"{path}: checks[{i}] must be {{total: id, parts: [id, ...]}}, got {c!r}")
        checks.append((str(c["total"]), tuple(str(p) for p in c["parts"])))
    raw_parts = data.get("part_synonyms") or {}
    if not isinstance(raw_parts, dict):
        raise CatalogError(f"{path}: part_synonyms must map a part name to a list of words, got {raw_parts!r}")
    part_synonyms = {str(k): _words(v, f"{path}: part_synonyms.{k}") for k, v in raw_parts.items()}
    min_n = dict(DEFAULT_MIN_N)
    raw_min = data.get("min_n") or {}
    if not isinstance(raw_min, dict):
        raise CatalogError(f"{path}: min_n must map a kind ({', '.join(sorted(KINDS))}) to a whole number")
    for kind, n in raw_min.items():
        if kind not in KINDS or isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise CatalogError(
                f"{path}: min_n.{kind}: {n!r} — kinds are {', '.join(sorted(KINDS))}, each a whole number >= 0"
            )
        min_n[kind] = n
    return Catalog(path=path, metrics=metrics, checks=tuple(checks), part_synonyms=part_synonyms, min_n=min_n)


def load_catalog(settings: Any = None) -> Catalog:
    """The metric definitions (``settings.analytics.metrics_file`` or the packaged file)."""
    chosen = getattr(getattr(settings, "analytics", None), "metrics_file", None)
    return _load(str(chosen or default_metrics_path()))


def part_names(kind: str) -> list[str]:
    """The parts a ``parts:`` kind expands to, e.g. ``modes`` → ``["runner", "scalp"]``."""
    if kind == "modes":
        return sorted(known_modes())
    if kind == "gates":
        return sorted(known_gates())
    if kind == "sources":
        return list(SOURCES)
    if kind == "ranks":
        return list(RANKS)
    return [f"{g}.{m}" for g in sorted(known_gates()) for m in sorted(known_modes())]


def _expand(d: MetricDef) -> list[tuple[str, str | None, str]]:
    """(metric id, part, part kind) for the total (part None) and every part."""
    out: list[tuple[str, str | None, str]] = [(d.id, None, "")] if d.total or not d.parts else []
    for kind in d.parts:
        out += [(f"{d.id}.{p}", p, kind) for p in part_names(kind)]
    return out


def build_specs(
    category: str,
    compute: Mapping[str, Compute],
    settings: Any = None,
    part_targets: Callable[[str, str], Targets | None] | None = None,
) -> list[MetricSpec]:
    """Join the ``category``'s definitions to ``compute`` (id → ``fn(ctx, part)``).

    ``part_targets(metric_id, part)`` may supply targets kept elsewhere (the gates'
    pass-rate targets live in ``gates.yaml``).
    """
    cat = load_catalog(settings)
    defs = {k: d for k, d in cat.metrics.items() if d.category == category}
    missing_code = sorted(set(defs) - set(compute))
    missing_def = sorted(set(compute) - set(defs))
    if missing_code or missing_def:
        problems = []
        if missing_code:
            problems.append(f"defined in {cat.path} but not computed by the {category} plugin: {missing_code}")
        if missing_def:
            problems.append(f"computed by the {category} plugin but not defined in {cat.path}: {missing_def}")
        raise CatalogError("; ".join(problems))
    specs = []
    for d in defs.values():
        fn = compute[d.id]
        _check_part_names(d, cat.path)
        for mid, part, kind in _expand(d):
            elsewhere = part_targets(d.id, part) if part is not None and part_targets else None
            targets = d.targets_of(part, elsewhere)
            specs.append(
                MetricSpec(
                    id=mid,
                    name=d.name if part is None else f"{d.name} ({part.replace('.', ', ')})",
                    category=d.category,
                    unit=d.unit,
                    formula=d.formula if part is None else f"{d.formula} [{_KIND_LABEL[kind]} = {part}]",
                    compute=_bind(fn, part),
                    description=d.description,
                    precision=d.precision,
                    higher_is_better=d.higher_is_better,
                    targets=targets,
                    alerts=dict(d.alerts_of(part)),
                    range=d.range,
                    # The total is the key row; parts ride along in its family row.
                    key=d.key and (part is None or not d.total),
                    synonyms=d.synonyms,
                    parts={p: cat.part_synonyms.get(p, ()) for p in (part.split(".") if part else ())},
                    kind=kind_of(d.unit, d.kind),
                    min_n=min_n_of(d, cat.min_n),
                    # A zero total is the finding; its parts keep their own rules (a mode that
                    # rarely trades is often at 0). Parts-only metrics judge each part.
                    on_zero=d.on_zero if part is None or not d.total else "",
                    plausible=d.plausible,
                )
            )
    return specs


def _check_part_names(d: MetricDef, path: str) -> None:
    # Modes and gates are open sets registered at start-up, so an unknown name may be a
    # plugin's that is not loaded: say so loudly rather than refuse to start.
    parts = {p for _, p, _ in _expand(d) if p is not None} | {"*"}
    for field_name, named in (("part_targets", d.part_targets), ("part_alerts", d.part_alerts)):
        for part in set(named) - parts:
            log.warning(
                "%s: metric %r: %s names part %r, which is not one of its parts (%s); it has no effect",
                path,
                d.id,
                field_name,
                part,
                ", ".join(sorted(parts - {"*"})),
            )


def _bind(fn: Compute, part: str | None) -> Callable[[Any], MetricResult]:
    def compute(ctx: Any) -> MetricResult:
        return fn(ctx, part)

    compute.__name__ = getattr(fn, "__name__", "compute")
    return compute


def sum_checks(settings: Any = None) -> list[tuple[str, tuple[str, ...]]]:
    """(total id, part ids) pairs whose values must add up, for the self-check."""
    cat = load_catalog(settings)
    out = list(cat.checks)
    for d in cat.metrics.values():
        if d.sum_of_parts and d.parts and d.total:
            first = d.parts[0]
            out.append((d.id, tuple(mid for mid, part, kind in _expand(d) if kind == first)))
    return out
