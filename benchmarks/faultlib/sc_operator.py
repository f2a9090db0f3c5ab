"""An operator's bad day: configuration, plugins and the model hand-off (issue 13)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import textwrap
from pathlib import Path

from benchmarks.faultlib.core import Lab, scenario
from tests.daemon_helpers import run_cli
from tests.test_safety_plugins import BROKEN, EXAMPLE_SRC, _decision

NEW_MODEL = {"auc": 0.71, "ece": 0.04, "samples": 6000.0}


def _tb(res: object) -> bool:
    return "Traceback" in getattr(res, "stdout", "") + getattr(res, "stderr", "")


@scenario(
    "Config: HURACAN_PLUGINS__DISABLED=liquidity (a plain string)",
    "`config check` accepts it as a one-name list; exit 0, no traceback",
    fast=True,
)
def config_plain_list(lab: Lab) -> tuple[str, bool]:
    res = run_cli("config", "check", data_dir=lab.empty("cfg-list"), env={"HURACAN_PLUGINS__DISABLED": "liquidity"})
    shown = run_cli(
        "config", "show", "--json", data_dir=lab.root / "cfg-list", env={"HURACAN_PLUGINS__DISABLED": "liquidity"}
    )
    disabled = json.loads(shown.stdout)["plugins"]["disabled"] if shown.returncode == 0 else None
    return f"exit {res.returncode}; plugins.disabled = {disabled}; traceback: {_tb(res)}", (
        res.returncode == 0 and disabled == ["liquidity"] and not _tb(res)
    )


@scenario(
    "Config: a cold URI the store rejects (s3://bucket/x?bogus=1)",
    "`config check` exit 1 naming store.cold_uri; a read command exits 2; no traceback",
    fast=True,
)
def config_bad_cold_uri(lab: Lab) -> tuple[str, bool]:
    env = {"HURACAN_STORE__COLD_URI": "s3://bucket/x?bogus=1"}
    data = lab.empty("cfg-uri")
    check = run_cli("config", "check", data_dir=data, env=env)
    read = run_cli("trades", "stats", "--json", data_dir=data, env=env)
    named = "store.cold_uri" in check.stderr
    return (
        f"config check exit {check.returncode} (names the key: {named}); trades stats exit {read.returncode}; "
        f"traceback: {_tb(check) or _tb(read)}",
        check.returncode == 1 and named and read.returncode == 2 and not (_tb(check) or _tb(read)),
    )


def _registry(lab: Lab, name: str) -> tuple[Path, str, str]:
    """A data dir with a ready and a not-ready model registered (events in the store)."""
    from datetime import UTC, datetime

    from huracan.config import load_config
    from huracan.store import Store
    from huracan.store.registry import ModelRegistry

    data = lab.empty(name)
    cfg = load_config(data_dir=data)
    with Store.open(cfg) as store:
        reg = ModelRegistry(cfg, lambda e: store.write_events([e]), store=store.cursor())
        kw = {"learner": "meta_label", "git_sha": "abc1234", "data_snapshot_id": "snap", "parent_model_id": None}
        now = datetime.now(UTC)
        ready = reg.register(pickle.dumps({"w": [1, 2]}), metrics=NEW_MODEL, notes="", ts=now, **kw)  # type: ignore[arg-type]
        weak = reg.register(pickle.dumps({"w": [0]}), metrics={"auc": 0.55, "ece": 0.2}, notes="", ts=now, **kw)  # type: ignore[arg-type]
    return data, ready, weak


@scenario(
    "Models: a tampered artifact (bytes changed after export)",
    "`models verify` exits 1 naming both SHA256s; `registry.load` refuses before unpickling",
    fast=True,
)
def model_tampered(lab: Lab) -> tuple[str, bool]:
    from huracan.config import load_config
    from huracan.store.registry import ModelRegistry, TamperedArtifactError

    data, ready, _ = _registry(lab, "model-tamper")
    out = lab.root / "model-tamper-out"
    exp = json.loads(run_cli("models", "export", ready[:10], "--export-dir", str(out), "--json", data_dir=data).stdout)
    Path(exp["artifact_path"]).write_bytes(pickle.dumps({"evil": True}))
    verify = run_cli("models", "verify", exp["manifest_path"], data_dir=data)
    reg = ModelRegistry(load_config(data_dir=data))
    reg.artifact_path(ready).write_bytes(b"tampered")
    calls: list[bytes] = []
    try:
        reg.load(ready, lambda b: calls.append(b))
        refused = False
    except TamperedArtifactError:
        refused = True
    return (
        f"verify exit {verify.returncode}; load refused: {refused}, unpickle calls: {len(calls)}",
        verify.returncode == 1 and ready in verify.stderr.replace("\n", "") and refused and not calls,
    )


@scenario(
    "Models: a forged export (artifact replaced, manifest sha256 rewritten to match)",
    "`models verify` exits 1: sha256 contradicts model_id and the file names; a fully renamed forgery: not registered",
    fast=True,
)
def model_forged(lab: Lab) -> tuple[str, bool]:
    data, ready, _ = _registry(lab, "model-forge")
    out = lab.root / "model-forge-out"
    exp = json.loads(run_cli("models", "export", ready[:10], "--export-dir", str(out), "--json", data_dir=data).stdout)
    evil = pickle.dumps({"evil": True})
    evil_sha = hashlib.sha256(evil).hexdigest()
    Path(exp["artifact_path"]).write_bytes(evil)
    doc = json.loads(Path(exp["manifest_path"]).read_text())
    doc["sha256"] = evil_sha
    Path(exp["manifest_path"]).write_text(json.dumps(doc))
    first = run_cli("models", "verify", exp["manifest_path"], "--json", data_dir=data)
    # Everything rewritten and renamed consistently: only the registry can tell.
    stem = f"meta_label-{evil_sha[:12]}"
    doc.update(model_id=evil_sha, artifact_file=stem + ".model")
    Path(exp["artifact_path"]).rename(out / (stem + ".model"))
    (out / (stem + ".manifest.json")).write_text(json.dumps(doc))
    second = run_cli("models", "verify", str(out / (stem + ".manifest.json")), "--json", data_dir=data)
    p1 = json.loads(first.stdout).get("problems", []) if first.stdout else []
    p2 = json.loads(second.stdout).get("problems", []) if second.stdout else []
    return (
        f"rewritten sha256: exit {first.returncode} ({'; '.join(p1)[:70]}); "
        f"renamed forgery: exit {second.returncode} ({'; '.join(p2)[:60]})",
        first.returncode == 1
        and any("differs from model_id" in p for p in p1)
        and second.returncode == 1
        and any("not registered" in p for p in p2),
    )


@scenario(
    "Models: `models export` of a model that is not ready",
    "refused (exit 1, nothing written); with --force exported and recorded as forced (manifest + model_export event)",
    fast=True,
)
def model_not_ready(lab: Lab) -> tuple[str, bool]:
    from huracan.config import load_config
    from huracan.store import Store

    data, _, weak = _registry(lab, "model-weak")
    out = lab.root / "model-weak-out"
    refused = run_cli("models", "export", weak[:10], "--export-dir", str(out), data_dir=data)
    written = out.exists() and any(out.iterdir())
    forced = run_cli("models", "export", weak[:10], "--export-dir", str(out), "--force", "--json", data_dir=data)
    manifest = (
        json.loads(Path(json.loads(forced.stdout)["manifest_path"]).read_text()) if forced.returncode == 0 else {}
    )
    with Store.open(load_config(data_dir=data), read_only=True) as store:
        rows = store.query("SELECT forced, ready FROM v_model_export WHERE model_id = ?", [weak])
    return (
        f"without --force: exit {refused.returncode}, files written: {written}; with --force: exit {forced.returncode}, "
        f"manifest forced={manifest.get('forced')}, event {rows}",
        refused.returncode == 1
        and not written
        and manifest.get("forced") is True
        and rows == [{"forced": True, "ready": False}],
    )


def _plugin_env(lab: Lab) -> dict[str, str]:
    plug = lab.root / "plugins"
    if not plug.exists():
        plug.mkdir()
        (plug / "flaky_plugin.py").write_text(textwrap.dedent(BROKEN))
    return {
        "PYTHONPATH": os.pathsep.join([str(EXAMPLE_SRC), str(plug), os.environ.get("PYTHONPATH", "")]),
        "HURACAN_DISABLE_ENTRY_POINTS": "1",
        "HURACAN_PLUGINS__MODULES": "huracan_example_plugin,flaky_plugin",
    }


@scenario(
    "Plugins: a fresh daemon and `events validate` meet a plugin gate (liquidity_gate) before any job ran",
    "accepted by both; the gate of a plugin whose metrics hook raised is rejected by both",
    fast=True,
)
def plugin_gates(lab: Lab) -> tuple[str, bool]:
    env = _plugin_env(lab)
    with lab.daemon(lab.empty("plugin-daemon"), env=env) as d:
        ok = d.post((_decision("liquidity_gate") + "\n").encode()).status_code
        gone = d.post((_decision("flaky_gate") + "\n").encode()).status_code
        assert d.terminate() == 0
    f = lab.root / "plugin-decisions.ndjson"
    f.write_text(_decision("liquidity_gate") + "\n")
    val = run_cli("events", "validate", str(f), data_dir=lab.root / "plugin-daemon", env=env)
    f.write_text(_decision("flaky_gate") + "\n")
    val_bad = run_cli("events", "validate", str(f), data_dir=lab.root / "plugin-daemon", env=env)
    return (
        f"daemon: liquidity_gate {ok}, flaky_gate {gone}; events validate: exit {val.returncode} / {val_bad.returncode}",
        ok == 200 and gone == 422 and val.returncode == 0 and val_bad.returncode == 1,
    )


@scenario(
    "Plugins: a plugin whose hook raised",
    "disabled with all contributions gone (gates, metrics, simulated gates); `plugins list --json` exits 1",
    fast=True,
)
def plugin_disabled(lab: Lab) -> tuple[str, bool]:
    import sys

    from huracan.config import load_config
    from huracan.events import known_gates
    from huracan.plugins.manager import get_plugins
    from huracan.simulate.gates import load_gate_rules

    env = _plugin_env(lab)
    listed = run_cli("plugins", "list", "--json", data_dir=lab.empty("plugin-list"), env=env)
    rows = {r["name"]: r for r in json.loads(listed.stdout)} if listed.stdout.strip() else {}
    sys.path.insert(0, str(lab.root / "plugins"))
    try:
        settings = load_config(data_dir=lab.root / "plugin-list", plugins={"modules": ["flaky_plugin"]})
        plugins = get_plugins(settings, entry_points=False)
        leftovers = [m for m in plugins.metrics() if "flaky_gate" in m]
        simulated = "flaky_gate" in {r.name for r in load_gate_rules(settings)}
        valid = "flaky_gate" in known_gates()
    finally:
        sys.path.remove(str(lab.root / "plugins"))
    err = (rows.get("flaky_plugin") or {}).get("error") or ""
    return (
        f"plugins list --json exit {listed.returncode} (error: {err[:50]}…); leftover metrics {len(leftovers)}, "
        f"simulated: {simulated}, valid gate name: {valid}",
        listed.returncode == 1 and bool(err) and not leftovers and not simulated and not valid,
    )
