"""`holmes replay serve`: prints a URL and a kubeconfig that kubectl can use, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

HOLMES = Path(sys.executable).parent / "holmes"


def _bundle(root: Path) -> Path:
    bundle = root / "cli-demo"
    (bundle / "cluster").mkdir(parents=True)
    (bundle / "incident.yaml").write_text('id: cli-demo\ntitle: t\ncaptured_at: "2025-01-01T00:00:00Z"\n'
                                         "trigger: {subject: pod llm/p}\nexpected: {root_cause: unknown}\n")
    (bundle / "cluster" / "p.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: llm}\n"
                                               "spec: {containers: [{name: c, image: x}]}\n")
    return bundle


def test_serve_prints_url_and_kubeconfig_then_stops_on_interrupt(tmp_path: Path) -> None:
    process = subprocess.Popen([str(HOLMES), "replay", "serve", str(_bundle(tmp_path))], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]
        url = banner[0].rsplit(" at ", 1)[1].strip()
        kubeconfig = Path(banner[1].removeprefix("kubeconfig: ").strip())
        assert banner[2].strip() == f"export KUBECONFIG={kubeconfig} KUBECACHEDIR={kubeconfig.parent / 'cache'}"
        assert httpx.get(f"{url}/api/v1/namespaces/llm/pods/p", timeout=10).json()["metadata"]["name"] == "p"
        assert f"server: {url}" in kubeconfig.read_text() and "namespace: llm" in kubeconfig.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0
    assert not kubeconfig.parent.exists()


def test_out_of_range_port_is_one_line_with_exit_2(tmp_path: Path) -> None:
    for port in ("70000", "-1"):
        done = subprocess.run([str(HOLMES), "replay", "serve", str(_bundle(tmp_path / port)), "--port", port],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert done.stderr.strip() == f"holmes: error: --port {port}: expected a TCP port from 0 to 65535 " \
                                      "(0: any free port)"
