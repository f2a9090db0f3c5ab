"""The model registry: content addressing, verification before load, exports, attestation."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_journal_fixtures import records_db

from huracan.config import Settings, load_config
from huracan.events import EventBase, ModelLoaded
from huracan.store.registry import (
    ForgedManifestError,
    ModelRegistry,
    NotReadyError,
    RegistryError,
    TamperedArtifactError,
    UnknownModelError,
)

TS = datetime(2025, 11, 6, 0, 5, tzinfo=UTC)
GOOD = {"auc": 0.71, "ece": 0.04, "samples": 6000.0}


def _settings(tmp_path: Path) -> Settings:
    return load_config(data_dir=tmp_path / "data")


def _register(
    reg: ModelRegistry, blob: bytes, metrics: dict[str, float] | None = None, parent: str | None = None
) -> str:
    return reg.register(
        blob,
        learner="meta_label",
        git_sha="0123abc",
        data_snapshot_id="snapshot_2025-11-06",
        metrics=metrics or GOOD,
        parent_model_id=parent,
        notes="daily retrain",
        ts=TS,
    )


def test_register_round_trip(tmp_path: Path) -> None:
    events: list[EventBase] = []
    s = _settings(tmp_path)
    reg = ModelRegistry(s, events.append)
    model = {"weights": [0.1, 0.2], "bias": -0.3}
    blob = pickle.dumps(model)
    mid = _register(reg, blob)
    assert mid == hashlib.sha256(blob).hexdigest()
    path = reg.artifact_path(mid)
    assert path == s.registry_dir / f"{mid}.model" and path.read_bytes() == blob
    (ev,) = events
    assert ev.type == "model_registered" and ev.model_id == mid  # type: ignore[attr-defined]
    assert ev.artifact_path == str(path) and ev.size_bytes == len(blob) and ev.ts == TS  # type: ignore[attr-defined]
    assert reg.load(mid[:10], pickle.loads) == model
    meta = reg.meta(mid)
    assert (meta.git_sha, meta.data_snapshot_id, meta.metrics) == ("0123abc", "snapshot_2025-11-06", GOOD)
    assert [m.model_id for m in reg.list_models()] == [mid]
    # Same bytes again: same id, one file, logged again.
    assert _register(reg, blob) == mid and len(events) == 2
    assert sorted(p.name for p in s.registry_dir.iterdir()) == sorted([f"{mid}.model", f"{mid}.json"])


def test_invalid_registration_writes_nothing(tmp_path: Path) -> None:
    reg = ModelRegistry(_settings(tmp_path))
    with pytest.raises(ValueError, match="git_sha"):
        reg.register(
            b"x",
            learner="meta_label",
            git_sha="not-a-sha",
            data_snapshot_id="s",
            metrics={},
            parent_model_id=None,
            notes="",
            ts=TS,
        )
    assert not reg.dir.exists() or not any(reg.dir.iterdir())


def test_prefix_resolution_errors(tmp_path: Path) -> None:
    reg = ModelRegistry(_settings(tmp_path))
    a = _register(reg, b"a")
    assert reg.resolve(a[:6]) == a and reg.resolve("sha256:" + a) == a
    with pytest.raises(UnknownModelError, match="no model id starts with"):
        reg.resolve("ffff" if not a.startswith("ffff") else "0000")
    with pytest.raises(UnknownModelError, match="at least 4 hex"):
        reg.resolve("xyz")
    # Two ids sharing a prefix (artifact files are named by their hash).
    for tail in ("0" * 60, "1" * 60):
        (reg.dir / f"abcd{tail}.model").write_bytes(b"")
    with pytest.raises(UnknownModelError, match=r"matches 2 models .*give more characters"):
        reg.resolve("abcd")
    assert reg.resolve("abcd1") == "abcd" + "1" * 60
    with pytest.raises(UnknownModelError):
        reg.resolve("")


def test_one_flipped_byte_is_refused_and_never_loaded(tmp_path: Path) -> None:
    reg = ModelRegistry(_settings(tmp_path))
    blob = pickle.dumps({"w": list(range(100))})
    mid = _register(reg, blob)
    path = reg.artifact_path(mid)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    calls: list[bytes] = []

    def loads(b: bytes) -> object:
        calls.append(b)
        return pickle.loads(b)

    with pytest.raises(TamperedArtifactError) as exc:
        reg.load(mid, loads)
    assert calls == []
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert mid in str(exc.value) and actual in str(exc.value) and "Do not load it" in str(exc.value)
    with pytest.raises(TamperedArtifactError):
        reg.verify(path)
    with pytest.raises(TamperedArtifactError):
        reg.export(mid, ts=TS)


def test_verify_needs_an_expected_hash(tmp_path: Path) -> None:
    reg = ModelRegistry(_settings(tmp_path))
    loose = tmp_path / "model.pkl"
    loose.write_bytes(b"abc")
    with pytest.raises(RegistryError, match="pass the expected SHA256"):
        reg.verify(loose)
    assert reg.verify(loose, hashlib.sha256(b"abc").hexdigest()) == hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(RegistryError, match="no artifact"):
        reg.verify(tmp_path / "missing.model")


def test_export_manifest_lineage_and_readiness(tmp_path: Path) -> None:
    events: list[EventBase] = []
    reg = ModelRegistry(_settings(tmp_path), events.append)
    parent = _register(reg, b"parent", {"auc": 0.66, "ece": 0.08, "samples": 5000.0})
    child = _register(reg, b"child", {"auc": 0.71, "ece": 0.05, "samples": 6000.0}, parent=parent)
    out = tmp_path / "hamilton"
    m = reg.export(child, ts=TS + timedelta(minutes=1), export_dir=out)
    assert m.ready and m.reasons == [] and m.sha256 == child
    assert m.metric_deltas == pytest.approx({"auc": 0.05, "ece": -0.03, "samples": 1000.0})
    assert Path(m.artifact_path).read_bytes() == b"child"
    on_disk = json.loads(Path(m.manifest_path).read_text())
    assert on_disk["sha256"] == child and on_disk["parent_model_id"] == parent and on_disk["ready"] is True
    assert "artifact_path" not in on_disk  # paths are machine-local, the manifest travels
    assert m.manifest_sha256 == hashlib.sha256(Path(m.manifest_path).read_bytes()).hexdigest()
    assert reg.verify(m.artifact_path) == child and reg.verify(m.manifest_path) == child
    ev = events[-1]
    assert ev.type == "model_export" and ev.ready and ev.manifest_sha256 == m.manifest_sha256  # type: ignore[attr-defined]
    # Tampering with the exported copy is caught through its manifest.
    Path(m.artifact_path).write_bytes(b"chilD")
    with pytest.raises(TamperedArtifactError, match=child):
        reg.verify(m.artifact_path)


def test_not_ready_export_lists_reasons(tmp_path: Path) -> None:
    s = load_config(
        data_dir=tmp_path / "data", readiness={"min_auc": 0.7, "max_ece": 0.05, "min_training_samples": 2000}
    )
    events: list[EventBase] = []
    reg = ModelRegistry(s, events.append)
    mid = _register(reg, b"weak", {"auc": 0.66, "ece": 0.08})
    out = tmp_path / "hamilton"
    with pytest.raises(NotReadyError, match="--force") as refused:
        reg.export(mid, ts=TS, export_dir=out)
    assert not out.exists() and [e.type for e in events] == ["model_registered"]  # nothing written, nothing logged
    m = reg.export(mid, ts=TS, export_dir=out, force=True)
    assert not m.ready and m.forced and refused.value.reasons == m.reasons
    assert json.loads(Path(m.manifest_path).read_text())["forced"] is True
    assert events[-1].forced  # type: ignore[attr-defined]
    assert m.reasons == [
        "AUC 0.660 is below the minimum 0.700",
        "ECE 0.080 is above the maximum 0.050",
        "training sample count unknown: add 'samples' to the metrics or log its training_session",
    ]
    assert events[-1].reasons == m.reasons and not events[-1].ready  # type: ignore[attr-defined]
    assert reg.readiness({"auc": 0.8, "ece": 0.01}, 1999) == (
        False,
        ["trained on 1999 samples, fewer than the minimum 2000"],
    )
    assert reg.readiness({"auc": 0.7, "ece": 0.05}, 2000) == (True, [])
    assert reg.readiness({}, None)[1][0].startswith("AUC unknown")


def test_export_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = ModelRegistry(_settings(tmp_path))
    mid = _register(reg, os.urandom(1 << 20))
    out = tmp_path / "exports"
    real_fsync = os.fsync
    seen: list[list[str]] = []

    def failing_fsync(fd: int) -> None:
        # What a reader sees mid-write: only hidden temporary names, never the final one.
        seen.append(sorted(p.name for p in out.iterdir()))
        raise OSError("disk full (injected)")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="injected"):
        reg.export(mid, ts=TS, export_dir=out)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert seen and all(name.startswith(".") and name.endswith(".tmp") for name in seen[0])
    assert list(out.iterdir()) == []  # nothing partial under a final name, no temp left behind
    m = reg.export(mid, ts=TS, export_dir=out)
    assert sorted(p.name for p in out.iterdir()) == sorted([Path(m.artifact_path).name, Path(m.manifest_path).name])


def test_unacknowledged_export_alert_and_attestation(tmp_path: Path) -> None:
    s = _settings(tmp_path)  # export_ack_timeout_h = 6
    events: list[EventBase] = []
    reg = ModelRegistry(s, events.append)
    acked = _register(reg, b"acked")
    silent = _register(reg, b"silent")
    weak = _register(reg, b"weak", {"auc": 0.5, "ece": 0.3, "samples": 10.0})
    fresh = _register(reg, b"fresh")
    idle = _register(reg, b"idle")
    for mid in (acked, silent, weak):
        reg.export(mid, ts=TS, force=mid == weak)
    reg.export(fresh, ts=TS + timedelta(hours=5))
    events.append(ModelLoaded(ts=TS + timedelta(hours=1), model_id=acked, verified_sha256=acked))
    now = TS + timedelta(hours=7)
    with records_db(tmp_path, events) as conn:
        r = ModelRegistry(s, store=conn)
        alerts = r.pending_ack_alerts(now)
        assert len(alerts) == 1
        a = alerts[0]
        assert a.name == "model_export_unacknowledged" and silent[:12] in a.message
        assert a.value == pytest.approx(7.0) and a.threshold == 6.0 and a.ts == now
        assert r.pending_ack_alerts(TS + timedelta(hours=5)) == []
        states = {mid: r.attestation(mid, now).state for mid in (acked, silent, weak, fresh, idle)}
        assert states == {
            acked: "acknowledged",
            silent: "ack_overdue",
            weak: "exported_not_ready",
            fresh: "awaiting_ack",
            idle: "registered",
        }
        chain = r.attestation(acked[:8], now)
        assert (chain.data_snapshot_id, chain.git_sha, chain.artifact) == ("snapshot_2025-11-06", "0123abc", "verified")
        assert chain.acks[0].verified_sha256 == acked and chain.exports[0].ready
        r.artifact_path(idle).write_bytes(b"evil")
        assert r.attestation(idle, now).state == "tampered"
        # The store alone (no sidecar files) still answers: metadata comes from the events.
        for p in s.registry_dir.glob("*.json"):
            p.unlink()
        assert r.meta(acked).git_sha == "0123abc" and len(r.list_models()) == 5


def _forge(manifest_path: Path, artifact: bytes, **fields: str) -> str:
    """Replace an exported artifact and rewrite its manifest, as an attacker would."""
    m = json.loads(manifest_path.read_text())
    (manifest_path.parent / m["artifact_file"]).write_bytes(artifact)
    m.update(sha256=hashlib.sha256(artifact).hexdigest(), **fields)
    manifest_path.write_text(json.dumps(m))
    return str(m["sha256"])


def test_a_forged_manifest_is_refused_by_its_content_address(tmp_path: Path) -> None:
    events: list[EventBase] = []
    reg = ModelRegistry(_settings(tmp_path), events.append)
    mid = _register(reg, b"honest")
    m = reg.export(mid, ts=TS, export_dir=tmp_path / "out")
    evil = pickle.dumps({"evil": True})
    # 1. sha256 rewritten to match the replaced artifact: model_id and names still say the old id.
    _forge(Path(m.manifest_path), evil)
    with pytest.raises(ForgedManifestError, match="differs from model_id") as info:
        reg.verify(m.manifest_path)
    assert any("differs from model_id" in p for p in info.value.problems)
    with pytest.raises(ForgedManifestError):
        reg.verify(m.artifact_path)  # the artifact is verified through the same manifest
    # 2. model_id rewritten too: the file names still carry the old id.
    m2 = reg.export(mid, ts=TS, export_dir=tmp_path / "out2")
    new = _forge(Path(m2.manifest_path), evil, model_id=hashlib.sha256(evil).hexdigest())
    with pytest.raises(ForgedManifestError, match="not meta_label-" + new[:12]):
        reg.verify(m2.manifest_path)
    # 3. everything rewritten and renamed consistently: the registry never registered that id.
    out3 = tmp_path / "out3"
    m3 = reg.export(mid, ts=TS, export_dir=out3)
    new = _forge(Path(m3.manifest_path), evil, model_id=hashlib.sha256(evil).hexdigest())
    stem = f"meta_label-{new[:12]}"
    manifest = json.loads(Path(m3.manifest_path).read_text())
    manifest["artifact_file"] = stem + ".model"
    Path(m3.artifact_path).rename(out3 / (stem + ".model"))
    (out3 / (stem + ".manifest.json")).write_text(json.dumps(manifest))
    with pytest.raises(ForgedManifestError, match="not registered here"):
        reg.verify(out3 / (stem + ".manifest.json"))
    # Hamilton's side (no registry of its own) still refuses the self-contradicting kinds.
    hamilton = ModelRegistry(load_config(data_dir=tmp_path / "hamilton"))
    with pytest.raises(ForgedManifestError):
        hamilton.verify(m.manifest_path)
    assert hamilton.verify(out3 / (stem + ".manifest.json")) == new  # consistent: only a registry can tell


def test_verify_checks_the_manifest_bytes_against_the_recorded_export(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    events: list[EventBase] = []
    reg = ModelRegistry(s, events.append)
    mid = _register(reg, b"honest")
    m = reg.export(mid, ts=TS, export_dir=tmp_path / "out")
    with records_db(tmp_path, events) as conn:
        r = ModelRegistry(s, store=conn)
        assert r.verify(m.manifest_path) == mid
        doc = json.loads(Path(m.manifest_path).read_text())
        doc["ready"], doc["reasons"] = True, []  # a quiet edit that changes no hash or name
        doc["metrics"]["auc"] = 0.99
        Path(m.manifest_path).write_text(json.dumps(doc))
        with pytest.raises(ForgedManifestError, match="not written by an export"):
            r.verify(m.manifest_path)
