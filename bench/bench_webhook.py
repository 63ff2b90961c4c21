"""Webhook acknowledgement speed of a real `holmes serve` on loopback, while investigations run in the background.

Targets (2-core machine): >= 1,000 alerts/s accepted with p99 acknowledgement <= 50 ms; a storm of 5,000 alerts
over 50 fingerprints yields exactly 50 investigations.

The load generator is open-loop: request i is due at start + i/rate and its latency is counted from that due time,
so a server that falls behind is charged for the queueing it causes. It speaks HTTP/1.1 keep-alive over a few
raw asyncio connections, to leave the CPU to the server. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOLMES = str(Path(sys.executable).with_name("holmes"))
WEBHOOK = "/api/v1/alertmanager"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def alert_bundle() -> Path:
    """The first recorded incident (by name) that an alert triggered: investigations replay it."""
    for directory in sorted((ROOT / "evals" / "incidents").iterdir()):
        spec = directory / "incident.yaml"
        if spec.is_file() and (yaml.safe_load(spec.read_text()) or {}).get("trigger", {}).get("alert"):
            return directory
    raise SystemExit("no recorded incident with an alert trigger in evals/incidents")


def body(fingerprint: str, labels: dict[str, str]) -> bytes:
    alert = {"status": "firing", "labels": {**labels, "bench": fingerprint}, "annotations": {"summary": "bench"},
             "startsAt": "2025-06-11T13:41:30Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
             "fingerprint": fingerprint}
    return json.dumps({"version": "4", "status": "firing", "receiver": "holmes", "groupKey": "bench",
                       "alerts": [alert]}).encode()


def request(port: int, payload: bytes) -> bytes:
    head = (f"POST {WEBHOOK} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return status


async def paced_load(port: int, bodies: list[bytes], rate: float, connections: int,
                     deadline_s: float) -> tuple[list[float], int, float]:
    """Send every body once, request i due at i/rate; returns latencies (s), non-2xx count, elapsed (s)."""
    latencies: list[float] = []
    failures = 0
    next_index = 0
    start = time.perf_counter() + 0.05

    async def connection() -> None:
        nonlocal next_index, failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < len(bodies) and time.perf_counter() - start < deadline_s:
                index = next_index
                next_index += 1
                due = start + index / rate if rate else time.perf_counter()
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(request(port, bodies[index]))
                status = await read_response(reader)
                latencies.append(time.perf_counter() - due)
                failures += status >= 300
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return latencies, failures, time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Server:
    def __init__(self, bundle: Path, data_dir: Path, workers: int, synchronous: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data_dir.with_suffix(".log"), "wb")  # noqa: SIM115 (closed in stop)
        config = data_dir.with_suffix(".yaml")
        config.write_text("{}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOLMES_")}
        self.process = subprocess.Popen(
            [HOLMES, "serve", "--port", str(self.port), "--data-dir", str(data_dir), "--config", str(config),
             "--bundle", str(bundle), "--workers", str(workers), "--sqlite-synchronous", synchronous],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"holmes serve exited: see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("holmes serve did not become ready in 120 s")

    def cpu_s(self) -> float:
        """CPU seconds the server process used so far (its investigation processes not included)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def counts(self) -> dict[str, int]:
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        counts = {}
        for line in text.splitlines():
            if line.startswith("holmes_investigations{"):
                status = line.split('status="', 1)[1].split('"', 1)[0]
                counts[status] = int(float(line.rsplit(" ", 1)[1]))
        return counts

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def report(name: str, latencies: list[float], failures: int, elapsed: float) -> tuple[float, float]:
    if not latencies:
        print(f"{name}: no request completed")
        return 0.0, float("inf")
    rate = len(latencies) / elapsed
    p50 = statistics.median(latencies) * 1000
    p99 = percentile(latencies, 0.99) * 1000
    print(f"{name}: {len(latencies)} alerts in {elapsed:.2f} s = {rate:.0f} alerts/s accepted; "
          f"ack median {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies) * 1000:.1f} ms; non-2xx {failures}")
    return rate, p99


