"""`holmes serve` refuses an unusable store in one line before it starts serving."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

HOLMES = str(Path(sys.executable).parent / "holmes")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HOLMES, "serve", "--port", str(_free_port()), *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_a_data_dir_that_is_a_file_is_one_line_and_exit_2(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    done = _serve("--data-dir", str(tmp_path / "file"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot use as data dir" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_store_file_that_is_not_a_database_is_one_line_and_exit_2(tmp_path: Path):
    (tmp_path / "holmes.db").write_text("garbage")
    done = _serve("--data-dir", str(tmp_path))
    assert done.returncode == 2 and "file is not a database" in done.stderr and "Traceback" not in done.stderr
