"""A bundle's metrics/*.om served by a real Prometheus (promtool backfill), and malformed OpenMetrics named by line."""

from __future__ import annotations

import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from holmes.bundle.loader import load_bundle
from holmes.errors import UserError
from holmes.replay.metrics import NO_BINARY, backfill, serve_metrics
from holmes.replay.openmetrics import render_family, render_openmetrics, validate_openmetrics

HAVE_BINARIES = bool(shutil.which("prometheus") and shutil.which("promtool"))
needs_prometheus = pytest.mark.skipif(not HAVE_BINARIES, reason="needs the Debian package prometheus")
CAPTURED = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)
NOW = CAPTURED.timestamp()


def _xid_family() -> list[str]:
    labels = {"gpu": "1", "UUID": "GPU-77d1", "Hostname": "gpu-node-1", "namespace": "llm", "pod": "vllm-0"}
    return render_family("DCGM_FI_DEV_XID_ERRORS", "gauge",
                         [("DCGM_FI_DEV_XID_ERRORS", labels, [(NOW - 120, 0.0), (NOW - 60, 79.0), (NOW, 79.0)])],
                         help_text="Value of the last XID error encountered.")


def _waiting_family() -> list[str]:
    return render_family("vllm:num_requests_waiting", "gauge",
                         [("vllm:num_requests_waiting", {"namespace": "llm", "pod": "vllm-0"},
                           [(NOW - 60, 300.0), (NOW, 740.0)])])


def _bundle(root: Path, files: dict[str, str]) -> Path:
    (root / "metrics").mkdir(parents=True)
    for name, text in files.items():
        (root / "metrics" / name).write_text(text, encoding="utf-8")
    return root


def _query(url: str, expr: str, at: float) -> list[dict[str, object]]:
    answer = requests.get(f"{url}/api/v1/query", params={"query": expr, "time": at}, timeout=10).json()
    result: list[dict[str, object]] = answer["data"]["result"]
    return result


@needs_prometheus
def test_bundle_metrics_answer_at_the_capture_time(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "b", {"dcgm.om": render_openmetrics([_xid_family()]),
                                    "vllm.om": render_openmetrics([_waiting_family()])})
    with serve_metrics(root) as served:
        assert served.url and served.url.startswith("http://127.0.0.1:")
        assert (served.files, served.samples) == (2, 5)
        xid = _query(served.url, "DCGM_FI_DEV_XID_ERRORS", NOW)
        waiting = _query(served.url, "vllm:num_requests_waiting", NOW)
        before = _query(served.url, "DCGM_FI_DEV_XID_ERRORS", NOW - 120)
    assert xid[0]["value"] == [NOW, "79"]
    assert waiting[0]["value"] == [NOW, "740"]
    assert before[0]["value"] == [NOW - 120, "0"]


@needs_prometheus
def test_prometheus_is_stopped_when_the_investigation_ends(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "b", {"dcgm.om": render_openmetrics([_xid_family()])})
    with serve_metrics(root) as served:
        assert served.url
        port = int(served.url.rsplit(":", 1)[1])
        assert requests.get(f"{served.url}/-/ready", timeout=5).status_code == 200
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


@needs_prometheus
def test_a_loaded_bundle_object_is_served_from_its_metric_list(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "incident", {"dcgm.om": render_openmetrics([_xid_family()])})
    incident = {"id": "incident", "title": "metrics test", "captured_at": "2025-03-14T10:20:00Z",
                "trigger": {"question": "why?"}, "expected": {"root_cause": "unknown"}}
    import yaml

    (root / "incident.yaml").write_text(yaml.safe_dump(incident), encoding="utf-8")
    bundle = load_bundle(root)
    with serve_metrics(bundle) as served:
        assert served.url
        assert _query(served.url, "DCGM_FI_DEV_XID_ERRORS", NOW)[0]["value"] == [NOW, "79"]


