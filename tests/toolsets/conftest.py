"""Replay fixtures: small bundles written to tmp_path, served by the real replay API, read by the official client."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from holmes.bundle.loader import load_bundle
from holmes.replay.server import serve_bundle
from holmes.sources.kube import KubeReader
from holmes.toolsets.base import ToolContext

from .objects import CAPTURED_AT, NOW

LogFiles = dict[tuple[str, str, str, bool], str]


def write_bundle(root: Path, objects: list[dict[str, Any]], logs: LogFiles | None = None) -> Path:
    """A minimal incident bundle: incident.yaml, cluster/objects.yaml and logs/<ns>/<pod>/<container>[.previous].log."""
    root.mkdir(parents=True)
    incident = {"id": root.name, "title": "toolset test bundle", "captured_at": CAPTURED_AT,
                "trigger": {"question": "what is wrong?"}, "expected": {"root_cause": "unknown"}}
    (root / "incident.yaml").write_text(yaml.safe_dump(incident), encoding="utf-8")
    (root / "cluster").mkdir()
    (root / "cluster" / "objects.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False), encoding="utf-8")
    for (namespace, pod, container, previous), text in (logs or {}).items():
        folder = root / "logs" / namespace / pod
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{container}{'.previous' if previous else ''}.log").write_text(text, encoding="utf-8")
    return root


Replay = Callable[..., ToolContext]


@pytest.fixture
def replay(tmp_path: Path) -> Iterator[Replay]:
    """replay(objects, logs=None, budget=4000) -> a ToolContext reading those objects over the replay API."""
    with contextlib.ExitStack() as stack:
        count = 0

        def start(objects: list[dict[str, Any]], logs: LogFiles | None = None, budget: int = 4000) -> ToolContext:
            nonlocal count
            count += 1
            bundle = load_bundle(write_bundle(tmp_path / f"bundle-{count}", objects, logs))
            url = stack.enter_context(serve_bundle(bundle))
            return ToolContext(kube=KubeReader.for_url(url), now=NOW, token_budget=budget)

        yield start
