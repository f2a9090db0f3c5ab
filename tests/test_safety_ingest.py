"""Ingest takes JSON/NDJSON only and judges each line alone (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huracan.daemon.ingest_http import UnsupportedMediaType, check_media_type, parse_columns
from huracan.event_json import json_depth, load_event_json, split_array
from huracan.events import MAX_JSON_DEPTH, MAX_TEXT_CHARS
from huracan.samples import sample_events
from tests.daemon_helpers import DaemonProcess, run_cli


def _valid(n: int, seed: int = 1) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in sample_events("alert", n=n, seed=seed)]


def _hostile_lines() -> dict[str, str]:
    """One bad line per rule, each otherwise a valid alert."""
    (base,) = _valid(1, seed=9)
    return {
        "lone surrogate (escaped)": json.dumps(dict(base, message="a\ud800b")),
        "deep object": json.dumps(base)[:-1] + ', "x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
        "deep array": json.dumps(base)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "5 MB message": json.dumps(dict(base, message="x" * 5_000_000)),
        "oversized id": json.dumps(dict(base, event_id="e" * 5000)),
        "oversized config value": json.dumps(
            {**next(iter(sample_events("config_change", seed=2))).model_dump(mode="json"), "new_value": "v" * 10_000}
        ),
    }


EXPECTED = {
    "lone surrogate (escaped)": "lone UTF-16 surrogate",
    "deep object": f"at most {MAX_JSON_DEPTH}",
    "deep array": f"at most {MAX_JSON_DEPTH}",
    "5 MB message": f"at most {MAX_TEXT_CHARS} characters",
    "oversized id": "at most 200 characters",
    "oversized config value": f"at most {MAX_TEXT_CHARS} characters",
}


@pytest.mark.parametrize("ctype", ["application/x-ndjson", "application/json"])
def test_each_hostile_line_is_rejected_alone_and_valid_lines_are_kept(ctype: str) -> None:
    good = [json.dumps(e) for e in _valid(4)]
    hostile = _hostile_lines()
    lines = [good[0], *hostile.values(), *good[1:]]
    body = ("\n".join(lines) if "ndjson" in ctype else "[" + ",".join(lines) + "]").encode()
    batch = parse_columns(body, ctype)
    assert batch.accepted == len(good)
    assert [e["line"] for e in batch.errors] == list(range(2, 2 + len(hostile)))
    for (name, want), err in zip(EXPECTED.items(), batch.errors, strict=True):
        assert any(want in m for m in err["errors"]), (name, err)


def test_raw_invalid_utf8_line_is_rejected_alone() -> None:
    good = [json.dumps(e).encode() for e in _valid(2)]
    bad = json.dumps(_valid(1, seed=5)[0], ensure_ascii=False).replace("WARNING", "WARN\udcffING")
    body = b"\n".join([good[0], bad.encode("utf-8", "surrogateescape"), good[1]])
    batch = parse_columns(body, "application/x-ndjson")
    assert batch.accepted == 2 and "not valid UTF-8" in batch.errors[0]["errors"][0]


def test_paired_surrogates_are_text_and_accepted() -> None:
    (e,) = _valid(1)
    line = json.dumps(dict(e, message="rocket \U0001f680"))  # ensure_ascii: a surrogate pair
    assert "\\ud83d" in line
    batch = parse_columns(line.encode(), "application/x-ndjson")
    assert batch.accepted == 1 and not batch.errors


@pytest.mark.parametrize(
    "ctype",
    [None, "", "text/plain", "text/plain;charset=UTF-8", "multipart/form-data; boundary=x",
     "application/x-www-form-urlencoded", "application/xml", "application/json; charset=latin-1"],
)  # fmt: skip
def test_non_json_media_types_are_refused(ctype: str | None) -> None:
    with pytest.raises(UnsupportedMediaType, match=r"application/json|UTF-8"):
        check_media_type(ctype)


@pytest.mark.parametrize(
    "ctype", ["application/json", "Application/JSON; charset=utf-8", "application/x-ndjson", "application/jsonl"]
)
def test_json_media_types_are_accepted(ctype: str) -> None:
    check_media_type(ctype)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(st.lists(json_values, max_size=6), st.booleans())
def test_split_array_gives_each_element_unparsed(items: list[Any], ascii_only: bool) -> None:
    body = json.dumps(items, ensure_ascii=ascii_only).encode()
    parts = split_array(body)
    assert [json.loads(p) for p in parts] == items
    assert json_depth(body) >= 1


def test_load_event_json_refuses_depth_without_recursing() -> None:
    with pytest.raises(ValueError, match="nested 200001 levels"):
        load_event_json(b"[" * 200_001 + b"]" * 200_001)
    assert load_event_json('{"a": "]["}') == {"a": "]["}


@pytest.mark.slow
def test_daemon_answers_415_to_a_browser_simple_request_and_keeps_valid_lines(tmp_path: Path) -> None:
    d = DaemonProcess(tmp_path / "data", env={"HURACAN_SCHEDULER__CATCHUP_DAYS": "0"}).start()
    try:
        one = (json.dumps(_valid(1)[0]) + "\n").encode()
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b"):
            r = d.post(one, ctype)
            assert r.status_code == 415 and "application/json" in r.json()["detail"], ctype
        bare = httpx.post(d.url + "/v1/events", content=one, timeout=30)  # no Content-Type at all
        assert bare.status_code == 415
        good = [json.dumps(e) for e in _valid(3, seed=11)]
        body = "\n".join([good[0], *_hostile_lines().values(), *good[1:]]).encode()
        r = d.post(body)
        assert r.status_code == 207, r.text
        assert r.json()["accepted"] == 3 and r.json()["rejected"] == len(_hostile_lines())
        q = httpx.post(d.url + "/v1/sql", json={"sql": "SELECT count(*) FROM v_alert"}, params={"format": "json"})
        assert q.json()["rows"] == [[3]]
    finally:
        assert d.terminate() == 0
        d.cleanup()


def test_events_validate_reports_hostile_lines_without_a_traceback(tmp_path: Path) -> None:
    f = tmp_path / "bad.ndjson"
    good = [json.dumps(e) for e in _valid(2)]
    f.write_bytes(("\n".join([good[0], *_hostile_lines().values(), good[1]]) + "\n").encode() + b"\xff\xfe\n")
    res = run_cli("events", "validate", str(f), data_dir=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert f"{len(good)} valid, {len(_hostile_lines()) + 1} invalid" in res.stderr
    assert "not valid UTF-8" in res.stdout and f"at most {MAX_JSON_DEPTH}" in res.stdout


def test_a_full_disk_is_named_as_such() -> None:
    import errno

    from huracan.daemon.api import storage_full

    assert storage_full(OSError(errno.ENOSPC, "No space left on device")) == "No space left on device"
    duck = RuntimeError(
        'TransactionContext Error: Failed to commit: Could not write file "x.wal": No space left on device'
    )
    assert storage_full(duck) == "No space left on device"
    assert storage_full(OSError(errno.EFBIG, "File too large")) == "File too large"
    assert storage_full(ValueError("a bad batch")) is None