def test_without_a_prometheus_binary_the_gap_is_named(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "b", {"dcgm.om": render_openmetrics([_xid_family()])})
    with serve_metrics(root, prometheus=str(tmp_path / "no-such-prometheus")) as served:
        assert served.url is None
        assert served.reason == NO_BINARY == "prometheus binary not found; metrics of this bundle not loaded"


def test_without_binaries_a_malformed_file_is_still_rejected(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "b", {"bad.om": "# TYPE foo gauge\nfoo{a=\"1\" 1 100\n# EOF\n"})
    with pytest.raises(UserError, match=r"bad\.om:2:"), \
            serve_metrics(root, prometheus=str(tmp_path / "none"), promtool=str(tmp_path / "none")):
        pass


def test_bundle_without_metrics_needs_no_prometheus(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    with serve_metrics(tmp_path / "b") as served:
        assert served.url is None and served.reason == "this bundle has no metrics"


@pytest.mark.parametrize(("text", "line", "problem"), [
    ('# TYPE foo gauge\nfoo 1 100\nfoo{a="1" 2 160\n# EOF\n', 3, "not a sample"),
    ("# TYPE foo gauge\nfoo 1\n# EOF\n", 2, "no timestamp"),
    ("# TYPE foo gauge\nfoo 1 1741946400000\n# EOF\n", 2, "looks like milliseconds"),
    ("# TYPE foo gauge\nfoo 1 100\n\nfoo 2 160\n# EOF\n", 3, "blank line"),
    ("# TYPE foo gauge\nfoo 1 100\n# EOF\nfoo 2 160\n", 4, "after '# EOF'"),
    ("# TYPE foo gauge\nfoo  1 100\n# EOF\n", 2, "not a sample"),
    ("# TYPE foo gauge\n# UNIT foo seconds\nfoo 1 100\n# EOF\n", 2, "not a suffix"),
    ("# TYPE foo gauge\n# COMMENT hello\nfoo 1 100\n# EOF\n", 2, "unknown comment"),
    ('# TYPE foo gauge\nfoo{a="1",a="2"} 1 100\n# EOF\n', 2, "repeated"),
    ("# TYPE foo sometype\nfoo 1 100\n# EOF\n", 1, "unknown comment"),
])
def test_malformed_openmetrics_names_file_and_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "gpu.om"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        validate_openmetrics(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ") and problem in message
    assert "\n" not in message


def test_missing_eof_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gpu.om"
    path.write_text("# TYPE foo gauge\nfoo 1 100\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"gpu\.om: does not end with '# EOF'"):
        validate_openmetrics(path)


def test_non_utf8_metrics_are_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "gpu.om"
    path.write_bytes(b"# TYPE foo gauge\nfoo{a=\"\xff\"} 1 100\n# EOF\n")
    with pytest.raises(UserError, match="not UTF-8"):
        validate_openmetrics(path)


def test_valid_documents_pass_with_escapes_exemplars_and_special_values(tmp_path: Path) -> None:
    path = tmp_path / "ok.om"
    path.write_text('# HELP foo_seconds a "quoted" help\n# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\n'
                    'foo_seconds_total{path="a\\"b\\\\c"} 1.5e3 100.25 # {trace_id="x"} 1 100\n'
                    "foo_seconds_total{} NaN 101\nfoo_seconds_total +Inf 102\n# EOF\n", encoding="utf-8")
    assert validate_openmetrics(path) == 3
    if HAVE_BINARIES:  # promtool agrees
        assert backfill([path], tmp_path / "blocks", shutil.which("promtool") or "promtool") == 3


@needs_prometheus
def test_promtool_failure_is_a_user_error_naming_the_file(tmp_path: Path) -> None:
    source = tmp_path / "ok.om"
    source.write_text(render_openmetrics([_xid_family()]), encoding="utf-8")
    not_a_directory = tmp_path / "blocks"
    not_a_directory.write_text("a file where the blocks should go", encoding="utf-8")
    with pytest.raises(UserError, match=r"ok\.om: promtool could not load it: "):
        backfill([source], not_a_directory, shutil.which("promtool") or "promtool")
