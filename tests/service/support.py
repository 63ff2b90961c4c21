"""Helpers of the service tests: payload builders, a test-double investigator, real processes on free ports."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from holmes.bundle.loader import load_spec
from holmes.domain import Diagnosis, Trigger
from holmes.paths import builtin_incidents

T = TypeVar("T")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
HOLMES = str(Path(sys.executable).with_name("holmes"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> T:
    """Poll until `check` returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def alert(fingerprint: str = "", *, status: str = "firing", starts_at: str = "2025-06-11T13:41:30Z",
          ends_at: str = "0001-01-01T00:00:00Z", **labels: str) -> dict[str, Any]:
    """One alert as Alertmanager's webhook sends it."""
    return {"status": status, "labels": {"alertname": "KubePodNotReady", **labels},
            "annotations": {"summary": "Pod has been in a non-ready state."}, "startsAt": starts_at,
            "endsAt": ends_at, "generatorURL": "http://prometheus.example/graph", "fingerprint": fingerprint}


def payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    """A complete version-4 webhook body around `alerts`."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "groupKey": "{}:{alertname=\"KubePodNotReady\"}", "truncatedAlerts": 0,
            "status": status, "receiver": "holmes", "groupLabels": {"alertname": "KubePodNotReady"},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager.example",
            "alerts": list(alerts)}


class FakeInvestigator:
    """Test double for the investigation: records calls, can be slow or fail, tracks concurrency."""

    def __init__(self, delay_s: float = 0.0, failures: int = 0, root_cause: str = "unknown") -> None:
        self.delay_s = delay_s
        self.failures = failures
        self.root_cause = root_cause
        self.calls: list[Trigger] = []
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, trigger: Trigger, progress: Callable[[str], None]) -> Diagnosis:
        with self._lock:
            self.calls.append(trigger)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            fail = self.failures > 0
            self.failures -= 1 if fail else 0
        try:
            progress(f"looking at {trigger.describe()}")
            self.release.wait(30)
            time.sleep(self.delay_s)
            if fail:
                raise ConnectionError("cluster unreachable (scripted failure)")
            return Diagnosis(root_cause=self.root_cause, summary=f"about {trigger.describe()}", confidence=0.5)
        finally:
            with self._lock:
                self.running -= 1


def alert_bundle() -> Path:
    """The first recorded incident (by name) that an alert triggered."""
    for directory in sorted(builtin_incidents().iterdir()):
        if (directory / "incident.yaml").is_file() and load_spec(directory).trigger.alert is not None:
            return directory
    raise AssertionError(f"no recorded incident with an alert trigger in {builtin_incidents()}")


class ServeProcess:
    """`holmes serve` as a real process on a free loopback port."""

    def __init__(self, tmp: Path, data_dir: Path, bundle: Path | None = None, config: dict[str, Any] | None = None,
                 workers: int = 2, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = tmp / f"holmes-{self.port}.yaml"
        self.config_path.write_text(yaml.safe_dump(config or {}), encoding="utf-8")
        self.log_path = tmp / f"holmes-{self.port}.log"
        self.args = [HOLMES, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(data_dir),
                     "--config", str(self.config_path), "--workers", str(workers), *(extra or [])]
        if bundle is not None:
            self.args += ["--bundle", str(bundle)]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ServeProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOLMES_")}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_until(self._ready, timeout, 0.1, f"holmes serve on {self.url} (log: {self.log_text()[-2000:]})")
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"holmes serve exited with {self.process.returncode}: {self.log_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                self.terminate(15)
            except subprocess.TimeoutExpired:
                self.kill()


class AlertmanagerProcess:
    """A real Alertmanager (clustering off) whose only receiver is a webhook to `webhook_url`."""

    def __init__(self, tmp: Path, webhook_url: str, http_config: dict[str, Any] | None = None,
                 repeat_interval: str = "1h") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tmp / f"alertmanager-{self.port}"
        self.dir.mkdir()
        webhook: dict[str, Any] = {"url": webhook_url, "send_resolved": True, "max_alerts": 0}
        if http_config:
            webhook["http_config"] = http_config
        config = {
            "route": {"receiver": "holmes", "group_by": ["alertname", "namespace", "pod"], "group_wait": "100ms",
                      "group_interval": "1s", "repeat_interval": repeat_interval},
            "receivers": [{"name": "holmes", "webhook_configs": [webhook]}],
        }
        (self.dir / "alertmanager.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log_path = self.dir / "alertmanager.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> AlertmanagerProcess:
        assert ALERTMANAGER, "prometheus-alertmanager is not installed (make system-deps)"
        args = [ALERTMANAGER, f"--config.file={self.dir / 'alertmanager.yml'}", f"--storage.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=debug"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._ready, timeout, 0.1, f"alertmanager on {self.url}")
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"alertmanager exited: {self.log_path.read_text(errors='replace')[-3000:]}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Alertmanager's own API, as Prometheus sends alerts to it."""
        response = httpx.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10)
        assert response.status_code == 200, response.text

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
