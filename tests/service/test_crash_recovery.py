"""SIGKILL in the middle of a burst: after a restart every accepted alert is investigated exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from holmes.bundle.loader import load_spec

from .support import ServeProcess, alert, alert_bundle, payload, wait_until

BURST = 40
KILL_AFTER = 15


def _post(url: str, fingerprint: str, labels: dict[str, str]) -> bool:
    """True when holmes acknowledged the alert (2xx), i.e. promised it is stored."""
    body = payload({**alert(fingerprint), "labels": {**labels, "burst": fingerprint}})
    try:
        return httpx.post(f"{url}/api/v1/alertmanager", json=body, timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def _all(url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = httpx.get(f"{url}/api/v1/investigations", params={"limit": 500},
                                            timeout=10).json()["items"]
    return items


def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (the investigation processes of a server)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _gone(pids: set[int]) -> bool:
    return not any(Path(f"/proc/{pid}").exists() for pid in pids)


def _event_kinds(url: str, investigation_id: str) -> list[str]:
    with httpx.stream("GET", f"{url}/api/v1/investigations/{investigation_id}/events", timeout=30) as stream:
        text = stream.read().decode()
    return [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event: ")]


def test_sigkill_mid_burst_loses_and_repeats_nothing(tmp_path: Path) -> None:
    bundle = alert_bundle()
    incident_alert = load_spec(bundle).trigger.alert
    assert incident_alert is not None
    data = tmp_path / "data"
    first = ServeProcess(tmp_path, data, bundle=bundle).start()
    assert first.process is not None
    investigation_processes = _children(first.process.pid)
    assert investigation_processes, "holmes serve investigates in child processes"
    accepted: list[str] = []
    lock = threading.Lock()

    def send(index: int) -> None:
        fingerprint = f"burst-{index:03d}"
        if _post(first.url, fingerprint, incident_alert.labels):
            with lock:
                accepted.append(fingerprint)
                if len(accepted) == KILL_AFTER:
                    first.kill()  # SIGKILL: no shutdown code runs

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(send, range(BURST)))
    finally:
        first.kill()
    assert KILL_AFTER <= len(accepted) < BURST, "the kill should land in the middle of the burst"
    wait_until(lambda: _gone(investigation_processes), timeout=20,
               what="the killed server's investigation processes to exit")

    restarted_at = datetime.now().astimezone()
    second = ServeProcess(tmp_path, data, bundle=bundle).start()
    try:
        def drained() -> list[dict[str, Any]] | None:
            items = _all(second.url)
            return items if all(i["status"] in ("completed", "failed") for i in items) else None

        items = wait_until(drained, timeout=240, interval=0.5, what="the queue to drain after the restart")
        per_fingerprint = Counter(item["fingerprint"] for item in items)
        assert all(count == 1 for count in per_fingerprint.values()), per_fingerprint.most_common(3)
        assert set(accepted) <= set(per_fingerprint), set(accepted) - set(per_fingerprint)
        assert {item["status"] for item in items} == {"completed"}
        finished_later = [i for i in items if datetime.fromisoformat(i["finished_at"]) > restarted_at]
        assert finished_later, "some accepted work was still pending at the kill and resumed after the restart"
        for item in items:
            kinds = _event_kinds(second.url, item["id"])
            assert kinds.count("finished") == 1, (item["fingerprint"], kinds)
            assert kinds.count("started") == item["attempts"]
    finally:
        second.stop()

