"""`holmes serve`: one-line errors for bad options, a warning when exposed without auth, clean SIGTERM shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from holmes.cli.serve import _loopback, _warn_if_exposed
from holmes.config import Settings

HOLMES = str(Path(sys.executable).with_name("holmes"))


def _holmes(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLMES_")}
    return subprocess.run([HOLMES, *args], capture_output=True, text=True, timeout=timeout, env=env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _empty_config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text("{}\n")
    return str(path)


def test_missing_bundle_is_one_line_exit_2(tmp_path: Path) -> None:
    result = _holmes("serve", "--bundle", str(tmp_path / "nope"), "--config", _empty_config(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"holmes: error: {tmp_path / 'nope'}: bundle directory not found"


def test_unreadable_bundle_is_one_line_exit_2(tmp_path: Path) -> None:
    bundle = tmp_path / "broken-bundle"
    bundle.mkdir()
    (bundle / "incident.yaml").write_text("id: [unclosed\n")
    result = _holmes("serve", "--bundle", str(bundle), "--port", str(_free_port()), "--data-dir",
                     str(tmp_path / "d"), "--config", _empty_config(tmp_path), timeout=180)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("holmes: error: ") and "incident.yaml" in last
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_line_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _holmes("serve", "--port", str(port), "--data-dir", str(tmp_path / "d"), "--config",
                         _empty_config(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"holmes: error: cannot listen on 127.0.0.1:{port}:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option", [["--workers", "0"], ["--port", "70000"], ["--sqlite-synchronous", "SOMETIMES"]])
def test_out_of_range_options_are_refused(tmp_path: Path, option: list[str]) -> None:
    result = _holmes("serve", *option, "--config", _empty_config(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"holmes: error: {option[0]} {option[1]}:")


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("10.1.2.3", False),
                                                ("example.internal", False)])
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert _loopback(host) is loopback


def test_warns_when_listening_beyond_loopback_without_auth(capsys: pytest.CaptureFixture[str]) -> None:
    _warn_if_exposed(Settings(service={"host": "0.0.0.0"}))
    assert "warning: listening on 0.0.0.0 without authentication" in capsys.readouterr().err
    _warn_if_exposed(Settings(service={"host": "0.0.0.0", "bearer_token": "t"}))
    _warn_if_exposed(Settings(service={"host": "127.0.0.1"}))
    assert capsys.readouterr().err == ""


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOLMES_")}
    process = subprocess.Popen([HOLMES, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
                                "--config", _empty_config(tmp_path), "--workers", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("holmes serve did not become ready")
        investigation_processes = _children(process.pid)
        assert investigation_processes
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "Application shutdown complete" in output
    assert "Traceback" not in output
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in investigation_processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in investigation_processes
            if Path(f"/proc/{pid}").exists()}
    assert not left


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found
