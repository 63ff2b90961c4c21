"""Runs the engine and then the agent on a recorded incident, as `holmes ask --bundle` does."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from holmes.agent.loop import Progress, run_agent
from holmes.bundle.loader import load_bundle
from holmes.config import Settings
from holmes.domain import Diagnosis
from holmes.investigation import open_sources, tool_context
from holmes.runbooks.engine import diagnose
from holmes.runbooks.library import load_library
from holmes.toolsets import base
from holmes.toolsets.catalog import build_registry

ROOT = Path(__file__).resolve().parents[2]
INCIDENTS = ROOT / "evals" / "incidents"


def investigate_bundle(bundle_dir: Path, settings: Settings, chat_model: BaseChatModel,
                       progress: Progress | None = None) -> tuple[Diagnosis, Any]:
    """The agent's diagnosis and the engine's report. Call ids restart at t1, so requests are reproducible."""
    base._call_ids = itertools.count(1)  # type: ignore[attr-defined]
    spec = load_bundle(bundle_dir).spec
    with open_sources(settings, bundle_dir) as sources:
        ctx = tool_context(settings, sources)
        registry = build_registry(settings, ctx)
        report = diagnose(spec.trigger, registry, ctx, load_library(settings.runbook_dirs))
        return run_agent(spec.trigger, report, registry, ctx, settings, chat_model, progress), report
