"""The one orchestrator: open the data sources, run the runbook engine, let the agent reason when configured."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from holmes.config import Settings
from holmes.domain import Diagnosis, Trigger
from holmes.sources.kube import KubeError, KubeReader
from holmes.toolsets.base import ToolContext

Progress = Callable[[str], None]


@dataclass
class Sources:
    """What an investigation reads from; `now` is the capture time of a recorded incident."""

    kube: KubeReader | None = None
    prometheus: Any = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    gaps: list[str] = field(default_factory=list)
    bundle: Any = None  # holmes.bundle.model.Bundle when replaying


@contextmanager
def open_sources(settings: Settings, bundle_dir: Path | None = None) -> Iterator[Sources]:
    """Live cluster (kubeconfig or in-cluster) or a recorded incident served by the replay API."""
    if bundle_dir is not None:
        with _bundle_sources(settings, bundle_dir) as sources:
            yield sources
        return
    sources = Sources()
    try:
        sources.kube = KubeReader.from_kubeconfig(settings.kubernetes.context, settings.kubernetes.kubeconfig,
                                                  settings.kubernetes.request_timeout_s)
    except KubeError as exc:
        sources.gaps.append(f"kubernetes: {exc}")
    if settings.prometheus.url:
        from holmes.sources.prometheus import PrometheusReader

        sources.prometheus = PrometheusReader.from_settings(settings.prometheus)
    else:
        sources.gaps.append("prometheus: no URL configured (prometheus.url); metric checks skipped")
    yield sources


@contextmanager
def _bundle_sources(settings: Settings, bundle_dir: Path) -> Iterator[Sources]:
    from holmes.bundle.loader import load_bundle
    from holmes.replay import serve_bundle

    bundle = load_bundle(bundle_dir)
    with ExitStack() as stack:
        url = stack.enter_context(serve_bundle(bundle))
        sources = Sources(kube=KubeReader.for_url(url, settings.kubernetes.request_timeout_s),
                          now=bundle.spec.captured_at, bundle=bundle)
        if bundle.metrics:
            _start_bundle_prometheus(settings, bundle, stack, sources)
        yield sources


def _start_bundle_prometheus(settings: Settings, bundle: Any, stack: ExitStack, sources: Sources) -> None:
    from holmes.replay.metrics import serve_metrics
    from holmes.sources.prometheus import PrometheusReader

    served = stack.enter_context(serve_metrics(bundle))
    if served.url is None:
        sources.gaps.append(f"prometheus: {served.reason}")
        return
    prometheus_settings = settings.prometheus.model_copy(update={"url": served.url})
    sources.prometheus = PrometheusReader.from_settings(prometheus_settings)


def tool_context(settings: Settings, sources: Sources) -> ToolContext:
    return ToolContext(kube=sources.kube, prometheus=sources.prometheus, now=sources.now,
                       token_budget=settings.tool_token_budget, extras={"gpu_models": settings.gpu_models})


def investigate(trigger: Trigger, settings: Settings, sources: Sources, *, use_llm: bool = True,
                progress: Progress | None = None) -> Diagnosis:
    """Run the deterministic engine, then the agent when a model is configured; never raises for a tool failure."""
    from holmes.runbooks.engine import diagnose
    from holmes.runbooks.library import load_library
    from holmes.toolsets.catalog import build_registry

    started = time.perf_counter()
    say = progress or (lambda _line: None)
    ctx = tool_context(settings, sources)
    registry = build_registry(settings, ctx)
    library = load_library(settings.runbook_dirs)
    report = diagnose(trigger, registry, ctx, library, progress=say)
    diagnosis = report.diagnosis
    if use_llm and settings.llm.provider != "none":
        diagnosis = _agent_diagnosis(trigger, report, registry, ctx, settings, say)
    diagnosis.gaps = list(dict.fromkeys([*sources.gaps, *diagnosis.gaps]))
    diagnosis.usage.wall_s = round(time.perf_counter() - started, 3)
    return diagnosis


def _agent_diagnosis(trigger: Trigger, report: Any, registry: Any, ctx: ToolContext, settings: Settings,
                     say: Progress) -> Diagnosis:
    """The agent's answer; with the model unusable, the engine's diagnosis marked degraded."""
    from holmes.agent.loop import run_agent
    from holmes.agent.models import build_chat_model

    try:
        model = build_chat_model(settings.llm)
        return run_agent(trigger, report, registry, ctx, settings, model, progress=say)
    except Exception as exc:  # the model is an optional layer: its failure must not lose the engine's answer
        fallback: Diagnosis = report.diagnosis.model_copy(deep=True)
        fallback.degraded = True
        fallback.gaps.append(f"llm: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                             "; answer from the runbook engine alone")
        return fallback


def check_subject(sources: Sources, trigger: Trigger) -> None:
    """Fail early, in one line, when the subject named by the user does not exist."""
    from holmes.errors import UserError

    subject = trigger.subject
    if subject is None:
        return
    if sources.kube is None:
        why = next((gap.removeprefix("kubernetes: ") for gap in sources.gaps if gap.startswith("kubernetes:")),
                   "no Kubernetes API")
        raise UserError(f"cannot look up {subject.ref()}: {why} (set kubernetes.kubeconfig or pass --bundle DIR)")
    try:
        found = sources.kube.get(subject.kind, subject.name, subject.namespace)
    except KubeError as exc:
        raise UserError(f"cannot look up {subject.ref()}: {exc}") from None
    if found is None:
        where = " (recorded incident)" if sources.bundle is not None else ""
        raise UserError(f"{subject.ref()} not found{where}")
