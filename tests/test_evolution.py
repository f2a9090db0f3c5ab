"""Model evolution: comparisons, lineage, the model line, config change history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_journal_fixtures import records_db

from huracan.analytics.evolution import compare_models, config_history, lineage, lineage_tree, model_line
from huracan.config import load_config
from huracan.events import ConfigChange, EventBase, FeatureImportance
from huracan.store.registry import ModelRegistry

TS = datetime(2025, 11, 4, 0, 5, tzinfo=UTC)


def _line(tmp_path: Path) -> tuple[list[EventBase], list[str]]:
    events: list[EventBase] = []
    reg = ModelRegistry(load_config(data_dir=tmp_path / "data"), events.append)
    specs = [  # (bytes, auc, ece, parent index)
        (b"v1", 0.62, 0.12, None),
        (b"v2", 0.67, 0.07, 0),
        (b"v3", 0.70, 0.05, 1),
        (b"v2-branch", 0.60, 0.15, 0),
    ]
    ids: list[str] = []
    for i, (blob, auc, ece, parent) in enumerate(specs):
        ids.append(
            reg.register(
                blob,
                learner="meta_label",
                git_sha=f"abc{i}def",
                data_snapshot_id=f"snap-{i}",
                metrics={"auc": auc, "ece": ece, "samples": 5000.0},
                parent_model_id=ids[parent] if parent is not None else None,
                notes="",
                ts=TS + timedelta(days=i),
            )
        )
    imps = [{"a": 0.5, "b": 0.3, "c": 0.2}, {"a": 0.4, "b": 0.4, "c": 0.2}, {"a": 0.2, "b": 0.5, "c": 0.3}]
    for i, imp in enumerate(imps):
        events.append(
            FeatureImportance(
                ts=TS + timedelta(days=i, minutes=1), session_id=f"s{i}", model_id=ids[i], importances=imp
            )
        )
    return events, ids


def test_compare_two_versions(tmp_path: Path) -> None:
    events, ids = _line(tmp_path)
    with records_db(tmp_path, events) as conn:
        reg = ModelRegistry(load_config(data_dir=tmp_path / "data"), store=conn)
        c = compare_models(reg, ids[0][:8], ids[2][:8])
        # No calibration events: the registered numbers, and no "better" without evidence (#12).
        assert c.metric_deltas["auc"]["delta"] == pytest.approx(0.08)
        assert c.metric_deltas["ece"]["delta"] == pytest.approx(-0.07)
        assert {d["improved"] for d in c.metric_deltas.values()} == {None}
        assert c.metric_deltas["auc"]["word"] == "not judged"
        assert c.readiness_change == "became ready" and not c.a.ready and c.b.ready
        assert c.lineage_path == ids[:3] and c.relation == "2 generation(s) after"
        assert c.drift is not None and c.drift.moves[0].feature == "a"
        back = compare_models(reg, ids[2], ids[0])
        assert back.relation == "2 generation(s) before" and back.readiness_change == "no longer ready"
        sib = compare_models(reg, ids[2], ids[3])
        assert sib.relation == f"siblings via {ids[0][:12]}" and sib.lineage_path == [] and sib.drift is None


def test_lineage_tree_and_line(tmp_path: Path) -> None:
    events, ids = _line(tmp_path)
    with records_db(tmp_path, events) as conn:
        reg = ModelRegistry(load_config(data_dir=tmp_path / "data"), store=conn)
        steps = lineage(reg, ids[2])
        assert [s["model_id"] for s in steps] == ids[:3]
        assert steps[0]["deltas"] == {} and steps[2]["deltas"]["auc"]["delta"] == pytest.approx(0.03)
        (root,) = lineage_tree(reg)
        assert root["model_id"] == ids[0]
        assert [ch["model_id"] for ch in root["children"]] == [ids[1], ids[3]]
        assert root["children"][0]["children"][0]["model_id"] == ids[2]
        line = model_line(reg)
        assert [row["version"].model_id for row in line] == ids
        assert line[3]["deltas_vs_parent"]["auc"]["delta"] == pytest.approx(-0.02)
        assert [row["version"].ready for row in line] == [False, True, True, False]


def test_config_history_with_diffs(tmp_path: Path) -> None:
    ev = [
        ConfigChange(
            ts=TS,
            key="gates.meta_label.thresholds.scalp",
            old_value=0.45,
            new_value=0.43,
            author="engine-autotune",
            reason="pass rate below target for 3 days",
            gate="meta_label",
            mode="scalp",
        ),
        ConfigChange(
            ts=TS + timedelta(days=1),
            key="gates.cost_gate.thresholds.runner",
            old_value=8.0,
            new_value=9,
            author="alice",
            reason="",
        ),
        ConfigChange(
            ts=TS + timedelta(days=2), key="learner.schedule", old_value="daily", new_value=None, author="bob"
        ),
    ]
    with records_db(tmp_path, ev) as conn:
        hist = config_history(conn)
        assert [h.key for h in hist] == [e.key for e in ev]
        first = hist[0]
        assert (first.old_value, first.new_value, first.author) == (0.45, 0.43, "engine-autotune")
        assert "-gates.meta_label.thresholds.scalp: 0.45" in first.diff
        assert "+gates.meta_label.thresholds.scalp: 0.43" in first.diff
        assert "pass rate below target" in first.diff
        assert hist[2].new_value is None and "+learner.schedule: null" in hist[2].diff
        assert [h.key for h in config_history(conn, key="gates")] == [ev[0].key, ev[1].key]
        assert [h.author for h in config_history(conn, since=TS.date() + timedelta(days=1))] == ["alice", "bob"]
        assert "no reason given" in hist[1].diff