def run(coroutine: Any) -> Any:
    """asyncio.run on uvloop when installed: the load generator should leave the CPU to the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="offered alerts per second (paced phase)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the paced phase")
    parser.add_argument("--connections", type=int, default=16,
                        help="concurrent keep-alive connections (Alertmanager posts each alert group concurrently)")
    parser.add_argument("--workers", type=int, default=2, help="investigation workers of the server")
    parser.add_argument("--sqlite-synchronous", default="FULL", choices=["FULL", "NORMAL"],
                        help="FULL: fsync every group commit (the default of holmes serve)")
    parser.add_argument("--storm", type=int, default=5000, help="alerts in the storm (0: skip the storm)")
    parser.add_argument("--fingerprints", type=int, default=50, help="distinct fingerprints in the storm")
    args = parser.parse_args()
    bundle = alert_bundle()
    spec = yaml.safe_load((bundle / "incident.yaml").read_text())
    labels = spec["trigger"]["alert"]["labels"]
    print(f"bundle {bundle.name}; {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}); server workers "
          f"{args.workers}; SQLite synchronous={args.sqlite_synchronous}; {args.connections} client connections")
    ok = True
    with tempfile.TemporaryDirectory(prefix="holmes-bench-") as tmp:
        ok &= paced_phase(Path(tmp), bundle, labels, args)
        if args.storm:
            ok &= storm_phase(Path(tmp), bundle, labels, args)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def paced_phase(tmp: Path, bundle: Path, labels: dict[str, str], args: argparse.Namespace) -> bool:
    server = Server(bundle, tmp / "paced", args.workers, args.sqlite_synchronous)
    try:
        warmup = [body(f"warm-{i}", labels) for i in range(300)]
        run(paced_load(server.port, warmup, 300, 2, 30))
        count = int(args.rate * args.seconds)
        bodies = [body(f"paced-{i}", labels) for i in range(count)]
        cpu_before = server.cpu_s()
        latencies, failures, elapsed = run(paced_load(server.port, bodies, args.rate, args.connections,
                                                      args.seconds * 3))
        cpu_per_alert = (server.cpu_s() - cpu_before) / max(1, len(latencies))
        rate, p99 = report(f"paced at {args.rate:.0f}/s, unique fingerprints", latencies, failures, elapsed)
        print(f"  server CPU per acknowledged alert: {cpu_per_alert * 1e6:.0f} us "
              f"(one free core would acknowledge about {1 / cpu_per_alert:.0f} alerts/s)")
        counts = server.counts()
        print(f"  background investigations meanwhile: {counts.get('completed', 0)} completed, "
              f"{counts.get('running', 0)} running, {counts.get('queued', 0)} queued")
        bodies = [body(f"max-{i}", labels) for i in range(count)]
        latencies, failures, elapsed = run(paced_load(server.port, bodies, 0, args.connections,
                                                              args.seconds * 3))
        report("unpaced (ceiling), unique fingerprints", latencies, failures, elapsed)
        return rate >= 0.97 * args.rate and len(latencies) and p99 <= 50.0 and failures == 0
    finally:
        server.stop()


def storm_phase(tmp: Path, bundle: Path, labels: dict[str, str], args: argparse.Namespace) -> bool:
    server = Server(bundle, tmp / "storm", args.workers, args.sqlite_synchronous)
    try:
        bodies = [body(f"storm-{i % args.fingerprints}", labels) for i in range(args.storm)]
        latencies, failures, elapsed = run(paced_load(server.port, bodies, args.rate, args.connections, 60))
        report(f"storm: {args.storm} alerts over {args.fingerprints} fingerprints", latencies, failures, elapsed)
        deadline = time.monotonic() + 300
        counts = server.counts()
        while (counts.get("queued", 0) or counts.get("running", 0)) and time.monotonic() < deadline:
            time.sleep(0.5)
            counts = server.counts()
        total = sum(counts.values())
        print(f"  investigations: {total} ({counts})")
        return total == args.fingerprints and counts.get("completed", 0) == args.fingerprints
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
