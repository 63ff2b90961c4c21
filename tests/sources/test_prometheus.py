"""PrometheusReader against a real Prometheus serving promtool-backfilled blocks on a loopback port."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from holmes.config import PrometheusSettings
from holmes.sources.prometheus import PrometheusQueryError, PrometheusReader, PrometheusUnavailable

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(not (shutil.which("prometheus") and shutil.which("promtool")),
                       reason="needs the prometheus and promtool binaries (Debian package prometheus)"),
]

NOW = 1741946400  # the "capture time" of this data
BIG = 100_000
MANY = 3_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_openmetrics(path: Path) -> None:
    lines = ["# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    for gpu in range(4):
        for minute in range(31):
            t = NOW - 1800 + 60 * minute
            lines.append(f'DCGM_FI_DEV_GPU_UTIL{{gpu="{gpu}",UUID="GPU-{gpu}",Hostname="gpu-node-1"}} '
                         f"{10 * gpu + minute} {t}")
    lines.append("# TYPE holmes_test_wide gauge")
    for i in range(MANY):
        lines += [f'holmes_test_wide{{i="{i}"}} {i % 50 + step} {NOW - 60 * (2 - step)}' for step in range(3)]
    lines.append("# TYPE holmes_test_big gauge")
    lines += [f'holmes_test_big{{i="{i}",shard="{i % 7}"}} {i % 997} {NOW}' for i in range(BIG)]
    lines.append("# EOF")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class _Server:
    def __init__(self, tmp: Path, web_config: str | None = None) -> None:
        self.port = _free_port()
        config = tmp / "prometheus.yml"
        config.write_text("global: {}\n", encoding="utf-8")
        args = ["prometheus", f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.port}",
                f"--config.file={config}", "--storage.tsdb.retention.time=100y", "--log.level=warn"]
        if web_config:
            (tmp / "web.yml").write_text(web_config, encoding="utf-8")
            args.append(f"--web.config.file={tmp / 'web.yml'}")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_ready(self, scheme: str = "http", **kwargs: object) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                answer = requests.get(f"{scheme}://127.0.0.1:{self.port}/-/ready", timeout=1, **kwargs)  # type: ignore[arg-type]
                if answer.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("prometheus did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def blocks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prom-data")
    source = root / "data.om"
    _write_openmetrics(source)
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(root / "blocks")],
                   check=True, capture_output=True)
    return root / "blocks"


def _copy_blocks(blocks: Path, tmp: Path) -> Path:
    shutil.copytree(blocks, tmp / "tsdb")
    return tmp


@pytest.fixture(scope="module")
def prom_url(blocks: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = _Server(_copy_blocks(blocks, tmp_path_factory.mktemp("prom")))
    server.wait_ready()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture
def reader(prom_url: str) -> PrometheusReader:
    return PrometheusReader(prom_url, timeout_s=10)


def test_instant_query_answers_at_the_given_time_not_the_wall_clock(reader: PrometheusReader) -> None:
    at_capture = reader.query('DCGM_FI_DEV_GPU_UTIL{gpu="2"}', NOW)
    ten_minutes_before = reader.query('DCGM_FI_DEV_GPU_UTIL{gpu="2"}', NOW - 600)
    assert at_capture.series[0].points == [(NOW, 50.0)]
    assert ten_minutes_before.series[0].points == [(NOW - 600, 40.0)]
    assert at_capture.series[0].labels["UUID"] == "GPU-2"


def test_range_query_returns_every_step_of_the_window(reader: PrometheusReader) -> None:
    result = reader.query_range("DCGM_FI_DEV_GPU_UTIL", NOW - 600, NOW, step=60)
    assert result.total == 4 and not result.cut
    gpu0 = next(s for s in result.series if s.labels["gpu"] == "0")
    assert [v for _, v in gpu0.points] == [20.0 + i for i in range(11)]


def test_scalar_query_is_one_unlabelled_value(reader: PrometheusReader) -> None:
    result = reader.query("2 * 21", NOW)
    assert result.result_type == "scalar"
    assert result.series[0].points[0][1] == 42.0


def test_promql_syntax_error_carries_prometheus_message(reader: PrometheusReader) -> None:
    with pytest.raises(PrometheusQueryError) as caught:
        reader.query("sum(rate(DCGM_FI_DEV_GPU_UTIL[5m])", NOW)
    message = str(caught.value)
    assert "parse error" in message and "unclosed left parenthesis" in message
    assert "\n" not in message


def test_hundred_thousand_series_are_cut_by_prometheus_in_bounded_memory(reader: PrometheusReader) -> None:
    tracemalloc.start()
    result = reader.query("holmes_test_big", NOW, limit=20000, keep=50)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.total == BIG and len(result.series) == 50 and result.ranked_by_server
    assert min(s.points[0][1] for s in result.series) == 996.0  # the top 50 by value, chosen by Prometheus
    assert peak < 5_000_000, f"reading a 100,000-series answer took {peak:,} bytes"


def test_range_query_over_too_many_series_keeps_the_top_ones_by_last_value(reader: PrometheusReader) -> None:
    result = reader.query_range("holmes_test_wide", NOW - 120, NOW, step=60, limit=1000, keep=20)
    assert result.total == MANY and len(result.series) == 20 and result.ranked_by_server
    assert all(s.points[-1][1] == 51.0 for s in result.series)  # 49 + 2, the highest last value
    assert all(len(s.points) == 3 for s in result.series)  # whole series, not only their last point


def test_present_names_only_metrics_that_have_series(reader: PrometheusReader) -> None:
    found = reader.present(["DCGM_FI_DEV_GPU_UTIL", "vllm:kv_cache_usage_perc"], NOW)
    assert found == {"DCGM_FI_DEV_GPU_UTIL"}


def test_series_and_labels_discovery(reader: PrometheusReader) -> None:
    labels, total = reader.series('DCGM_FI_DEV_GPU_UTIL{gpu=~"0|1"}', NOW - 3600, NOW)
    assert total == 2 and {s["gpu"] for s in labels} == {"0", "1"}
    assert {"Hostname", "UUID", "gpu"} <= set(reader.label_names(NOW - 3600, NOW))
    assert reader.label_values("gpu", NOW - 3600, NOW, match="DCGM_FI_DEV_GPU_UTIL") == ["0", "1", "2", "3"]


def test_backfilled_data_has_no_metadata(reader: PrometheusReader) -> None:
    assert reader.metadata("DCGM_FI_DEV_GPU_UTIL") == []


def test_range_series_bounds_points_for_capture(reader: PrometheusReader) -> None:
    captured = reader.range_series("DCGM_FI_DEV_GPU_UTIL", NOW - 1800, NOW, max_series=2, max_points=10)
    assert len(captured) == 2
    assert all(len(points) <= 11 for _, points in captured)


def test_unreachable_prometheus_is_unavailable_not_a_crash() -> None:
    reader = PrometheusReader(f"http://127.0.0.1:{_free_port()}", timeout_s=2)
    with pytest.raises(PrometheusUnavailable, match="cannot reach Prometheus"):
        reader.query("up", NOW)
    with pytest.raises(PrometheusUnavailable):
        reader.check()


def test_prometheus_that_accepts_and_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        reader = PrometheusReader(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(PrometheusUnavailable, match=r"did not answer within 0.5s"):
            reader.query("up", NOW)
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_basic_auth_is_sent_to_a_prometheus_that_requires_it(blocks: Path, tmp_path: Path) -> None:
    bcrypt = pytest.importorskip("bcrypt")
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
    server = _Server(_copy_blocks(blocks, tmp_path), web_config=f"basic_auth_users:\n  holmes: '{hashed}'\n")
    try:
        server.wait_ready(auth=("holmes", "s3cret"))
        url = f"http://127.0.0.1:{server.port}"
        settings = PrometheusSettings(url=url, username="holmes", password="s3cret")
        authed = PrometheusReader.from_settings(settings)
        assert authed is not None
        assert authed.query('DCGM_FI_DEV_GPU_UTIL{gpu="1"}', NOW).series[0].points[0][1] == 40.0
        with pytest.raises(PrometheusUnavailable, match="401"):
            PrometheusReader(url, username="holmes", password="wrong").query("up", NOW)
    finally:
        server.stop()


def test_tls_with_a_ca_file_verifies_and_without_it_fails(blocks: Path, tmp_path: Path) -> None:
    if not shutil.which("openssl"):
        pytest.skip("needs openssl to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    web = f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
    server = _Server(_copy_blocks(blocks, tmp_path), web_config=web)
    try:
        server.wait_ready("https", verify=False)
        url = f"https://127.0.0.1:{server.port}"
        with_ca = PrometheusReader(url, ca_file=str(cert))
        assert with_ca.query("2 + 2", NOW).series[0].points[0][1] == 4.0
        with pytest.raises(PrometheusUnavailable):
            PrometheusReader(url).query("2 + 2", NOW)  # self-signed: verification fails
        assert PrometheusReader(url, verify_tls=False).query("2 + 2", NOW).series[0].points[0][1] == 4.0
    finally:
        server.stop()


def test_bearer_token_reaches_the_server_as_an_authorization_header() -> None:
    """Prometheus itself has no bearer auth (a proxy adds it), so a recording loopback server stands in."""
    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            body = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        reader = PrometheusReader(f"http://127.0.0.1:{server.server_address[1]}", bearer_token="tok-123")
        reader.instant("up", NOW)
        assert seen == ["Bearer tok-123"]
    finally:
        server.shutdown()
        server.server_close()
