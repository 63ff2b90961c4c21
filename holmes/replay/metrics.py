"""Serve a recorded incident's metrics from a real Prometheus.

`metrics/*.om` (OpenMetrics with timestamps) is checked, backfilled into TSDB blocks with
`promtool tsdb create-blocks-from openmetrics`, then a `prometheus` process serves those blocks on a
free loopback port for as long as the investigation runs. With no binaries the investigation still
runs and names the gap.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from holmes.errors import UserError
from holmes.replay.openmetrics import validate_openmetrics

NO_BINARY = "prometheus binary not found; metrics of this bundle not loaded"
_CONFIG = "global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n"


@dataclass
class ServedMetrics:
    """Where a bundle's metrics can be queried, or why they cannot (`url` None and a `reason`)."""

    url: str | None
    reason: str | None = None
    files: int = 0
    samples: int = 0


def metric_files(bundle_dir: Path) -> list[Path]:
    directory = bundle_dir / "metrics"
    return sorted(p for p in directory.glob("*.om") if p.is_file()) if directory.is_dir() else []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def backfill(files: list[Path], tsdb_dir: Path, promtool: str) -> int:
    """Check each file, then write its TSDB blocks into tsdb_dir; return the sample count."""
    samples = sum(validate_openmetrics(path) for path in files)
    for path in files:
        done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(path), str(tsdb_dir)],
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            why = lines[-1] if lines else f"exit {done.returncode}"
            raise UserError(f"{path}: promtool could not load it: {why}")
    return samples


class PrometheusProcess:
    """A prometheus server over a TSDB directory on a loopback port; stop() ends it."""

    def __init__(self, binary: str, tsdb_dir: Path, lookback: str = "5m", ready_timeout_s: float = 30.0) -> None:
        self.binary = binary
        self.tsdb_dir = tsdb_dir
        self.lookback = lookback
        self.ready_timeout_s = ready_timeout_s
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tsdb_dir.parent / "prometheus.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Start on a free port and wait until Prometheus says it is ready; return its URL."""
        config = self.tsdb_dir.parent / "prometheus.yml"
        config.write_text(_CONFIG, encoding="utf-8")
        for _attempt in range(3):  # a port taken between probe and bind: try another
            self.port = free_port()
            with self._log.open("wb") as log:
                self._process = subprocess.Popen(
                    [self.binary, f"--storage.tsdb.path={self.tsdb_dir}", f"--web.listen-address=127.0.0.1:{self.port}",
                     f"--config.file={config}", "--storage.tsdb.retention.time=100y",
                     f"--query.lookback-delta={self.lookback}", "--log.level=warn"],
                    stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
            if self._wait_ready():
                return self.url
            if "address already in use" not in self._log_tail():
                break
        reason = self._log_tail() or "no output"
        self.stop()
        raise UserError(f"prometheus did not become ready on 127.0.0.1:{self.port}: {reason}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return True
            time.sleep(0.05)
        return False

    def _log_tail(self) -> str:
        try:
            lines = self._log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:300] if lines else ""

    def stop(self) -> None:
        """Ask Prometheus to stop (SIGTERM), and kill it if it has not within 10 s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _metric_files(bundle: Any) -> list[Path]:
    """The .om files of a bundle directory, or of a loaded bundle (its `metrics` list, else its `root`)."""
    if isinstance(bundle, (str, Path)):
        return metric_files(Path(bundle))
    listed = getattr(bundle, "metrics", None)
    if isinstance(listed, list):
        return [Path(p) for p in listed]
    return metric_files(Path(bundle.root))


@contextlib.contextmanager
def serve_metrics(bundle: Any, prometheus: str | None = None, promtool: str | None = None,
                  lookback: str = "5m") -> Iterator[ServedMetrics]:
    """Serve a bundle's metrics for the duration of the block; url is None (with a reason) when impossible."""
    files = _metric_files(bundle)
    if not files:
        yield ServedMetrics(url=None, reason="this bundle has no metrics")
        return
    prometheus_bin = prometheus or shutil.which("prometheus")
    promtool_bin = promtool or shutil.which("promtool")
    if not (prometheus_bin and Path(prometheus_bin).exists() and promtool_bin and Path(promtool_bin).exists()):
        for path in files:  # still reject a malformed bundle, binaries or not
            validate_openmetrics(path)
        missing = "prometheus binary" if not (prometheus_bin and Path(prometheus_bin).exists()) else "promtool binary"
        yield ServedMetrics(url=None, reason=NO_BINARY.replace("prometheus binary", missing), files=len(files))
        return
    with tempfile.TemporaryDirectory(prefix="holmes-metrics-") as scratch:
        tsdb_dir = Path(scratch) / "tsdb"
        tsdb_dir.mkdir()
        samples = backfill(files, tsdb_dir, promtool_bin)
        server = PrometheusProcess(prometheus_bin, tsdb_dir, lookback=lookback)
        url = server.start()
        try:
            yield ServedMetrics(url=url, files=len(files), samples=samples)
        finally:
            server.stop()
